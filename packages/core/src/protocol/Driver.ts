/**
 * The one generic protocol driver: it runs any {@link Protocol} table for one side of one
 * mini-protocol instance and checks every message against it. It is pure (no IO, no clock): the
 * multiplexer calls it for each message sent and received and arms the timer it asks for.
 *
 * - A received message from the side without agency is an `Agency` violation; one not allowed in the
 *   state is `UnexpectedMessage`; one over the state's byte limit is `ByteLimit`.
 * - Messages that arrive while we have agency (a pipelining peer) wait, in order, until our reply
 *   gives the agency back; they are checked in full then. On arrival each must already be one that
 *   some answer of ours could make allowed (else `UnexpectedMessage` at once: a server streaming
 *   blocks nobody asked for is closed at the first one). The multiplexer counts them against the
 *   protocol's ingress limit until they are delivered ({@link Driver.heldBytes}), as the reference
 *   leaves them in its ingress queue.
 * - Our own messages sent while the peer has agency are pipelined: they wait, in order, and are
 *   applied as soon as the state gives us agency again, up to `protocol.maxInFlight` requests.
 *
 * @since 0.1.0
 */
import * as Random from "effect/Random"
import type { Message } from "../Message.ts"
import type { Role } from "../Primitives.ts"
import { ProtocolViolation } from "../ProtocolError.ts"
import type { Agency, Protocol } from "./Protocol.ts"

/**
 * The outcome of one step: the received messages now ready for the behavior (zero or more, in order),
 * or the violation that ends the connection.
 *
 * @category models
 * @since 0.1.0
 */
export type Step<M extends Message> =
  | { readonly _tag: "Deliver"; readonly messages: ReadonlyArray<M> }
  | { readonly _tag: "Violation"; readonly error: ProtocolViolation }

/** A step that delivers nothing (shared: a step is only read). */
const NOTHING: Step<never> = Object.freeze({ _tag: "Deliver", messages: Object.freeze([]) as ReadonlyArray<never> })

/**
 * The driver of one side of one mini-protocol instance.
 *
 * @category models
 * @since 0.1.0
 */
export interface Driver<M extends Message> {
  readonly protocol: Protocol<M>
  /** Our side: `initiator` runs the client half, `responder` the server half. */
  readonly role: Role
  /** The current state (after every message applied so far). */
  readonly state: string
  /** Our message: applied now, or queued behind the peer's answer when pipelined. */
  readonly send: (message: M) => Step<M>
  /** A received message of `size` bytes. */
  readonly recv: (message: M, size: number) => Step<M>
  /**
   * A received message applied at once when it is of the kind of theirs applied last, in the same
   * state, within that state's byte limit, with nothing held on either side (a block of a batch):
   * `true` when applied (it is to be delivered, as `recv` would deliver it); `false` when nothing
   * was done and `recv` must take it. For a caller that steps a run of messages with no step object
   * each.
   *
   * @since 0.3.0
   */
  readonly recvAgain: (message: M, size: number) => boolean
  /**
   * A message of ours of the kind sent last, from the state that move left as it was, with our
   * agency and nothing of ours held (a block of a batch): `true` when it may go (the state stays, so
   * nothing changes); `false` when nothing was done and `send` must take it. For a caller that
   * queues a run of messages with no step object each.
   *
   * @since 0.3.0
   */
  readonly sendAgain: (message: M) => boolean
  /**
   * How long to wait for the peer now (ms), or `undefined` when nothing is awaited or no limit applies;
   * a state with a range of timeouts draws one from the driver's `Random` service.
   */
  readonly timeout: () => number | undefined
  /** The byte limit of the state in which the next received message will be checked. */
  readonly byteLimit: () => number | undefined
  /**
   * What the received messages that wait (a pipelining peer's early messages) cost against the
   * ingress limit: their bytes plus {@link HELD_MESSAGE_CHARGE} each.
   */
  readonly heldBytes: () => number
  /** Whether the instance reached a terminal state. */
  readonly done: () => boolean
}

/**
 * What an early message waiting in a driver costs against the ingress limit on top of its bytes (its
 * decoded form): a peer cannot park a hundred thousand 3-byte requests.
 *
 * @category constants
 * @since 0.1.0
 */
export const HELD_MESSAGE_CHARGE = 64

/**
 * Which side sends a message kind, read off the transition table.
 *
 * @category utils
 * @since 0.1.0
 */
export const senderOf = <M extends Message>(protocol: Protocol<M>, tag: string): Agency | undefined =>
  tableOf(protocol).senders.get(tag)

