/**
 * The one generic protocol driver: it runs any {@link Protocol} table for one side of one
 * mini-protocol instance and checks every message against it. It is pure (no IO, no clock): the
 * multiplexer calls it for each message sent and received and arms the timer it asks for.
 *
 * - A received message from the side without agency is an `Agency` violation; one not allowed in the
 *   state is `UnexpectedMessage`; one over the state's byte limit is `ByteLimit`.
 * - Messages that arrive while we have agency (a pipelining peer) wait, in order, until our reply
 *   gives the agency back; they are checked then.
 * - Our own messages sent while the peer has agency are pipelined: they wait, in order, and are
 *   applied as soon as the state gives us agency again, up to `protocol.maxInFlight` requests.
 *
 * @since 0.1.0
 */
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
  /** How long to wait for the peer now (ms), or `undefined` when nothing is awaited or no limit applies. */
  readonly timeout: () => number | undefined
  /** The byte limit of the state in which the next received message will be checked. */
  readonly byteLimit: () => number | undefined
  /** Whether the instance reached a terminal state. */
  readonly done: () => boolean
}

/**
 * Which side sends a message kind, read off the transition table.
 *
 * @category utils
 * @since 0.1.0
 */
export const senderOf = <M extends Message>(protocol: Protocol<M>, tag: string): Agency | undefined => {
  for (const t of protocol.transitions) {
    if (t.message === tag) return protocol.states[t.from]?.agency
  }
  return undefined
}

/**
 * Makes a driver in the protocol's initial state.
 *
 * @example
 * ```ts
 * import { Driver } from "@pallas-network2/core/protocol/Driver"
 * // const driver = Driver.make(KeepAlive.protocol, "initiator")
 * // driver.send(KeepAlive.keepAlive(42)); driver.recv(KeepAlive.response(42), 4)
 * ```
 *
 * @category constructors
 * @since 0.1.0
 */
export const make = <M extends Message>(protocol: Protocol<M>, role: Role): Driver<M> => {
  const ours: Agency = role === "initiator" ? "client" : "server"
  const theirs: Agency = role === "initiator" ? "server" : "client"
  // transitions by state then message tag
  const table = new Map<string, Map<string, Protocol<M>["transitions"][number]>>()
  for (const t of protocol.transitions) {
    let byTag = table.get(t.from)
    if (byTag === undefined) table.set(t.from, byTag = new Map())
    byTag.set(t.message, t)
  }
  let state = protocol.initialState
  const outbox: Array<M> = [] // our pipelined messages, not yet applied
  const inbox: Array<readonly [M, number]> = [] // their early messages, not yet checked
  let inFlight = 0 // our requests whose answers are still due

  const agencyOf = (s: string): Agency => protocol.states[s]?.agency ?? "nobody"
  const violation = (kind: ProtocolViolation["kind"], detail: string): Step<M> => ({
    _tag: "Violation",
    error: new ProtocolViolation({ protocol: protocol.name, state, kind, detail })
  })
  const move = (message: M): string | undefined => {
    const t = table.get(state)?.get(message._tag)
    if (t === undefined) return undefined
    return typeof t.to === "string" ? t.to : t.to(message)
  }

  // Apply as much as can be applied: our queued sends when we have agency, their queued messages
  // when they have it.
  const settle = (delivered: Array<M>): Step<M> => {
    while (true) {
      const agency = agencyOf(state)
      if (agency === ours && outbox.length > 0) {
        const message = outbox.shift()!
        const next = move(message)
        if (next === undefined) return violation("UnexpectedMessage", `our pipelined ${message._tag} is not allowed`)
        state = next
        if (agencyOf(state) === theirs) inFlight++
        continue
      }
      if (agency === theirs && inbox.length > 0) {
        const [message, size] = inbox.shift()!
        const limit = protocol.states[state]?.byteLimit
        if (limit !== undefined && size > limit) {
          return violation("ByteLimit", `${message._tag} of ${size} bytes is over the limit of ${limit}`)
        }
        const next = move(message)
        if (next === undefined) return violation("UnexpectedMessage", `${message._tag} is not allowed here`)
        state = next
        if (agencyOf(state) !== theirs && inFlight > 0) inFlight--
        delivered.push(message)
        continue
      }
      return { _tag: "Deliver", messages: delivered }
    }
  }

  return {
    protocol,
    role,
    get state() {
      return state
    },
    send: (message) => {
      const sender = senderOf(protocol, message._tag)
      if (sender !== ours) {
        return violation("Agency", `we may not send ${message._tag} as the ${role}`)
      }
      if (agencyOf(state) === ours && outbox.length === 0) {
        const next = move(message)
        if (next === undefined) return violation("UnexpectedMessage", `our ${message._tag} is not allowed`)
        state = next
        if (agencyOf(state) === theirs) inFlight++
        return settle([])
      }
      if (agencyOf(state) === "nobody") return violation("UnexpectedMessage", `${message._tag} after the protocol ended`)
      if (inFlight + outbox.length >= protocol.maxInFlight) {
        return violation("Pipelining", `more than ${protocol.maxInFlight} requests in flight`)
      }
      outbox.push(message)
      return settle([])
    },
    recv: (message, size) => {
      const sender = senderOf(protocol, message._tag)
      if (sender !== theirs) {
        return violation("Agency", `${message._tag} may only be sent by the ${sender ?? "nobody"}`)
      }
      const agency = agencyOf(state)
      if (agency === "nobody") return violation("UnexpectedMessage", `${message._tag} after the protocol ended`)
      if (agency === ours) {
        // a pipelining peer: keep it until our answer gives the agency back
        inbox.push([message, size])
        return { _tag: "Deliver", messages: [] }
      }
      inbox.push([message, size])
      return settle([])
    },
    timeout: () => {
      if (agencyOf(state) !== theirs || inbox.length > 0) return undefined
      const t = protocol.states[state]?.timeout
      if (t === undefined || typeof t === "number") return t
      return t[0] + Math.floor(Math.random() * (t[1] - t[0] + 1))
    },
    byteLimit: () => protocol.states[state]?.byteLimit,
    done: () => agencyOf(state) === "nobody"
  }
}
