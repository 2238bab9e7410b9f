/**
 * One connection's multiplexer. In the connection's scope it runs one reader fiber (segments in:
 * reassembly, CBOR framing, decoding, the protocol drivers), a writer fiber while there is
 * something to write (segments out, round-robin between protocol instances, batched writes) and one
 * fiber per protocol instance in use (delivery). An instance whose channel has carried no message
 * yet (or whose protocol ended) holds no fiber, no queue and no framer; the timeouts its initial
 * state arms, and every other deadline of the connection, are watched by one timer (a pool's, shared
 * by all its connections; a multiplexer made alone has its own). A fault ends the connection with
 * one typed error; other connections never notice.
 *
 * @since 0.1.0
 */
import * as Clock from "effect/Clock"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Random from "effect/Random"
import * as Result from "effect/Result"
import type { SchedulerDispatcher } from "effect/Scheduler"
import * as Scope from "effect/Scope"
import type * as Context from "effect/Context"
import * as Fiber from "effect/Fiber"
import * as Segment from "../bearer/Segment.ts"
import type { Message } from "../Message.ts"
import { Slab } from "../internal/slab.ts"
import { DEFAULT_SDU_SIZE, MAX_SEGMENT_PAYLOAD_LENGTH, type Role } from "../Primitives.ts"
import { type ConnectionError, MuxError, ProtocolViolation, TransportError } from "../ProtocolError.ts"
import * as Driver from "../protocol/Driver.ts"
import type { Protocol } from "../protocol/Protocol.ts"
import { wrappedHeadLength, writeWrappedHead } from "../protocol/internal/raw.ts"
import { Framer, FREE_SEGMENTS, MIN_AVERAGE_SEGMENT as MIN_AVERAGE } from "./internal/Framer.ts"
import { Mailbox } from "./internal/Mailbox.ts"
import { Timers, type Watched } from "./internal/Timers.ts"
import { type MuxMeter, muxMeter, noMeter } from "../internal/observability.ts"

/**
 * The byte pipe under a connection: `read` gives the next pieces (`undefined` at a clean end of
 * stream), `write` sends pieces in order.
 *
 * @category models
 * @since 0.1.0
 */
export interface Bearer {
  readonly read: Effect.Effect<ReadonlyArray<Uint8Array> | undefined, TransportError>
  readonly write: (chunks: ReadonlyArray<Uint8Array>) => Effect.Effect<void, TransportError>
  /**
   * Defers the start of a writer (optional; by default it starts at the first message sent). A
   * socket bearer passes `queueMicrotask`: everything the current event made the behavior send is
   * queued before the writer looks, without the delay of a scheduler turn. Not for a bearer run
   * under TestClock, whose fibers may never let a microtask run.
   */
  readonly deferWriter?: (start: () => void) => void
  /**
   * Whether `write` completes only once the bearer is done with the bytes it was given (a socket:
   * handed to the kernel). The multiplexer then writes the writes over 64 kB of a burst from one
   * buffer it reuses, taken from a pool shared by every connection while it writes (a new buffer per
   * 128 kB write cost a plain sender 1.7 to 2.5 us more per 1.5 kB: allocation, page faults and
   * GC; docs/BENCHMARKS.md item 25); smaller writes are pieces of a shared slab either way. A bearer
   * that hands the arrays on as they are (an in-memory pair delivers them to the peer) leaves it
   * unset.
   */
  readonly writesCopied?: boolean
  /**
   * Writes `chunks` at once (optional): `undefined` when the bearer was done with them within the
   * call (a socket: the kernel took every byte), else an effect that completes when it is, as
   * `write`'s would. With it a burst that fits one write (the answer to a request, a keep-alive) is
   * written and reported from the turn that sent it, with no writer fiber (docs/BENCHMARKS.md,
   * item 34); a write that has to wait gets the writer as before.
   */
  readonly writeNow?: (chunks: ReadonlyArray<Uint8Array>) => Effect.Effect<void, TransportError> | undefined
}

/**
 * Options of {@link make}.
 *
 * @category models
 * @since 0.1.0
 */
export interface MuxOptions {
  /** The mini-protocols this connection runs. */
  readonly protocols: ReadonlyArray<Protocol<any>>
  /** Which sides run: our client halves (initiator), our server halves (responder), or both (duplex). */
  readonly initiator: boolean
  readonly responder: boolean
  /** Who runs the client half of the handshake (channel 0): the side that dialled. */
  readonly handshakeRole: Role
  /** Payload bytes per segment sent. Default 12 288. */
  readonly sduSize?: number | undefined
  /**
   * Time for a started segment to arrive whole (ms), and for a write to complete: during the handshake,
   * then after. Default 10 s / 30 s.
   */
  readonly sduTimeout?: { readonly handshake: number; readonly after: number } | undefined
  /** Whole messages received, in order, per instance. */
  readonly onReceive: (messages: ReadonlyArray<Message>) => Effect.Effect<void>
  /**
   * Whole messages received, handed over at once if that needs no wait (optional): `true` when they
   * were taken, `false` when they must go through `onReceive`. The reader then delivers a read's batch
   * itself, a scheduler turn earlier, whenever nothing of that instance is still on its way.
   */
  readonly tryReceive?: (messages: ReadonlyArray<Message>) => boolean
  /** Messages written out, in order: those of one write (an array made for the call, which it may keep). */
  readonly onSent: (messages: ReadonlyArray<Message>) => Effect.Effect<void>
  /**
   * Messages written out, reported at once if that needs no wait (optional): `true` when taken,
   * `false` when they must go through `onSent`.
   */
  readonly trySent?: (messages: ReadonlyArray<Message>) => boolean
  /** Bytes arrived (for idle tracking). */
  readonly onActivity?: () => void
  /**
   * The timer that watches this connection's deadlines, shared by the connections of a pool (see
   * `ConnectionPool`); by default the multiplexer has a timer of its own.
   *
   * @internal
   */
  readonly timers?: Timers
}

/**
 * A running multiplexer.
 *
 * @category models
 * @since 0.1.0
 */
export interface Mux {
  /** Checks a message against its protocol's driver, then queues it for writing. */
  readonly send: (message: Message) => Effect.Effect<void>
  /** {@link send} for each message in order, in one step (a message the driver refuses closes the connection; those after it are not sent). */
  readonly sendAll: (messages: ReadonlyArray<Message>) => Effect.Effect<void>
  /** Completes with the connection's end: a clean close, or the error that closed it. */
  readonly closed: Effect.Effect<void, ConnectionError>
  /**
   * The instances that run a fiber now, as `protocol side` (e.g. `keep-alive responder`); the
   * others sleep. For tests and diagnostics.
   */
  readonly awake: () => ReadonlyArray<string>
}