/**
 * How long the side `role` waits for the peer in the protocol's initial state (ms), drawn as
 * {@link Driver.timeout} would from a driver just made: for a caller that makes the driver only when
 * the instance first carries a message.
 *
 * @category utils
 * @since 0.1.0
 */
export const initialTimeout = (
  protocol: Protocol<any>,
  role: Role,
  random: Random.Random = Random.Random.defaultValue()
): number | undefined => {
  const agency = protocol.states[protocol.initialState]?.agency ?? "nobody"
  if (agency !== (role === "initiator" ? "server" : "client")) return undefined
  return drawTimeout(protocol.states[protocol.initialState]?.timeout, random)
}

const drawTimeout = (t: number | readonly [number, number] | undefined, random: Random.Random): number | undefined => {
  if (t === undefined || typeof t === "number") return t
  return t[0] + Math.floor(random.nextDoubleUnsafe() * (t[1] - t[0] + 1))
}

/**
 * Makes a driver in the protocol's initial state. `random` draws the timeouts of states with a range
 * (pass `yield* Random.Random` so that a seeded or test Random decides them); default: Effect's own.
 *
 * @example
 * ```ts
 * import { Driver, KeepAlive } from "@pallas-network2/core/protocol"
 * const driver = Driver.make(KeepAlive.protocol, "initiator")
 * driver.send(KeepAlive.make.keepAlive(42)) // { _tag: "Deliver", messages: [] }
 * driver.recv(KeepAlive.make.response(42), 4) // { _tag: "Deliver", messages: [the response] }
 * ```
 *
 * @category constructors
 * @since 0.1.0
 */
export const make = <M extends Message>(
  protocol: Protocol<M>,
  role: Role,
  random: Random.Random = Random.Random.defaultValue()
): Driver<M> => new DriverImpl(protocol, role, random)

interface Table {
  /** Transitions by state, then message tag. */
  readonly moves: Map<string, Map<string, Protocol<any>["transitions"][number]>>
  /** Who sends each message kind (the agency of the state it leaves). */
  readonly senders: Map<string, Agency>
  /** By our side and a state: the states with the peer's agency that our messages alone lead to. */
  readonly reach: Map<string, ReadonlyArray<string>>
}

/** Built once per protocol (not per connection, not per message). */
const tables = new WeakMap<Protocol<any>, Table>()
const tableOf = (protocol: Protocol<any>): Table => {
  let table = tables.get(protocol)
  if (table === undefined) {
    table = { moves: new Map(), senders: new Map(), reach: new Map() }
    for (const t of protocol.transitions) {
      let byTag = table.moves.get(t.from)
      if (byTag === undefined) table.moves.set(t.from, byTag = new Map())
      byTag.set(t.message, t)
      const agency = protocol.states[t.from]?.agency
      if (agency !== undefined && !table.senders.has(t.message)) table.senders.set(t.message, agency)
    }
    tables.set(protocol, table)
  }
  return table
}

/** The states with `theirs` agency that `ours` can reach from `state` by our own messages alone. */
const reachOf = (protocol: Protocol<any>, table: Table, ours: Agency, state: string): ReadonlyArray<string> => {
  const key = `${ours} ${state}`
  const known = table.reach.get(key)
  if (known !== undefined) return known
  const seen = new Set([state])
  const todo = [state]
  const out: Array<string> = []
  while (todo.length > 0) {
    const s = todo.pop()!
    const agency = protocol.states[s]?.agency ?? "nobody"
    if (agency === "nobody") continue
    if (agency !== ours) {
      out.push(s)
      continue
    }
    for (const t of table.moves.get(s)?.values() ?? []) {
      // a target chosen by the message itself: any state
      for (const next of typeof t.to === "string" ? [t.to] : Object.keys(protocol.states)) {
        if (!seen.has(next)) {
          seen.add(next)
          todo.push(next)
        }
      }
    }
  }
  table.reach.set(key, out)
  return out
}

const NOWHERE: ReadonlyArray<string> = []

/**
 * The driver as a class: one small object per protocol instance, its methods shared (a connection
 * runs one driver per instance, and a responder may hold a thousand connections).
 */
