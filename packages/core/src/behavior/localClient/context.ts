/**
 * What the node-to-client client's sub-behaviors share: one record per connection, the outputs
 * (commands to the interface, events to the application), the lock and closing a connection; the one
 * shape of a mini-protocol's client side ({@link SubBehavior}); and {@link protocolClient}, which makes
 * that shape for a local mini-protocol from its {@link ClientSpec}.
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import * as Semaphore from "effect/Semaphore"
import type * as Stream from "effect/Stream"
import type { BehaviorOutput, Outbox } from "../../Behavior.ts"
import { InterfaceCommand } from "../../Interface.ts"
import type { AnyNodeToClientMessage } from "../../protocol/NodeToClient.ts"
import * as OutboundQueue from "../../OutboundQueue.ts"
import type { PeerId } from "../../Primitives.ts"
import * as Driver from "../../protocol/Driver.ts"
import type { Protocol } from "../../protocol/Protocol.ts"
import type { LocalClientCommand, LocalClientEvent, LocalClientPeerState, LocalProtocol } from "../LocalClient.ts"

/** What every sub-behavior may read of one connection; the handshake writes the negotiated fields. */
export interface Connection {
  readonly peer: PeerId
  handshake: LocalClientPeerState["handshake"]
  /** The negotiated version (without the node-to-client bit). */
  version: number | undefined
  /** Why we asked to close it, if we did. */
  closing: string | undefined
  /** The interface's error on it, the reason reported when it closes. */
  error: string | undefined
}

/** A new connection's record (made by `Connect`, or when a connection comes up unasked). */
export const newConnection = (peer: PeerId): Connection => ({
  peer,
  handshake: "connecting",
  version: undefined,
  closing: undefined,
  error: undefined
})

/** What the client's parts share; made once per client by {@link makeContext}. */
export interface ClientContext {
  /** Every connection (written by the composition only). */
  readonly connections: Map<PeerId, Connection>
  /** Everything the client emits, in order. */
  readonly outputs: Stream.Stream<BehaviorOutput<LocalClientEvent, AnyNodeToClientMessage>>
  /** The same outputs as a buffer the Manager empties after each event (see `Behavior.outbox`). */
  readonly outbox: Outbox<LocalClientEvent, AnyNodeToClientMessage>
  /** Runs `effect` holding the client's one lock (every handler runs under it). */
  readonly locked: <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
  /** Asks the interface to dial the node. */
  readonly connect: (peer: PeerId) => void
  /** Queues a message to the node. */
  readonly send: (conn: Connection, message: AnyNodeToClientMessage) => void
  /** Queues an event for the application. */
  readonly emit: (event: LocalClientEvent) => void
  /** Asks the interface to close the connection (once; the first reason is kept). */
  readonly close: (conn: Connection, reason: string) => void
  /** Reports a command that was not sent. */
  readonly rejected: (command: LocalClientCommand, reason: string) => void
}

/** Makes the shared parts of a client. */
export const makeContext: Effect.Effect<ClientContext> = Effect.gen(function*() {
  const out = yield* OutboundQueue.make<LocalClientEvent, AnyNodeToClientMessage>()
  const lock = yield* Semaphore.make(1)
  const emit = (event: LocalClientEvent) => out.event(event)
  return {
    connections: new Map(),
    outputs: out.stream,
    outbox: out,
    locked: (effect) => Semaphore.withPermit(lock, effect),
    connect: (peer) => out.command(InterfaceCommand.Connect(peer)),
    send: (conn, message) => out.command(InterfaceCommand.Send(conn.peer, message)),
    emit,
    close: (conn, reason) => {
      if (conn.closing !== undefined) return
      conn.closing = reason
      out.command(InterfaceCommand.Disconnect(conn.peer, reason))
    },
    rejected: (command, reason) => emit({ _tag: "CommandRejected", peer: command.peer, command, reason })
  }
})

/** What every part of the client does as connection records are made and dropped. */
export interface Lifecycle {
  /** A connection record was made: make this part's state for it. */
  readonly connected: (conn: Connection) => Effect.Effect<void>
  /** The connection is gone: drop its state. */
  readonly disconnected: (conn: Connection) => Effect.Effect<void>
}