/** Messages framed, decoded and stepped through the driver by the reader, for an instance to deliver. */
interface Batch {
  readonly messages: Array<Message>
  /** Their encoded size, counted against the protocol's ingress limit until delivered. */
  readonly bytes: number
}

/**
 * A message waiting to be written: its encoded bytes in pieces (a large byte string of the message is
 * a piece of its own, not copied: `Protocol.encodePieces`), or, for `[tag, #6.24(body)]` (a block:
 * `Protocol.encodeWrapped`), two pieces of which the first, the head, is written from `tag` and the
 * body's length as it is copied out; and how far they went out already (a message longer than a
 * segment goes out in several).
 */
interface Outgoing {
  readonly pieces: ReadonlyArray<Uint8Array> | undefined
  body: Uint8Array | undefined
  tag: number
  /** The piece being written, and the bytes of it already written. */
  piece: number
  at: number
  message: Message
  /**
   * A run of wrapped messages of one kind queued as this one entry (a batch's blocks: `sendAll`):
   * `message` is `run[next - 1]`, and the messages from `next` to `end` follow it, each made the
   * entry's message as the one before is written; the entry (and the run's array) goes when the
   * last is written. `undefined` for a message of its own.
   */
  run: ReadonlyArray<Message> | undefined
  next: number
  end: number
}

/**
 * One side of one mini-protocol on this connection. What it holds beyond its driver is made when
 * first needed (its framer at its first payload, its queue and fiber at its first message): a
 * connection keeps an instance of every protocol it runs, most of them idle.
 */
class Instance {
  readonly protocol: Protocol<any>
  private made: Driver.Driver<any> | undefined = undefined
  private readonly random: Random.Random
  readonly role: Role
  /**
   * Batches not yet delivered; `undefined` while the instance sleeps (no message received yet, or its
   * protocol ended): it then runs no fiber either.
   */
  ingress: Mailbox<Batch> | undefined = undefined
  /** The bytes of the batches {@link ingress} holds. */
  ingressBytes = 0
  /** Frames the payload bytes the reader hands over; holds a message still arriving. Made at the first payload, dropped when the instance sleeps. */
  framer: Framer | undefined = undefined
  /** What the current read gave this instance: whole messages stepped through the driver, their bytes, segment bytes in all (headers included). */
  batch: Array<Message> | undefined = undefined
  batchBytes = 0
  readBytes = 0
  /** Whether the current read touched this instance. */
  touched = false
  /**
   * Messages waiting to be written (made at the first) from {@link egressHead} on, and their bytes
   * not written yet. Written messages are dropped from the front when the queue empties (or when they
   * are most of it), not one `shift` each.
   */
  egress: Array<Outgoing | undefined> | undefined = undefined
  egressHead = 0
  egressBytes = 0
  /** When the peer's next message is due (Clock ms; the connection's one timer watches it). */
  deadline: number | undefined = undefined
  /** The state {@link deadline} was armed in. */
  waitingIn: string | undefined = undefined
  /** Whether the instance's fiber holds batches it took and has not delivered yet. */
  delivering = false
  /** Set while the reader waits for {@link ingress} to drain below half the ingress limit. */
  drained: Deferred.Deferred<void> | undefined = undefined
  /** Its fiber while it is awake. */
  fiber: Fiber.Fiber<unknown> | undefined = undefined

  constructor(protocol: Protocol<any>, role: Role, random: Random.Random) {
    this.protocol = protocol
    this.role = role
    this.random = random
  }

  /** Its driver, made at its first message either way (its initial state's wait is armed without it). */
  get driver(): Driver.Driver<any> {
    return this.made ??= Driver.make(this.protocol, this.role, this.random)
  }
}

/** What every connection over the same protocol list shares: the protocols by name. */
interface Shared {
  readonly byName: ReadonlyMap<string, Protocol<any>>
  readonly handshake: boolean
  /** One more than the highest protocol number. */
  readonly channels: number
}
const sharedOf = new WeakMap<ReadonlyArray<Protocol<any>>, Shared>()
const shared = (protocols: ReadonlyArray<Protocol<any>>): Shared => {
  let s = sharedOf.get(protocols)
  if (s === undefined) {
    s = {
      byName: new Map(protocols.map((p) => [p.name, p])),
      handshake: protocols.some((p) => p.channel === 0),
      channels: protocols.reduce((n, p) => Math.max(n, p.channel + 1), 0)
    }
    sharedOf.set(protocols, s)
  }
  return s
}

/** A side's instances by protocol number, in an array of the size it needs (empty if the side does not run). */
const bySide = (instances: ReadonlyArray<Instance>, role: Role, channels: number): Array<Instance | undefined> => {
  if (!instances.some((i) => i.role === role)) return []
  const out = new Array<Instance | undefined>(channels)
  for (const i of instances) if (i.role === role) out[i.protocol.channel] = i
  return out
}

/**
 * About the most one write carries. 256 kB rather than 128: a plain sender's CPU per byte falls as its
 * writes grow (`bench/probes.ts writes 3 131072,262144,524288`: 128 kB 0.58 to 1.32 µs per 1.5 kB,
 * 256 kB 0.39 to 0.86), and the responder alone moved 15 % more bytes with it (docs/BENCHMARKS.md,
 * item 38).
 */
const WRITE_BATCH = 262_144

/** What the writer fiber does first after `writeAtOnce`: wait for its write (if any), report its messages. */
interface FirstWrite {
  readonly pending: Effect.Effect<void, TransportError> | undefined
  readonly bytes: number
  readonly sent: Array<Message>
}
/** `writeAtOnce` wrote and reported the whole burst. */
const DONE = 1 as const
/** An empty batch: wakes an instance to look at its driver (its protocol ended). */
const NO_MESSAGES: Batch = { messages: [], bytes: 0 }
/**
 * Bytes that may wait to be written on one connection. A peer that stops reading is closed when its
 * backlog passes this, rather than holding every other connection back (sends never block the
 * caller, which serves all peers) or growing without bound.
 */
const EGRESS_LIMIT = 64 * 1024 * 1024
/**
 * A message may take this many segments whatever their size; beyond it, its segments must carry
 * {@link MIN_AVERAGE_SEGMENT} payload bytes on average, or the peer is closed (`IngressOverrun`).
 * An honest peer fills its segments (12 288 bytes on TCP); the last and first pieces of a message
 * may be small.
 *
 * @category constants
 * @since 0.1.0
 */
export const FREE_SEGMENTS_PER_MESSAGE: number = FREE_SEGMENTS
/**
 * The average payload, in bytes, that a message's segments must carry beyond the first
 * {@link FREE_SEGMENTS_PER_MESSAGE}.
 *
 * @category constants
 * @since 0.1.0
 */
