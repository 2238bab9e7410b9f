/**
 * The many-connection engine behind every Interface: it dials (through a {@link Dialer}), adopts
 * accepted connections, runs a {@link Mux} per connection keyed by PeerId, routes `Send` commands,
 * and reports every connection's life as InterfaceEvents. TCP, Unix sockets and the in-memory
 * emulation differ only in their dialer and listener.
 *
 * @since 0.1.0
 */
import * as Cause from "effect/Cause"
import type * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Queue from "effect/Queue"
import * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import { type Direction, type InterfaceCommand, InterfaceEvent, type InterfaceShape } from "../Interface.ts"
import type { Message } from "../Message.ts"
import type { PeerId, Role } from "../Primitives.ts"
import { type ConnectionError, MuxError, TransportError } from "../ProtocolError.ts"
import type { MessageOf, Protocol } from "../protocol/Protocol.ts"
import * as Mux from "./Mux.ts"
import { Timers } from "./internal/Timers.ts"
import * as Probe from "../internal/observability.ts"

/**
 * Opens an outbound connection; the bearer lives as long as the scope.
 *
 * @category models
 * @since 0.1.0
 */
export type Dialer = (peer: PeerId) => Effect.Effect<Mux.Bearer, TransportError, Scope.Scope>

/**
 * Options of a pool (and so of every Interface layer). `Ps`, the type of `protocols`, gives the
 * messages the pool's Interface carries (`MessageOf<Ps[number]>`).
 *
 * @category models
 * @since 0.1.0
 */
export interface PoolOptions<Ps extends ReadonlyArray<Protocol<any>> = ReadonlyArray<Protocol<any>>> {
  /** The mini-protocols every connection runs (node-to-node or node-to-client). */
  readonly protocols: Ps
  /** Run our responder halves on connections we dialled too (duplex). Default false. */
  readonly duplex?: boolean
  /** Run our initiator halves on connections we accepted (duplex). Default false. */
  readonly initiatorOnInbound?: boolean
  readonly sduSize?: number
  readonly sduTimeout?: { readonly handshake: number; readonly after: number }
  /** Report `Idle` after this long without bytes from a connection (ms). */
  readonly idleAfter?: number
  /**
   * Interface events that may wait for the Manager. When full, the connection that has something to
   * report waits: its instances take no more segments, so what its peer keeps sending counts against
   * the protocols' ingress limits. Default 1024.
   */
  readonly eventCapacity?: number
}

/**
 * Messages a connection still being opened may hold for sending; one more is refused with an `Error`
 * event, as a `Send` to no connection is.
 *
 * @category constants
 * @since 0.1.0
 */
export const PENDING_LIMIT = 1024

/**
 * A running pool: the Interface of the messages `M` it implements, and `adopt` for listeners.
 *
 * @category models
 * @since 0.1.0
 */
export interface Pool<M extends Message = Message> extends InterfaceShape<M> {
  /** Runs an accepted connection until it ends (the caller's fiber waits). */
  readonly adopt: (peer: PeerId, bearer: Mux.Bearer) => Effect.Effect<void>
  /** Peers with a live connection. */
  readonly connections: Effect.Effect<ReadonlyArray<PeerId>>
}

interface Connection<M extends Message> {
  mux: Mux.Mux | undefined
  /** Messages sent before the connection opened (the array is made at the first). */
  pending: Array<M> | undefined
  fiber: Fiber.Fiber<void, never> | undefined
}

/**
 * Makes a pool in the current scope; closing the scope closes every connection. Its events carry the
 * messages of `options.protocols`.
 *
 * @category constructors
 * @since 0.1.0
 */