class DriverImpl<M extends Message> implements Driver<M> {
  readonly protocol: Protocol<M>
  readonly role: Role
  state: string
  private readonly ours: Agency
  private readonly theirs: Agency
  private readonly table: Table
  /** Our pipelined messages, not yet applied (the array is made at the first). */
  private outbox: Array<M> | undefined = undefined
  /** Their early messages, not yet checked in full (the array is made at the first). */
  private inbox: Array<readonly [M, number]> | undefined = undefined
  /** Bytes in {@link inbox}. */
  private held = 0
  /** The states the protocol may be in after the early messages, had we answered as they assume. */
  private ahead: ReadonlyArray<string> = NOWHERE
  /** Our requests whose answers are still due. */
  private inFlight = 0
  /**
   * The last message kind we sent from a state of ours to a fixed state, the two states and the
   * agency of the second: the same kind sent again from the same state is checked by this alone (a
   * run of blocks, a burst of headers; the facts are the transition table's, never a message's).
   */
  private sentTag: string | undefined = undefined
  private sentFrom = ""
  private sentTo = ""
  private sentToAgency: Agency = "nobody"
  /**
   * The same of the last message of theirs applied, with the byte limit of the state it came in: a
   * run of blocks or answers, with nothing held on either side, checked by this alone.
   */
  private recvTag: string | undefined = undefined
  private recvFrom = ""
  private recvTo = ""
  private recvToAgency: Agency = "nobody"
  private recvLimit: number | undefined = undefined
  private readonly random: Random.Random

  constructor(protocol: Protocol<M>, role: Role, random: Random.Random) {
    this.protocol = protocol
    this.role = role
    this.random = random
    this.state = protocol.initialState
    this.ours = role === "initiator" ? "client" : "server"
    this.theirs = role === "initiator" ? "server" : "client"
    this.table = tableOf(protocol)
  }

  private agencyOf(s: string): Agency {
    return this.protocol.states[s]?.agency ?? "nobody"
  }

  private violation(kind: ProtocolViolation["kind"], detail: string): Step<M> {
    return { _tag: "Violation", error: new ProtocolViolation({ protocol: this.protocol.name, state: this.state, kind, detail }) }
  }

  private move(message: M, from: string = this.state): string | undefined {
    const t = this.table.moves.get(from)?.get(message._tag)
    if (t === undefined) return undefined
    return typeof t.to === "string" ? t.to : t.to(message)
  }

  /**
   * Applies a message of theirs in the current state (they have the agency); the violation if it may
   * not be. A move to a fixed state is remembered for {@link recvAgain}.
   */
  private applyTheirs(message: M, size: number): Step<M> | undefined {
    const from = this.state
    const limit = this.protocol.states[from]?.byteLimit
    if (limit !== undefined && size > limit) {
      return this.violation("ByteLimit", `${message._tag} of ${size} bytes is over the limit of ${limit}`)
    }
    const t = this.table.moves.get(from)?.get(message._tag)
    if (t === undefined) return this.violation("UnexpectedMessage", `${message._tag} is not allowed here`)
    const next = typeof t.to === "string" ? t.to : t.to(message)
    const agency = this.agencyOf(next)
    if (typeof t.to === "string") {
      this.recvTag = message._tag
      this.recvFrom = from
      this.recvTo = next
      this.recvToAgency = agency
      this.recvLimit = limit
    }
    this.state = next
    if (agency !== this.theirs && this.inFlight > 0) this.inFlight--
    return undefined
  }

  /** Applies as much as can be applied: our queued sends when we have agency, theirs when they have it. */
  private settle(delivered: Array<M>): Step<M> {
    while (true) {
      const agency = this.agencyOf(this.state)
      if (agency === this.ours && this.outbox !== undefined && this.outbox.length > 0) {
        const message = this.outbox.shift()!
        const next = this.move(message)
        if (next === undefined) return this.violation("UnexpectedMessage", `our pipelined ${message._tag} is not allowed`)
        this.state = next
        if (this.agencyOf(this.state) === this.theirs) this.inFlight++
        continue
      }
      if (agency === this.theirs && this.inbox !== undefined && this.inbox.length > 0) {
        const [message, size] = this.inbox.shift()!
        this.held -= size + HELD_MESSAGE_CHARGE
        const refused = this.applyTheirs(message, size)
        if (refused !== undefined) return refused
        delivered.push(message)
        continue
      }
      return { _tag: "Deliver", messages: delivered }
    }
  }