export const MIN_AVERAGE_SEGMENT: number = MIN_AVERAGE
const DEFAULT_SDU_TIMEOUT = { handshake: 10_000, after: 30_000 }

/**
 * One connection's multiplexer: its state in one object, its loops (reader, writer, timer, instance
 * delivery) functions of it shared by every connection, so that a connection costs its data and
 * its fibers, not a set of closures.
 */
class MuxImpl implements Mux, Segment.SegmentSink, Watched {
  readonly bearer: Bearer
  readonly options: MuxOptions
  readonly sduSize: number
  readonly sduTimeout: { readonly handshake: number; readonly after: number }
  readonly done: Deferred.Deferred<void, ConnectionError>
  readonly closed: Effect.Effect<void, ConnectionError>
  readonly clock: Clock.Clock
  readonly started: number
  /**
   * The connection's context: its writer (started by any fiber that sends) runs in it. Its fibers are
   * the multiplexer's own (not registered in the scope one by one): closing the scope ends them.
   */
  readonly context: Context.Context<never>
  reader: Fiber.Fiber<unknown> | undefined = undefined
  /** The writer while it has something to write; the next message sent starts one. */
  writer: Fiber.Fiber<unknown, unknown> | undefined = undefined
  /** A writer is about to start: asked for, its fiber not begun yet (see {@link startWriter}). */
  writerSoon = false
  /**
   * Starts the writer. Its fiber names itself the writer as it begins (a writer that finds its work
   * done within the fork must not be recorded after it cleared the field), and until then
   * {@link writerSoon} keeps a second one from being asked for.
   */
  readonly startWriter = (): void => {
    if (this.writer !== undefined || this.closing) {
      this.writerSoon = false
      return
    }
    const first = this.writeAtOnce()
    if (first === DONE) {
      this.writerSoon = false
      return
    }
    Effect.runForkWith(this.context)(Effect.withFiber((fiber) => {
      this.writerSoon = false
      this.writer = fiber
      return writerLoop(this, first)
    }))
  }
  /**
   * A burst that fits one slab piece, written within this call where the bearer can (`writeNow`,
   * and the writer was deferred: everything the event sent is queued) and reported where the pool
   * takes it at once (`trySent`): {@link DONE}. Otherwise what the writer fiber still has to do
   * first (a write to wait for, messages to report), or `undefined` when the burst is not one for
   * this call (no `writeNow`, no deferred start, or over 64 kB).
   */
  private writeAtOnce(): FirstWrite | typeof DONE | undefined {
    if (this.bearer.writeNow === undefined || this.bearer.deferWriter === undefined || this.egressBytes + this.instances.length * Segment.HEADER_LENGTH > SLAB_WRITE) return undefined
    const sent: Array<Message> = []
    const out = collect(this, sent, undefined)
    if (out === undefined) return DONE
    // a burst of at most 64 kB is one collect's whole: nothing of it is left queued
    const pending = issueWrite(this.bearer, out)
    if (pending !== undefined) return { pending, bytes: out.length, sent }
    this.meter.wrote(out.length)
    return sent.length > 0 && (this.options.trySent === undefined || !this.options.trySent(sent)) ? { pending, bytes: 0, sent } : DONE
  }
  /** The scope closed: nothing starts any more. */
  closing = false
  readonly byName: ReadonlyMap<string, Protocol<any>>
  /** Instances by protocol number, per side (arrays of the size they need). */
  readonly initiators: Array<Instance | undefined>
  readonly responders: Array<Instance | undefined>
  readonly instances: Array<Instance>
  handshaking: boolean
  meter: MuxMeter = noMeter

  // ---- egress
  /** Where the hand-offs between the connection's fibers resume the one that waits. */
  readonly dispatcher: SchedulerDispatcher
  egressBytes = 0
  egressIndex = 0

  // ---- the connection's deadlines (each instance's wait for the peer, the write in progress, the
  // segment being read), watched by one timer (the pool's: one for all its connections). The
  // connection is in it at the earliest it has registered; a deadline that moves later costs nothing
  // (the timer wakes, asks for the earliest now, and puts the connection back), one set earlier
  // moves it up.
  readonly timers: Timers
  /** Where the connection is in {@link timers} (Infinity: not in it). */
  timerAt = Infinity
  timerIndex = 0
  writeDeadline: number | undefined = undefined
  writeTimeout = 0
  segmentDeadline: number | undefined = undefined
  /** While the reader holds back for backpressure, the peer cannot be heard: only writes are timed. */
  paused = false

  // ---- ingress
  readonly segments = new Segment.SegmentReader()
  /**
   * The segment in progress (by its number in the stream) and when its first byte arrived: the
   * timeout runs from there to its last byte, however the bytes trickle in (as the reference's SDU
   * read timeout).
   */
  partial = -1
  partialSince = 0
  readonly touched: Array<Instance> = []
  readonly framed: Array<Uint8Array> = []
  /** Why the current read stopped early: the connection's error. */
  stop: ConnectionError | undefined = undefined

  constructor(
    bearer: Bearer,
    options: MuxOptions,
    done: Deferred.Deferred<void, ConnectionError>,
    dispatcher: SchedulerDispatcher,
    timers: Timers,
    clock: Clock.Clock,
    context: Context.Context<never>,
    random: Random.Random
  ) {
    this.bearer = bearer
    this.options = options
    this.sduSize = options.sduSize ?? DEFAULT_SDU_SIZE
    this.sduTimeout = options.sduTimeout ?? DEFAULT_SDU_TIMEOUT
    this.done = done
    this.closed = Deferred.await(done)
    this.dispatcher = dispatcher
    this.timers = timers
    this.clock = clock
    this.context = context
    this.started = clock.currentTimeMillisUnsafe()
    const s = shared(options.protocols)
    this.byName = s.byName
    this.handshaking = s.handshake
    const instances: Array<Instance> = []
    const add = (protocol: Protocol<any>, role: Role) => {
      const instance = new Instance(protocol, role, random)
      // the initial state's timeout (a responder awaiting the proposal, the first request) runs from now
      const t = Driver.initialTimeout(protocol, role, random)
      if (t !== undefined) {
        instance.deadline = this.started + t
        instance.waitingIn = protocol.initialState
      }
      instances.push(instance)
    }
    for (const protocol of options.protocols) {
      if (protocol.channel === 0) add(protocol, options.handshakeRole)
      else {
        if (options.initiator) add(protocol, "initiator")
        if (options.responder) add(protocol, "responder")
      }
    }
    this.instances = instances.slice()
    this.initiators = bySide(instances, "initiator", s.channels)
    this.responders = bySide(instances, "responder", s.channels)
  }

