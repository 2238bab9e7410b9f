/**
 * The many-connection engine behind every Interface: it dials (through a {@link Dialer}), adopts
 * accepted connections, runs a {@link Mux} per connection keyed by PeerId, routes `Send` commands,
 * and reports every connection's life as InterfaceEvents. TCP, Unix sockets and the in-memory
 * emulation differ only in their dialer and listener.
 *
 * @since 0.1.0
 */
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Queue from "effect/Queue"
import * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import { type Direction, type InterfaceCommand, InterfaceEvent, type InterfaceShape } from "../Interface.ts"
import type { Message } from "../Message.ts"
import type { PeerId, Role } from "../Primitives.ts"
import { type ConnectionError, TransportError } from "../ProtocolError.ts"
import type { Protocol } from "../protocol/Protocol.ts"
import * as Mux from "./Mux.ts"
import * as Probe from "../internal/observability.ts"

/**
 * Opens an outbound connection; the bearer lives as long as the scope.
 *
 * @category models
 * @since 0.1.0
 */
export type Dialer = (peer: PeerId) => Effect.Effect<Mux.Bearer, TransportError, Scope.Scope>

/**
 * Options of a pool (and so of every Interface layer).
 *
 * @category models
 * @since 0.1.0
 */
export interface PoolOptions {
  /** The mini-protocols every connection runs (node-to-node or node-to-client). */
  readonly protocols: ReadonlyArray<Protocol<any>>
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
 * A running pool: the Interface it implements, and `adopt` for listeners.
 *
 * @category models
 * @since 0.1.0
 */
export interface Pool extends InterfaceShape {
  /** Runs an accepted connection until it ends (the caller's fiber waits). */
  readonly adopt: (peer: PeerId, bearer: Mux.Bearer) => Effect.Effect<void>
  /** Peers with a live connection. */
  readonly connections: Effect.Effect<ReadonlyArray<PeerId>>
}

interface Connection {
  mux: Mux.Mux | undefined
  readonly pending: Array<Message>
  fiber: Fiber.Fiber<void, never> | undefined
}

/**
 * Makes a pool in the current scope; closing the scope closes every connection.
 *
 * @category constructors
 * @since 0.1.0
 */
export const make = Effect.fnUntraced(function*(dial: Dialer, options: PoolOptions) {
  const events = yield* Queue.bounded<InterfaceEvent>(Math.max(1, options.eventCapacity ?? 1024))
  const scope = yield* Effect.scope
  const connections = new Map<PeerId, Connection>()
  const emit = (event: InterfaceEvent) => Queue.offer(events, event)

  const run = (peer: PeerId, direction: Direction, open: Effect.Effect<Mux.Bearer, TransportError, Scope.Scope>, entry: Connection) =>
    Effect.gen(function*() {
      const probe = yield* Probe.connectionProbe(peer, direction)
      yield* Effect.addFinalizer((exit) => probe.closed(exit))
      const bearer = yield* open
      let last = 0
      const role: Role = direction === "outbound" ? "initiator" : "responder"
      const mux = yield* Mux.make(bearer, {
        protocols: options.protocols,
        initiator: direction === "outbound" || options.initiatorOnInbound === true,
        responder: direction === "inbound" || options.duplex === true,
        handshakeRole: role,
        ...(options.sduSize === undefined ? {} : { sduSize: options.sduSize }),
        ...(options.sduTimeout === undefined ? {} : { sduTimeout: options.sduTimeout }),
        onReceive: (messages) => (probe.received(messages), emit(InterfaceEvent.Recv(peer, messages))),
        onSent: (messages) => {
          for (const m of messages) probe.sent(m)
          // one event for the write's messages
          return emit(InterfaceEvent.Sent(peer, ...messages))
        },
        onActivity: () => {
          last++
        }
      })
      entry.mux = mux
      yield* probe.open()
      yield* emit(InterfaceEvent.Connected(peer, direction))
      for (const m of entry.pending.splice(0)) yield* mux.send(m)
      if (options.idleAfter !== undefined) {
        const idleAfter = options.idleAfter
        yield* Effect.forkScoped(Effect.gen(function*() {
          let seen = last
          while (true) {
            yield* Effect.sleep(idleAfter)
            if (last === seen) yield* emit(InterfaceEvent.Idle(peer))
            seen = last
          }
        }))
      }
      return yield* mux.closed
    }).pipe(
      Effect.scoped,
      Probe.withConnection(peer, direction),
      Effect.onExit((exit) =>
        Effect.gen(function*() {
          if (connections.get(peer) === entry) connections.delete(peer)
          if (Exit.isFailure(exit)) {
            const error = Cause.findErrorOption(exit.cause)
            if (error._tag === "Some") yield* emit(InterfaceEvent.Error(peer, error.value as ConnectionError))
            else if (!Cause.hasInterruptsOnly(exit.cause)) {
              yield* emit(InterfaceEvent.Error(peer, new TransportError({ detail: Cause.pretty(exit.cause) })))
            }
          }
          yield* emit(InterfaceEvent.Disconnected(peer))
        })
      ),
      Effect.ignore
    )

  const start = (peer: PeerId, direction: Direction, open: Effect.Effect<Mux.Bearer, TransportError, Scope.Scope>) =>
    Effect.gen(function*() {
      const entry: Connection = { mux: undefined, pending: [], fiber: undefined }
      connections.set(peer, entry)
      const fiber = yield* Effect.forkIn(run(peer, direction, open, entry), scope)
      entry.fiber = fiber
      return fiber
    })

  /** Every command but a send on an open connection. */
  const control = Effect.fnUntraced(function*(command: InterfaceCommand) {
        switch (command._tag) {
          case "Connect": {
            if (connections.has(command.peer)) return
            yield* start(command.peer, "outbound", dial(command.peer))
            return
          }
          case "Send": {
            const entry = connections.get(command.peer)
            if (entry === undefined) {
              yield* emit(InterfaceEvent.Error(command.peer, new TransportError({ detail: `no connection to ${command.peer}: ${command.message.protocol} ${command.message._tag} not sent` })))
              return
            }
            if (entry.mux !== undefined) yield* entry.mux.send(command.message)
            else if (entry.pending.length < PENDING_LIMIT) entry.pending.push(command.message)
            else {
              yield* emit(InterfaceEvent.Error(command.peer, new TransportError({ detail: `${PENDING_LIMIT} messages already wait for the connection to ${command.peer}: ${command.message.protocol} ${command.message._tag} not sent` })))
            }
            return
          }
          case "Disconnect": {
            const entry = connections.get(command.peer)
            if (entry?.fiber === undefined) return
            yield* Fiber.interrupt(entry.fiber)
            // interrupted before it began, the connection's own clean-up never ran: do it here, so
            // the peer is forgotten (and may connect again) and the caller still hears Disconnected
            if (connections.get(command.peer) === entry) {
              connections.delete(command.peer)
              yield* emit(InterfaceEvent.Disconnected(command.peer))
            }
            return
          }
        }
  })

  const pool: Pool = {
    events: Stream.fromQueue(events),
    dispatch: (command) => {
      if (command._tag === "Send") {
        // the hot path: no generator
        const entry = connections.get(command.peer)
        if (entry?.mux !== undefined) return entry.mux.send(command.message)
      }
      return control(command)
    },
    adopt: (peer, bearer) =>
      Effect.flatMap(start(peer, "inbound", Effect.succeed(bearer)), (fiber) => Effect.asVoid(Fiber.await(fiber))),
    connections: Effect.sync(() => [...connections.keys()])
  }
  return pool
})