export const make = Effect.fnUntraced(function*<Ps extends ReadonlyArray<Protocol<any>>>(
  dial: Dialer,
  options: PoolOptions<Ps>
): Effect.fn.Return<Pool<MessageOf<Ps[number]>>, never, Scope.Scope> {
  type M = MessageOf<Ps[number]>
  const events = yield* Queue.bounded<InterfaceEvent<M>>(Math.max(1, options.eventCapacity ?? 1024))
  const scope = yield* Effect.scope
  // one timer watches the deadlines of every connection (not a sleeping fiber per connection)
  const timers = yield* Timers.make
  const connections = new Map<PeerId, Connection<M>>()
  // The fibers running connections: closing the pool interrupts them, latest first (one finalizer
  // for all, rather than one per connection in the scope). An accepted connection runs in the
  // fiber of the caller of `adopt`.
  const live = new Set<Fiber.Fiber<unknown, unknown>>()
  let closing = false
  yield* Effect.addFinalizer(() =>
    Effect.suspend(() => {
      closing = true
      const fibers = [...live].reverse()
      live.clear()
      return Effect.forEach(fibers, (f) => Fiber.interrupt(f), { discard: true })
    })
  )
  const emit = (event: InterfaceEvent<M>) => Queue.offer(events, event)
  /**
   * An event that must not wait for room: what a command's dispatch or a connection's end reports.
   * The Manager may dispatch from the fiber that empties the queue, so a full queue gets the event
   * from a fiber of its own (in order with the others waiting) rather than holding the caller.
   */
  const report = (event: InterfaceEvent<M>): Effect.Effect<void> =>
    Queue.offerUnsafe(events, event) ? Effect.void : Effect.asVoid(Effect.forkDetach(Queue.offer(events, event)))

  // The mux decodes with `options.protocols` only, so what it hands over is of their messages; the
  // check (one set lookup a message) is what lets the events say so. Should it ever fail, the
  // connection is closed with the reason.
  const names = new Set<string>(options.protocols.map((p) => p.name))
  const carried = (messages: ReadonlyArray<Message>): messages is ReadonlyArray<M> => {
    // a run of one protocol's messages (a write of blocks) is looked up once
    let known: string | undefined
    for (let i = 0; i < messages.length; i++) {
      const protocol = messages[i]!.protocol
      if (protocol === known) continue
      if (!names.has(protocol)) return false
      known = protocol
    }
    return true
  }
  /** The event of a write's messages (the array is the writer's own, made for this write: not copied). */
  const sentEvent = (peer: PeerId, messages: ReadonlyArray<M>): InterfaceEvent<M> => ({ _tag: "Sent", peer, messages })
  const foreign = (peer: PeerId, entry: Connection<M>, messages: ReadonlyArray<Message>) => {
    const m = messages.find((x) => !names.has(x.protocol))
    const detail = `${m?.protocol} ${m?._tag} is not of this interface's protocols (${[...names].join(", ")})`
    return Effect.andThen(
      emit(InterfaceEvent.Error(peer, new MuxError({ reason: "UnknownProtocol", detail }))),
      Effect.forkIn(Effect.suspend(() => (entry.fiber === undefined ? Effect.void : Fiber.interrupt(entry.fiber))), scope)
    )
  }

  /**
   * What a connection's multiplexer is told and reports to the pool: one object per connection, its
   * callbacks methods (no closures).
   */
  class Hooks implements Mux.MuxOptions {
    readonly protocols = options.protocols
    readonly initiator: boolean
    readonly responder: boolean
    readonly handshakeRole: Role
    readonly timers = timers
    readonly sduSize = options.sduSize
    readonly sduTimeout = options.sduTimeout
    /** Reads seen (for idle tracking). */
    last = 0
    readonly peer: PeerId
    readonly entry: Connection<M>
    readonly probe: Probe.ConnectionProbe
    constructor(peer: PeerId, direction: Direction, entry: Connection<M>, probe: Probe.ConnectionProbe) {
      this.peer = peer
      this.entry = entry
      this.probe = probe
      this.initiator = direction === "outbound" || options.initiatorOnInbound === true
      this.responder = direction === "inbound" || options.duplex === true
      this.handshakeRole = direction === "outbound" ? "initiator" : "responder"
    }
    onReceive(messages: ReadonlyArray<Message>): Effect.Effect<void> {
      this.probe.received(messages)
      return carried(messages) ? emit(InterfaceEvent.Recv(this.peer, messages)) : foreign(this.peer, this.entry, messages)
    }
    tryReceive(messages: ReadonlyArray<Message>): boolean {
      // at once when the event queue has room (else the instance's fiber waits for it)
      if (!carried(messages) || !Queue.offerUnsafe(events, InterfaceEvent.Recv(this.peer, messages))) return false
      this.probe.received(messages)
      return true
    }
    onSent(messages: ReadonlyArray<Message>): Effect.Effect<void> {
      this.probe.sentAll(messages)
      // one event for the write's messages
      return carried(messages) ? emit(sentEvent(this.peer, messages)) : foreign(this.peer, this.entry, messages)
    }
    trySent(messages: ReadonlyArray<Message>): boolean {
      // at once when the event queue has room (else the writer's fiber waits for it)
      if (!carried(messages) || !Queue.offerUnsafe(events, sentEvent(this.peer, messages))) return false
      this.probe.sentAll(messages)
      return true
    }
    onActivity(): void {
      this.last++
    }
  }

  /** A connection's start: probe, bearer, multiplexer, `Connected`, the messages that waited. */
  const setup = (peer: PeerId, direction: Direction, open: Effect.Effect<Mux.Bearer, TransportError, Scope.Scope>, entry: Connection<M>) =>
    Effect.gen(function*() {
      const probe = yield* Probe.connectionProbe(peer, direction)
      yield* Effect.addFinalizer((exit) => probe.closed(exit))
      const bearer = yield* open
      const hooks = new Hooks(peer, direction, entry, probe)
      const mux = yield* Mux.make(bearer, hooks)
      entry.mux = mux
      yield* probe.open()
      yield* emit(InterfaceEvent.Connected(peer, direction))
      const pending = entry.pending
      entry.pending = undefined
      if (pending !== undefined) yield* mux.sendAll(pending)
      if (options.idleAfter !== undefined) {
        const idleAfter = options.idleAfter
        yield* Effect.forkScoped(Effect.gen(function*() {
          let seen = hooks.last
          while (true) {
            yield* Effect.sleep(idleAfter)
            if (hooks.last === seen) yield* emit(InterfaceEvent.Idle(peer))
            seen = hooks.last
          }
        }))
      }
      return mux
    })

  /**
   * Runs a connection in `fiber` (its own, or the caller's of `adopt`) until it ends. Its start is
   * done before it waits (a generator waiting would keep its registers).
   */
  /** A connection ended (its scope closed): forgotten, and reported. */
  const ended = (peer: PeerId, entry: Connection<M>, fiber: Fiber.Fiber<unknown, unknown>, exit: Exit.Exit<unknown, unknown>) =>
    Effect.gen(function*() {
      live.delete(fiber)
      if (connections.get(peer) === entry) connections.delete(peer)
      if (Exit.isFailure(exit)) {
        const error = Cause.findErrorOption(exit.cause)
        if (error._tag === "Some") yield* report(InterfaceEvent.Error(peer, error.value as ConnectionError))
        else if (!Cause.hasInterruptsOnly(exit.cause)) {
          yield* report(InterfaceEvent.Error(peer, new TransportError({ detail: Cause.pretty(exit.cause) })))
        }
      }
      yield* report(InterfaceEvent.Disconnected(peer))
    })

  /**
   * Runs a connection in `fiber` (its own, or the caller's of `adopt`) until it ends. Its start is
   * done before it waits (a generator waiting would keep its registers). Its scope, its span (ended
   * when the scope closes, after everything else in it) and the peer go into its context in one
   * change; the scope closes before the connection is reported ended, as with `Effect.scoped`.
   */
  const run = (peer: PeerId, direction: Direction, open: Effect.Effect<Mux.Bearer, TransportError, Scope.Scope>, entry: Connection<M>, fiber: Fiber.Fiber<unknown, unknown>) =>
    Effect.suspend(() => {
      const scope = Scope.makeUnsafe()
      return Effect.flatMap(Scope.provide(Probe.connectionSpan(peer, direction), scope), (span) =>
        Effect.flatMap(setup(peer, direction, open, entry), (mux) => mux.closed).pipe(
          Effect.updateContext((context: Context.Context<never>) => Probe.connectionContext(context, scope, span, peer))
        )).pipe(Effect.onExit((exit) => Effect.andThen(Scope.close(scope, exit), ended(peer, entry, fiber, exit))))
    }).pipe(Effect.ignore)

  const start = (peer: PeerId, direction: Direction, open: Effect.Effect<Mux.Bearer, TransportError, Scope.Scope>) =>
    Effect.suspend(() => {
      const entry: Connection<M> = { mux: undefined, pending: undefined, fiber: undefined }
      connections.set(peer, entry)
      // the pool closed: the connection is not started, and its peer is forgotten (as a fiber forked
      // into a closed scope is interrupted before it begins)
      if (closing) return Effect.sync(() => connections.get(peer) === entry && connections.delete(peer))
      // the fiber begins on a later turn: it is live (and interrupted by the pool's closing) from here
      return Effect.map(Effect.forkDetach(Effect.withFiber((self) => run(peer, direction, open, entry, self))), (fiber) => {
        entry.fiber = fiber
        live.add(fiber)
      })
    })

  /** Messages for a connection still opening (kept, up to the limit) or for no connection (an error). */
  const sendTo = (peer: PeerId, messages: ReadonlyArray<M>): Effect.Effect<void> => {
    if (messages.length === 0) return Effect.void
    const entry = connections.get(peer)
    if (entry?.mux !== undefined) return entry.mux.sendAll(messages)
    const what = messages.length === 1
      ? `${messages[0]!.protocol} ${messages[0]!._tag}`
      : `${messages.length} messages (${messages[0]!.protocol} ${messages[0]!._tag}, ...)`
    if (entry === undefined) {
      return report(InterfaceEvent.Error(peer, new TransportError({ detail: `no connection to ${peer}: ${what} not sent` })))
    }
    if ((entry.pending?.length ?? 0) + messages.length <= PENDING_LIMIT) {
      const pending = entry.pending ??= []
      for (const m of messages) pending.push(m)
      return Effect.void
    }
    return report(InterfaceEvent.Error(peer, new TransportError({ detail: `${PENDING_LIMIT} messages at most may wait for the connection to ${peer}: ${what} not sent` })))
  }

  /** Every command but a send on an open connection. */
  const control = Effect.fnUntraced(function*(command: InterfaceCommand<M>) {
        switch (command._tag) {
          case "Connect": {
            if (connections.has(command.peer)) return
            yield* start(command.peer, "outbound", dial(command.peer))
            return
          }
          case "Send":
            return yield* sendTo(command.peer, [command.message])
          case "SendMany":
            return yield* sendTo(command.peer, command.messages)
          case "Disconnect": {
            const entry = connections.get(command.peer)
            if (entry?.fiber === undefined) return
            yield* Fiber.interrupt(entry.fiber)
            // interrupted before it began, the connection's own clean-up never ran: do it here, so
            // the peer is forgotten (and may connect again) and the caller still hears Disconnected
            if (connections.get(command.peer) === entry) {
              connections.delete(command.peer)
              yield* report(InterfaceEvent.Disconnected(command.peer))
            }
            return
          }
        }
  })

  const pool: Pool<M> = {
    events: Stream.fromQueue(events),
    dispatch: (command) => {
      if (command._tag === "Send") {
        // the hot path: no generator
        const entry = connections.get(command.peer)
        if (entry?.mux !== undefined) return entry.mux.send(command.message)
      } else if (command._tag === "SendMany") return sendTo(command.peer, command.messages)
      return control(command)
    },
    adopt: (peer, bearer) =>
      Effect.withFiber((fiber) => {
        if (closing) return Effect.void
        const entry: Connection<M> = { mux: undefined, pending: undefined, fiber: fiber as Fiber.Fiber<void, never> }
        connections.set(peer, entry)
        live.add(fiber)
        return run(peer, "inbound", Effect.succeed(bearer), entry, fiber)
      }),
    connections: Effect.sync(() => [...connections.keys()])
  }
  return pool
})