  now(): number {
    return this.clock.currentTimeMillisUnsafe()
  }

  fail(error: ConnectionError): Effect.Effect<boolean> {
    return Deferred.fail(this.done, error)
  }

  awake(): ReadonlyArray<string> {
    return this.instances.filter((i) => i.ingress !== undefined).map((i) => `${i.protocol.name} ${i.role}`)
  }

  /** The bytes of every instance's queued batches (for the meter). */
  ingressWaiting(): number {
    let n = 0
    for (const i of this.instances) n += i.ingressBytes
    return n
  }

  segmentTimeout(): number {
    return this.handshaking ? this.sduTimeout.handshake : this.sduTimeout.after
  }

  /**
   * Starts a new wait for the peer where the instance's state calls for one: a state of theirs with a
   * timeout, entered since the last wait (or the peer answered since). Returns the new deadline.
   */
  rearm(instance: Instance): number | undefined {
    const state = instance.driver.state
    const t = instance.driver.timeout()
    if (t === undefined) {
      instance.deadline = undefined
      instance.waitingIn = undefined
      return undefined
    }
    if (instance.waitingIn !== state || instance.deadline === undefined) {
      instance.waitingIn = state
      instance.deadline = this.now() + t
      return instance.deadline
    }
    return undefined
  }

  send(message: Message): Effect.Effect<void> {
    return Effect.suspend(() => this.sendNow(message))
  }

  /** Set by {@link sendNow} when a message closed the connection. */
  private refused = false
  private refuse(error: ConnectionError): Effect.Effect<boolean> {
    this.refused = true
    return this.fail(error)
  }

  sendAll(messages: ReadonlyArray<Message>): Effect.Effect<void> {
    return Effect.suspend(() => {
      this.refused = false
      let after: Array<Effect.Effect<unknown>> | undefined
      for (let i = 0; i < messages.length && !this.refused;) {
        const e = this.sendNow(messages[i]!)
        if (e !== Effect.void) (after ??= []).push(e)
        if (this.refused) break
        i = this.queueRun(messages, i)
        if (this.egressBytes > EGRESS_LIMIT) {
          ;(after ??= []).push(this.refuse(new TransportError({ detail: `the peer is not reading: ${this.egressBytes} bytes wait to be sent` })))
          break
        }
      }
      return after === undefined ? Effect.void : after.length === 1 ? Effect.asVoid(after[0]!) : Effect.asVoid(Effect.all(after, { discard: true }))
    })
  }

  /**
   * The entry {@link sendNow} queued last, while more of its kind may join it ({@link queueRun}): a
   * wrapped message (whether the ones after it may go is the driver's `sendAgain`, asked for each).
   */
  private runnable: Outgoing | undefined = undefined

  /**
   * After `messages[i]` was sent: the messages of its kind that follow it in `messages` and that its
   * driver lets go in the same state (a batch's blocks) join its queue entry, each with no entry,
   * step or lookup of its own. The index of the first message not queued (the caller checks the
   * egress limit after it).
   */
  private queueRun(messages: ReadonlyArray<Message>, i: number): number {
    const entry = this.runnable
    this.runnable = undefined
    const instance = this.sentInstance
    // still queued (no writer ran since it was: a writer starts once what runs now has run)
    if (entry === undefined || instance === undefined || instance.egress![instance.egress!.length - 1] !== entry) return i + 1
    const first = messages[i]!
    const driver = instance.driver
    const encodeWrapped = instance.protocol.encodeWrapped!
    let j = i + 1
    let bytes = 0
    for (; j < messages.length; j++) {
      const m = messages[j]!
      if (m._tag !== first._tag || m.protocol !== first.protocol || !driver.sendAgain(m)) break
      const wrapped = encodeWrapped(m)
      if (wrapped === undefined) break
      bytes += wrappedHeadLength(wrapped.bytes.length) + wrapped.bytes.length
    }
    if (j === i + 1) return j
    entry.run = messages
    entry.next = i + 1
    entry.end = j
    instance.egressBytes += bytes
    this.egressBytes += bytes
    return j
  }

  /** The instance the last message sent went to, and that message's protocol and kind (a run of one kind looks its instance up once). */
  private sentInstance: Instance | undefined = undefined
  private sentProtocol = ""
  private sentTag = ""

  /** The instance that sends `message`: the one of the message before when of the same kind. */
  private senderInstance(message: Message): Instance | MuxError {
    if (message._tag === this.sentTag && message.protocol === this.sentProtocol) return this.sentInstance!
    const protocol = this.byName.get(message.protocol)
    if (protocol === undefined) return new MuxError({ reason: "UnknownProtocol", detail: `this connection does not run ${message.protocol}` })
    const sender = Driver.senderOf(protocol, message._tag)
    const instance = (sender === "client" ? this.initiators : this.responders)[protocol.channel]
    if (instance === undefined) {
      return new MuxError({ reason: "WrongDirection", detail: `${message.protocol} ${message._tag}: the ${sender === "client" ? "initiator" : "responder"} side is not running` })
    }
    this.sentInstance = instance
    this.sentProtocol = message.protocol
    this.sentTag = message._tag
    return instance
  }

  private sendNow(message: Message): Effect.Effect<void> {
    this.runnable = undefined
    const instance = this.senderInstance(message)
    if (!(instance instanceof Instance)) return this.refuse(instance)
    const protocol = instance.protocol
    const step = instance.driver.send(message)
    if (step._tag === "Violation") return this.refuse(step.error)
    // a new state may start a wait for the peer (a responder streaming blocks stays in one state)
    const at = this.rearm(instance)
    // our last message ended the protocol: its awake instance goes to sleep (an empty batch wakes it to look)
    if (instance.ingress !== undefined && instance.driver.done()) instance.ingress.offer(NO_MESSAGES)
    const wrapped = protocol.encodeWrapped?.(message)
    let length = 0
    if (wrapped !== undefined) {
      const body = wrapped.bytes
      length = wrappedHeadLength(body.length) + body.length
      const entry: Outgoing = { pieces: undefined, body, tag: wrapped.tag, piece: 0, at: 0, message, run: undefined, next: 0, end: 0 }
      ;(instance.egress ??= []).push(entry)
      // more of its kind may join it (`queueRun` asks the driver for each)
      this.runnable = entry
    } else {
      const pieces = protocol.encodePieces !== undefined ? protocol.encodePieces(message) : [protocol.encode(message)]
      for (let k = 0; k < pieces.length; k++) length += pieces[k]!.length
      ;(instance.egress ??= []).push({ pieces, body: undefined, tag: 0, piece: 0, at: 0, message, run: undefined, next: 0, end: 0 })
    }
    instance.egressBytes += length
    this.egressBytes += length
    if (this.writer === undefined && !this.writerSoon && !this.closing) {
      // the writer starts in the connection's context: at once, or once what runs now has run
      // where the bearer defers it (see `Bearer.deferWriter`)
      const defer = this.bearer.deferWriter
      this.writerSoon = true
      if (defer === undefined) this.startWriter()
      else defer(this.startWriter)
    }
    if (this.egressBytes > EGRESS_LIMIT) {
      return this.refuse(new TransportError({ detail: `the peer is not reading: ${this.egressBytes} bytes wait to be sent` }))
    }
    // messages the driver held until this answer of ours (a pipelining peer) are delivered now
    // (never waiting here: the sender may be the one that empties the interface's event queue)
    const early = step.messages.length > 0 && !this.deliverNow(instance, step.messages) ? this.deliverLater(instance, [...step.messages], 0) : Effect.void
    return at !== undefined && at < this.timerAt ? Effect.andThen(this.timers.schedule(this, at), early) : early
  }