/**
 * The one shape of a mini-protocol's client side. It keeps its per-peer state itself, turns the
 * node's messages into events and the application's commands into messages, and sends and emits
 * through the {@link ClientContext} it was made with. Every handler runs under the client's lock.
 *
 * - `Reply`: the messages of its protocol; `Command`: the application commands it sends;
 *   `View`: what the peer snapshot shows of it.
 */
export interface SubBehavior<Reply extends AnyNodeToClientMessage, Command = never, View = undefined> extends Lifecycle {
  /** The mini-protocol it runs: the composition routes that protocol's messages to it. */
  readonly protocol: Reply["protocol"]
  /** Whether a received message is one of its protocol. */
  readonly isReply: (message: AnyNodeToClientMessage) => message is Reply
  /** A message from the node. */
  readonly onMessage: (conn: Connection, message: Reply) => Effect.Effect<void>
  /** A command of the application's for this protocol (the handshake is accepted, the connection open). */
  readonly onCommand: (conn: Connection, command: Command) => Effect.Effect<void>
  /** What the peer snapshot shows of this protocol's state. */
  readonly view: (conn: Connection) => View
}

/** The four local mini-protocols (the `LocalProtocol`s that are not the connection's life). */
export type LocalMiniProtocol = Exclude<LocalProtocol, "connection">

/** The commands that send one message of a local mini-protocol (all but `Connect` and `Disconnect`). */
export type ProtocolCommand = Exclude<LocalClientCommand, { readonly _tag: "Connect" | "Disconnect" }>

/** The message each of a protocol's commands sends, by command tag. */
export type CommandTable<C extends ProtocolCommand, M extends AnyNodeToClientMessage> = {
  readonly [K in C["_tag"]]: (command: C & { readonly _tag: K }) => M
}

/**
 * A local mini-protocol's client side as data: its table, the message each command sends, the events
 * it reports, and what a message of the node's does.
 */
export interface ClientSpec<M extends AnyNodeToClientMessage, C extends ProtocolCommand> {
  /** Its name, as the events and commands report it. */
  readonly name: LocalMiniProtocol
  /** Its table: the shadow driver checks each command against it. */
  readonly protocol: Protocol<M>
  /** The message each command sends, by command tag. */
  readonly commands: CommandTable<C, M>
  /** The tags of the events its replies become. */
  readonly events: ReadonlyArray<LocalClientEvent["_tag"]>
  /** A message from the node: an event for the application, or closing the connection. */
  readonly onReply: (ctx: ClientContext, conn: Connection, message: M) => void
}

/** A local mini-protocol's client side: its view is its shadow driver's state name. */
export type ProtocolClient<M extends AnyNodeToClientMessage, C extends ProtocolCommand> = SubBehavior<M, C, string>

/**
 * Makes a local mini-protocol's client side from its spec. Each peer has a shadow driver of the
 * protocol (our side, the initiator's) that tells which commands the state allows now: a command it
 * does not allow is rejected and never reaches the wire.
 */
export const protocolClient = <M extends AnyNodeToClientMessage, C extends ProtocolCommand>(
  ctx: ClientContext,
  spec: ClientSpec<M, C>
): ProtocolClient<M, C> => {
  const drivers = new Map<PeerId, Driver.Driver<M>>()
  return {
    protocol: spec.protocol.name,
    isReply: (m): m is M => m.protocol === spec.protocol.name,
    connected: (conn) => Effect.sync(() => drivers.set(conn.peer, Driver.make(spec.protocol, "initiator"))),
    disconnected: (conn) => Effect.sync(() => drivers.delete(conn.peer)),
    onMessage: (conn, message) =>
      Effect.sync(() => {
        drivers.get(conn.peer)?.recv(message, 0)
        spec.onReply(ctx, conn, message)
      }),
    onCommand: (conn, command) =>
      Effect.sync(() => {
        const driver = drivers.get(conn.peer)
        if (driver === undefined) return ctx.rejected(command, "not connected")
        const tag: C["_tag"] = command._tag
        const message = spec.commands[tag](command)
        const before = driver.state
        if (driver.send(message)._tag === "Violation") {
          return ctx.rejected(command, `${message._tag} is not allowed in ${message.protocol} state ${before}`)
        }
        ctx.send(conn, message)
      }),
    view: (conn) => drivers.get(conn.peer)?.state ?? spec.protocol.initialState
  }
}