  send(message: M): Step<M> {
    if (message._tag === this.sentTag && this.state === this.sentFrom && (this.outbox === undefined || this.outbox.length === 0)) {
      this.state = this.sentTo
      if (this.sentToAgency !== this.theirs) return NOTHING
      this.inFlight++
      return this.inbox === undefined || this.inbox.length === 0 ? NOTHING : this.settle([])
    }
    const sender = this.table.senders.get(message._tag)
    if (sender !== this.ours) {
      return this.violation("Agency", `we may not send ${message._tag} as the ${this.role}`)
    }
    if (this.agencyOf(this.state) === this.ours && (this.outbox === undefined || this.outbox.length === 0)) {
      const t = this.table.moves.get(this.state)?.get(message._tag)
      if (t === undefined) return this.violation("UnexpectedMessage", `our ${message._tag} is not allowed`)
      const next = typeof t.to === "string" ? t.to : t.to(message)
      const agency = this.agencyOf(next)
      if (typeof t.to === "string") {
        this.sentTag = message._tag
        this.sentFrom = this.state
        this.sentTo = next
        this.sentToAgency = agency
      }
      this.state = next
      if (agency === this.theirs) this.inFlight++
      // their early messages apply only once they have the agency: otherwise nothing to settle (a
      // block of a batch, a request with nothing of theirs waiting)
      if (agency !== this.theirs || this.inbox === undefined || this.inbox.length === 0) return NOTHING
      return this.settle([])
    }
    if (this.agencyOf(this.state) === "nobody") return this.violation("UnexpectedMessage", `${message._tag} after the protocol ended`)
    if (this.inFlight + (this.outbox?.length ?? 0) >= this.protocol.maxInFlight) {
      return this.violation("Pipelining", `more than ${this.protocol.maxInFlight} requests in flight`)
    }
    ;(this.outbox ??= []).push(message)
    return this.settle([])
  }

  sendAgain(message: M): boolean {
    return message._tag === this.sentTag && this.state === this.sentFrom && this.sentTo === this.sentFrom &&
      this.sentToAgency === this.ours && (this.outbox === undefined || this.outbox.length === 0)
  }

  recvAgain(message: M, size: number): boolean {
    if (
      message._tag !== this.recvTag || this.state !== this.recvFrom || (this.recvLimit !== undefined && size > this.recvLimit) ||
      (this.inbox !== undefined && this.inbox.length > 0) || (this.outbox !== undefined && this.outbox.length > 0)
    ) return false
    this.state = this.recvTo
    if (this.recvToAgency !== this.theirs && this.inFlight > 0) this.inFlight--
    return true
  }

  recv(message: M, size: number): Step<M> {
    if (this.recvAgain(message, size)) return { _tag: "Deliver", messages: [message] }
    const sender = this.table.senders.get(message._tag)
    if (sender !== this.theirs) {
      return this.violation("Agency", `${message._tag} may only be sent by the ${sender ?? "nobody"}`)
    }
    const agency = this.agencyOf(this.state)
    if (agency === "nobody") return this.violation("UnexpectedMessage", `${message._tag} after the protocol ended`)
    if (agency === this.ours) {
      // a pipelining peer (we have the agency): keep it until our answer gives the agency back, if
      // some answer of ours can make it allowed (how many wait is bounded by the ingress limit)
      const next = new Set<string>()
      for (const s of this.inbox === undefined || this.inbox.length === 0 ? [this.state] : this.ahead) {
        for (const r of reachOf(this.protocol, this.table, this.ours, s)) {
          const to = this.move(message, r)
          if (to !== undefined) next.add(to)
        }
      }
      if (next.size === 0) {
        return this.violation("UnexpectedMessage", `${message._tag} is not allowed here, nor after any answer of ours`)
      }
      this.ahead = [...next]
      ;(this.inbox ??= []).push([message, size])
      this.held += size + HELD_MESSAGE_CHARGE
      return { _tag: "Deliver", messages: [] }
    }
    if ((this.inbox === undefined || this.inbox.length === 0) && (this.outbox === undefined || this.outbox.length === 0)) {
      // nothing held on either side (a block of a batch, an answer to our one request): applied at
      // once, as settle would, without passing through the inbox
      return this.applyTheirs(message, size) ?? { _tag: "Deliver", messages: [message] }
    }
    ;(this.inbox ??= []).push([message, size])
    this.held += size + HELD_MESSAGE_CHARGE
    return this.settle([])
  }

  timeout(): number | undefined {
    if (this.agencyOf(this.state) !== this.theirs || (this.inbox !== undefined && this.inbox.length > 0)) return undefined
    return drawTimeout(this.protocol.states[this.state]?.timeout, this.random)
  }

  byteLimit(): number | undefined {
    return this.protocol.states[this.state]?.byteLimit
  }

  heldBytes(): number {
    return this.held
  }

  done(): boolean {
    return this.agencyOf(this.state) === "nobody"
  }
}