  timedOut(instance: Instance): Effect.Effect<boolean> {
    return this.fail(new ProtocolViolation({ protocol: instance.protocol.name, state: instance.driver.state, kind: "Timeout", detail: "the peer did not answer in time" }))
  }

  earliest(): number | undefined {
    let next = this.writeDeadline
    if (this.paused) return next
    const segmentDeadline = this.segmentDeadline
    if (segmentDeadline !== undefined && (next === undefined || segmentDeadline < next)) next = segmentDeadline
    const instances = this.instances
    for (let k = 0; k < instances.length; k++) {
      const d = instances[k]!.deadline
      if (d !== undefined && (next === undefined || d < next)) next = d
    }
    return next
  }

  expired(t: number): Effect.Effect<unknown> {
    if (this.writeDeadline !== undefined && this.writeDeadline <= t) {
      return this.fail(new TransportError({ detail: `the peer is not reading: a write did not complete within ${this.writeTimeout} ms (${this.egressBytes} bytes wait to be sent)` }))
    }
    if (this.segmentDeadline !== undefined && this.segmentDeadline <= t) {
      return this.fail(new MuxError({ reason: "SegmentTimeout", detail: `a segment did not arrive whole within ${this.segmentTimeout()} ms of its first byte` }))
    }
    for (const instance of this.instances) {
      if (instance.deadline !== undefined && instance.deadline <= t) return this.timedOut(instance)
    }
    return Effect.void
  }

  /** The instance's mailbox, starting its fiber if it sleeps (called by the reader: its fiber runs in the connection's context). */
  wakeUp(instance: Instance): Effect.Effect<Mailbox<Batch>> {
    if (instance.ingress !== undefined) return Effect.succeed(instance.ingress)
    const ingress = new Mailbox<Batch>(this.dispatcher)
    instance.ingress = ingress
    return Effect.map(Effect.forkDetach(instanceLoop(this, instance, ingress)), (fiber) => {
      // it begins on a later turn (and ends by itself when its protocol ended)
      if (instance.ingress === ingress) instance.fiber = fiber
      return ingress
    })
  }

  /**
   * Hands received messages over at once (`tryReceive`) when nothing of the instance is still on its
   * way; `false` when they must go through its mailbox. An awake instance whose protocol just ended
   * is woken to look, and sleeps.
   */
  deliverNow(instance: Instance, messages: ReadonlyArray<Message>): boolean {
    const ingress = instance.ingress
    const options = this.options
    if (options.tryReceive === undefined || (ingress !== undefined && (ingress.size > 0 || instance.delivering)) || !options.tryReceive(messages)) return false
    if (ingress !== undefined && instance.driver.done()) ingress.offer(NO_MESSAGES)
    return true
  }

  /** Queues received messages for the instance's fiber (woken, or started), which waits for room to deliver them. */
  deliverLater(instance: Instance, messages: Array<Message>, bytes: number): Effect.Effect<void> {
    instance.ingressBytes += bytes
    // the common case, an awake instance, builds no effect to look its queue up
    if (instance.ingress !== undefined) {
      instance.ingress.offer({ messages, bytes })
      return Effect.void
    }
    return Effect.map(this.wakeUp(instance), (ingress) => ingress.offer({ messages, bytes }))
  }

  violation(instance: Instance, kind: ProtocolViolation["kind"], detail: string): ProtocolViolation {
    return new ProtocolViolation({ protocol: instance.protocol.name, state: instance.driver.state, kind, detail })
  }

  /** Runs of small segments of one channel come in one call (see `Segment.SegmentSink.runs`). */
  readonly runs = true

  /**
   * The reader's sink: a whole segment's payload goes to its instance's framer (no per-segment object;
   * a copy only for a segment split over reads), each whole message is decoded and stepped through
   * the driver there and then.
   */

  payload(protocol: number, fromResponder: boolean, chunk: Uint8Array, start: number, end: number, segments: number, ends: Int32Array | undefined): boolean {
    const instance = (fromResponder ? this.initiators : this.responders)[protocol]
    if (instance === undefined) {
      const known = this.initiators[protocol] !== undefined || this.responders[protocol] !== undefined
      this.stop = known
        ? new MuxError({ reason: "WrongDirection", detail: `protocol ${protocol} from the peer's ${fromResponder ? "responder" : "initiator"}, but our ${fromResponder ? "initiator" : "responder"} side does not run it` })
        : new MuxError({ reason: "UnknownProtocol", detail: `protocol number ${protocol} is not running on this connection` })
      return false
    }
    if (!instance.touched) {
      instance.touched = true
      this.touched.push(instance)
    }
    instance.readBytes += end - start + segments * Segment.HEADER_LENGTH
    const framer = instance.framer ??= new Framer()
    // a segment counts in full once it is read (as the reference's ingress queue): with what is
    // queued, held early by the driver and still being framed
    const held = end - start + framer.pending + instance.ingressBytes + instance.batchBytes + instance.driver.heldBytes()
    if (held > instance.protocol.ingressLimit) {
      this.stop = new MuxError({ reason: "IngressOverrun", detail: `more than ${instance.protocol.ingressLimit} bytes held for ${instance.protocol.name} (${held})` })
      return false
    }
    const framed = this.framed
    try {
      framer.push(chunk, framed, start, end, segments, ends)
    } catch (e) {
      framed.length = 0
      this.stop = this.violation(instance, "Decode", e instanceof Error ? e.message : String(e))
      return false
    }
    for (let k = 0; k < framed.length; k++) {
      const bytes = framed[k]!
      const decoded = instance.protocol.decode(bytes)
      if (Result.isFailure(decoded)) {
        framed.length = 0
        this.stop = this.violation(instance, "Decode", decoded.failure.detail)
        return false
      }
      const driver = instance.driver
      if (driver.recvAgain(decoded.success, bytes.length)) {
        // the kind of the message before, in the same state (a block of a batch): no step object
        ;(instance.batch ??= []).push(decoded.success)
      } else {
        const step = driver.recv(decoded.success, bytes.length)
        if (step._tag === "Violation") {
          framed.length = 0
          this.stop = step.error
          return false
        }
        if (step.messages.length > 0) {
          const batch = instance.batch ??= []
          for (const m of step.messages) batch.push(m)
        }
      }
      instance.batchBytes += bytes.length
    }
    framed.length = 0
    // a message in far more segments than its bytes call for (a drip): closed, not timed out
    const dripped = framer.dripped
    if (dripped !== undefined) {
      this.stop = new MuxError({
        reason: "IngressOverrun",
        detail: `${instance.protocol.name}: ${dripped.segments} segments carried only ${dripped.bytes} bytes of one message (under ${MIN_AVERAGE_SEGMENT} bytes a segment)`
      })
      return false
    }
    return true
  }
}

/**
 * Where a write's bytes are cut from, up to {@link SLAB_WRITE} bytes (and beyond it for a bearer
 * that keeps what it is given): slabs shared by every connection (a write keeps its slab alive until
 * written).
 */
const SLAB_WRITE = 65_536
const writeSlab = new Slab(262_144, SLAB_WRITE)
/** The largest write {@link collect} plans: the batch, then at most one more segment. */
const WRITE_BUFFER = WRITE_BATCH + Segment.HEADER_LENGTH + MAX_SEGMENT_PAYLOAD_LENGTH
/**
 * Write buffers not in use, for bearers whose writes copy (`Bearer.writesCopied`): a writer takes
 * one at its first write over {@link SLAB_WRITE} bytes and gives it back as it ends, so only
 * connections streaming a backlog hold one (a burst of small writes on many connections takes slab
 * pieces). At most {@link SPARE_WRITE_BUFFERS} wait here.
 */
const spareWriteBuffers: Array<Uint8Array> = []
const SPARE_WRITE_BUFFERS = 8
/** Where {@link collect} writes a wrapped message's head before copying it out. */
const wrappedHeadBytes = new Uint8Array(16)
/** The segment lengths {@link collect} plans (instance index, payload length), reused. */
const plan: Array<number> = []
const left: Array<number> = []

/**
 * The next write: segments taken round robin, one per instance with bytes waiting per turn, each
 * carrying up to a segment's worth of that instance's queued messages (several small messages share
 * a segment, a large one spans several), written with their headers into one buffer, up to about
 * {@link WRITE_BATCH} bytes. The messages it completes go to `sent`; `undefined` when nothing waits.
 */
const collect = (self: MuxImpl, sent: Array<Message>, pooled: { buffer: Uint8Array | undefined } | undefined): Uint8Array | undefined => {
  const instances = self.instances
  const n = instances.length
  if (n === 0 || self.egressBytes === 0) return undefined
  const sdu = Math.max(1, Math.min(self.sduSize, MAX_SEGMENT_PAYLOAD_LENGTH))
  // plan: the segments, round robin, before any byte is copied (the buffer is made to measure)
  plan.length = 0
  for (let k = 0; k < n; k++) left[k] = instances[k]!.egressBytes
  let total = 0
  let progress = true
  while (total < WRITE_BATCH && progress) {
    progress = false
    for (let j = 0; j < n && total < WRITE_BATCH; j++) {
      const k = (self.egressIndex + j) % n
      const l = left[k]!
      if (l === 0) continue
      const size = l < sdu ? l : sdu
      left[k] = l - size
      plan.push(k, size)
      total += Segment.HEADER_LENGTH + size
      progress = true
    }
    self.egressIndex = (self.egressIndex + 1) % n
  }
  const out = pooled !== undefined && total > SLAB_WRITE
    ? (pooled.buffer ??= spareWriteBuffers.pop() ?? new Uint8Array(WRITE_BUFFER)).subarray(0, total)
    : writeSlab.take(total)
  const time = Math.floor((self.now() - self.started) * 1000)
  let at = 0
  for (let p = 0; p < plan.length; p += 2) {
    const instance = instances[plan[p]!]!
    let size = plan[p + 1]!
    Segment.writeHeader(out, at, time, instance.role === "responder", instance.protocol.channel, size)
    at += Segment.HEADER_LENGTH
    instance.egressBytes -= size
    self.egressBytes -= size
    self.meter.out(instance.protocol.channel, Segment.HEADER_LENGTH + size)
    const queue = instance.egress!
    let first = instance.egressHead
    while (size > 0) {
      const head = queue[first]!
      const pieces = head.pieces
      let piece: Uint8Array
      let pieceLength: number
      if (pieces !== undefined) {
        piece = pieces[head.piece]!
        pieceLength = piece.length
      } else if (head.piece === 0) {
        // a wrapped message's head (at most 9 bytes), written again if a segment ended inside it
        piece = wrappedHeadBytes
        pieceLength = writeWrappedHead(wrappedHeadBytes, 0, head.tag, head.body!.length)
      } else {
        piece = head.body!
        pieceLength = piece.length
      }
      const from = head.at
      const take = Math.min(size, pieceLength - from)
      if (take <= 16) {
        // a head's few bytes: a loop is cheaper than a set
        for (let k = 0; k < take; k++) out[at + k] = piece[from + k]!
      } else out.set(take === piece.length ? piece : piece.subarray(from, from + take), at)
      at += take
      head.at += take
      size -= take
      if (head.at === pieceLength) {
        head.at = 0
        if (++head.piece === (pieces === undefined ? 2 : pieces.length)) {
          sent.push(head.message)
          const run = head.run
          if (run !== undefined && head.next < head.end) {
            // the next message of its run takes the entry's place
            const message = run[head.next++]!
            const wrapped = instance.protocol.encodeWrapped!(message)!
            head.message = message
            head.body = wrapped.bytes
            head.tag = wrapped.tag
            head.piece = 0
          } else {
            // written: the queue lets go of it now (a stream whose queue never empties holds no
            // written block)
            queue[first++] = undefined
          }
        }
      }
    }
    if (first === queue.length) {
      queue.length = 0
      first = 0
    } else if (first > 1024 && first * 2 > queue.length) {
      queue.splice(0, first)
      first = 0
    }
    instance.egressHead = first
  }
  return out
}

/**
 * Hands `out` to the bearer: through `writeNow` where it has it (a throw is the write's failure), else
 * `write`. `undefined` when the bearer was done with it within the call.
 */
const issueWrite = (bearer: Bearer, out: Uint8Array): Effect.Effect<void, TransportError> | undefined => {
  const writeNow = bearer.writeNow
  if (writeNow === undefined) return bearer.write([out])
  try {
    return writeNow([out])
  } catch (e) {
    return Effect.fail(new TransportError({ detail: `write: ${e instanceof Error ? e.message : String(e)}` }))
  }
}

/**
 * Waits for a write in progress. A write that cannot complete (the peer stopped reading) is bounded by
 * the segment timeout, as the reference bounds each SDU it sends (SDUWriteTimeout); otherwise the
 * connection is held forever (the connection's timer watches it: no timer per write).
 */
const awaitWrite = Effect.fnUntraced(function*(self: MuxImpl, pending: Effect.Effect<void, TransportError>) {
  self.writeTimeout = self.segmentTimeout()
  self.writeDeadline = self.now() + self.writeTimeout
  if (self.writeDeadline < self.timerAt) yield* self.timers.schedule(self, self.writeDeadline)
  yield* pending
  self.writeDeadline = undefined
})

// ---- egress: the round-robin writer. It runs while there is something to write: the first message
// sent starts it, and it ends when it finds nothing more (an idle connection holds no writer fiber).
const writerLoop = Effect.fnUntraced(
  function*(self: MuxImpl, first: FirstWrite | undefined) {
    if (first !== undefined) {
      // what `writeAtOnce` left: its write to wait for, its messages to report
      if (first.pending !== undefined) {
        yield* awaitWrite(self, first.pending)
        self.meter.wrote(first.bytes)
      }
      if (first.sent.length > 0) yield* self.options.onSent(first.sent)
    }
    {
      // A socket's writer starts in a microtask (`Bearer.deferWriter`), once everything the current
      // event sends is queued (the Manager sends all an event made the behavior say before it takes
      // the next): it writes at once. Giving way one scheduler turn more cost a one-at-a-time
      // chain-sync 15 % (0.34-0.35 -> 0.39-0.40 of the plain-socket ping-pong without it; pipelining
      // no different: docs/BENCHMARKS.md, items 11, 17 and 22). A writer started at once (memory
      // bearers, under TestClock) gives way that one turn, so what else this step sends joins it.
      if (self.bearer.deferWriter === undefined) yield* Effect.yieldNow
      // one buffer for every large write of this burst when the bearer copies what it writes; it
      // goes back to the spares only when the writer ends normally (a write that failed or was
      // interrupted may still be using it)
      const pooled = self.bearer.writesCopied === true ? { buffer: undefined as Uint8Array | undefined } : undefined
      while (true) {
        const sent: Array<Message> = []
        const out = collect(self, sent, pooled)
        if (out === undefined) {
          // nothing more: the writer ends (in the same step as it looked, so a message sent from
          // now on starts the next one)
          self.writer = undefined
          if (pooled?.buffer !== undefined && spareWriteBuffers.length < SPARE_WRITE_BUFFERS) spareWriteBuffers.push(pooled.buffer)
          return
        }
        const bytes = out.length
        const pending = issueWrite(self.bearer, out)
        if (pending !== undefined) yield* awaitWrite(self, pending)
        self.meter.wrote(bytes)
        if (sent.length > 0) yield* self.options.onSent(sent)
      }
    }
  },
  // hoisted (a writer starts at each burst, one message of a ping-pong each): no generator function
  // built per start
  (effect, self) =>
    Effect.catch(effect, (e: TransportError) => {
      self.writer = undefined
      return self.fail(e)
    })
)

// ---- per instance: delivery (the reader frames, decodes, steps the driver and re-arms its wait)
const instanceLoop = (self: MuxImpl, instance: Instance, ingress: Mailbox<Batch>): Effect.Effect<void> => {
  // Written as a chain of effects, not a generator: a fiber waiting in a generator keeps its
  // registers, the last batch delivered among them; here nothing but the continuation is kept.
  /** After a delivery: the protocol ended and nothing waits: the instance sleeps again (a late segment wakes it, and its message is then the driver's violation). */
  const next: Effect.Effect<void> = Effect.suspend(() => {
    instance.delivering = false
    if (instance.driver.done() && (instance.framer === undefined || instance.framer.idle) && ingress.size === 0) {
      instance.ingress = undefined
      instance.framer = undefined
      instance.fiber = undefined
      return Effect.void
    }
    return loop
  })
  const loop: Effect.Effect<void> = Effect.flatMap(ingress.take, (first) => {
    instance.delivering = true
    // whatever else is queued goes out with it, as one delivery
    let delivered: Array<Message> | undefined
    let batch: Batch | undefined = first
    while (batch !== undefined) {
      instance.ingressBytes -= batch.bytes
      if (delivered === undefined) delivered = batch.messages
      else for (const m of batch.messages) delivered.push(m)
      batch = ingress.poll()
    }
    // waits while the interface's event queue is full: this instance then takes no more
    // batches, and the ones still arriving count against the ingress limit
    let then = delivered !== undefined && delivered.length > 0 ? Effect.andThen(self.options.onReceive(delivered), next) : next
    if (instance.drained !== undefined && instance.ingressBytes <= instance.protocol.ingressLimit / 2) {
      then = Effect.andThen(Deferred.succeed(instance.drained, undefined), then)
    }
    return then
  })
  return loop
}

/** After a read: each touched instance's limits checked and its batch queued (one offer). */
const flush = Effect.fnUntraced(function*(self: MuxImpl) {
  const touched = self.touched
  for (let k = 0; k < touched.length; k++) {
    const instance = touched[k]!
    instance.touched = false
    self.meter.in(instance.protocol.channel, instance.readBytes)
    instance.readBytes = 0
    if (self.stop !== undefined) continue
    const framer = instance.framer
    if (framer !== undefined && framer.pending > 0) {
      const limit = instance.driver.byteLimit()
      if (limit !== undefined && framer.pending > limit) {
        self.stop = self.violation(instance, "ByteLimit", `a message of more than ${limit} bytes is still arriving`)
        continue
      }
    }
    if (instance.batch !== undefined && instance.batch.length > 0) {
      if (instance.protocol.channel === 0) self.handshaking = false
      // the peer answered: a new wait begins even if the state looks the same (pipelined requests)
      instance.deadline = undefined
      const at = self.rearm(instance)
      if (at !== undefined && at < self.timerAt) yield* self.timers.schedule(self, at)
      const messages = instance.batch
      const bytes = instance.batchBytes
      instance.batch = undefined
      instance.batchBytes = 0
      if (!self.deliverNow(instance, messages)) yield* self.deliverLater(instance, messages, bytes)
    }
  }
  touched.length = 0
})

// ---- ingress: the reader. Each socket read is scanned once: every whole segment's payload goes to
// its instance's framer, each whole message is decoded and stepped through the driver there and
// then, and each instance gets one batch per read.
/**
 * Backpressure: while an instance has more than half its ingress limit queued and not yet
 * delivered, the socket is not read (an honest peer streaming faster than we consume is slowed
 * down, not closed for an overrun). Messages held by the driver and the message being framed still
 * count against the limit, so a peer sending what nobody consumes is still closed. The time spent
 * waiting here does not count against the segment timeout.
 */
const holdBack = Effect.fnUntraced(function*(self: MuxImpl, behind: Instance) {
  const since = self.now()
  const drained = yield* Deferred.make<void>()
  behind.drained = drained
  self.paused = true
  if (behind.ingressBytes > behind.protocol.ingressLimit / 2) yield* Deferred.await(drained)
  self.paused = false
  behind.drained = undefined
  // the peer could not be heard meanwhile: its waits and the segment's time move on by as much
  const waited = self.now() - since
  for (const i of self.instances) if (i.deadline !== undefined) i.deadline += waited
  self.partialSince += waited
  if (self.segmentDeadline !== undefined) self.segmentDeadline += waited
  const next = self.earliest()
  if (next !== undefined && next < self.timerAt) yield* self.timers.schedule(self, next)
})

/** After a read's batches went out: the read's fault, if any, else the segment in progress is timed. */
const afterRead = (self: MuxImpl, error: ConnectionError | undefined): Effect.Effect<void, ConnectionError> => {
  if (error !== undefined) return Effect.fail(error)
  if (self.stop !== undefined) return Effect.fail(self.stop)
  const segments = self.segments
  if (!segments.inSegment) self.segmentDeadline = undefined
  else if (segments.begun !== self.partial) {
    self.partial = segments.begun
    self.partialSince = self.now()
    self.segmentDeadline = self.partialSince + self.segmentTimeout()
    if (self.segmentDeadline < self.timerAt) return self.timers.schedule(self, self.segmentDeadline)
  }
  return Effect.void
}

/** A read: every segment scanned, then each touched instance's batch queued. */
const onRead = (self: MuxImpl, chunks: ReadonlyArray<Uint8Array> | undefined): Effect.Effect<boolean, ConnectionError> => {
  const segments = self.segments
  if (chunks === undefined) {
    return segments.inSegment
      ? Effect.fail(new MuxError({ reason: "SegmentTimeout", detail: "the connection closed in the middle of a segment" }))
      : Effect.succeed(false)
  }
  self.options.onActivity?.()
  self.meter.read(chunks)
  for (let c = 0; c < chunks.length && self.stop === undefined; c++) {
    // a Node Buffer is read as a plain Uint8Array over the same memory: every view the framer and
    // the decoder take of it (a message, a block's bytes) is then a plain view, cheaper to make
    const chunk = chunks[c]!
    if (!segments.scan(chunk.constructor === Uint8Array ? chunk : new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength), self) && self.stop === undefined && segments.error !== undefined) {
      self.stop = new MuxError({ reason: "ZeroLength", detail: segments.error.message })
    }
  }
  // the messages before a fault still go to their instances first, as the reference reads
  // segments one by one
  const error = self.stop
  self.stop = undefined
  return Effect.as(Effect.andThen(flush(self), () => afterRead(self, error)), true)
}

/**
 * The reader, as a chain of effects rather than a generator: a fiber waiting for the socket keeps
 * only its continuation, not the last read's chunks in a generator's registers.
 */
const readerLoop = (self: MuxImpl): Effect.Effect<unknown> => {
  const loop: Effect.Effect<void, ConnectionError> = Effect.suspend(() => {
    const behind = self.instances.find((i) => i.ingressBytes > i.protocol.ingressLimit / 2)
    if (behind !== undefined) return Effect.andThen(holdBack(self, behind), loop)
    return Effect.flatMap(Effect.flatMap(self.bearer.read, (chunks) => onRead(self, chunks)), (more) => (more ? loop : Effect.void))
  })
  return loop.pipe(
    Effect.matchEffect({
      onFailure: (e: ConnectionError) => self.fail(e),
      onSuccess: () => Deferred.succeed(self.done, undefined)
    })
  )
}

/**
 * Runs a multiplexer over a bearer in the current scope.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Mux } from "@pallas-network2/core"
 * // const mux = yield* Mux.make(bearer, { protocols, initiator: true, responder: false, handshakeRole: "initiator",
 * //   onReceive: (ms) => Effect.log(ms), onSent: () => Effect.void })
 * // yield* mux.send(KeepAlive.keepAlive(42))
 * ```
 *
 * @category constructors
 * @since 0.1.0
 */
export const make = Effect.fnUntraced(function*(
  bearer: Bearer,
  options: MuxOptions
): Effect.fn.Return<Mux, never, Scope.Scope> {
  const done = yield* Deferred.make<void, ConnectionError>()
  const dispatcher = yield* Effect.withFiber((fiber) => Effect.succeed(fiber.currentDispatcher))
  const timers = options.timers ?? (yield* Timers.make)
  const self = new MuxImpl(
    bearer,
    options,
    done,
    dispatcher,
    timers,
    yield* Clock.Clock,
    yield* Effect.context<never>(),
    yield* Random.Random
  )
  self.meter = muxMeter(self.context, options.protocols, () => self.egressBytes, () => self.ingressWaiting())
  // closing the scope: the connection is no longer watched (its place in a pool's timer would hold
  // it), its meter stops, and its fibers end, latest first (one finalizer for all of them; it needs
  // no context of its own)
  yield* Scope.addFinalizer(
    yield* Effect.scope,
    Effect.suspend(() => {
      self.closing = true
      timers.remove(self)
      self.meter.close()
      const fibers: Array<Fiber.Fiber<unknown, unknown>> = []
      if (self.writer !== undefined) fibers.push(self.writer)
      for (let k = self.instances.length - 1; k >= 0; k--) {
        const f = self.instances[k]!.fiber
        if (f !== undefined) fibers.push(f)
      }
      if (self.reader !== undefined) fibers.push(self.reader)
      return Effect.forEach(fibers, (f) => Fiber.interrupt(f), { discard: true })
    })
  )
  self.reader = yield* Effect.forkDetach(readerLoop(self))
  const first = self.earliest()
  if (first !== undefined) yield* timers.schedule(self, first)
  return self
})

/**
 * A transport error as a connection error (re-exported for transports).
 *
 * @category errors
 * @since 0.1.0
 */
export const transportError = (detail: string): TransportError => new TransportError({ detail })
