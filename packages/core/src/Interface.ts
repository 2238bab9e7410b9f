/**
 * The IO side of the stack. An Interface takes {@link InterfaceCommand}s (connect, send, disconnect)
 * and reports {@link InterfaceEvent}s (connected, disconnected, sent, recv, error, idle). TCP, Unix
 * sockets and the in-memory emulation all provide the same {@link Interface} service, so a behavior
 * runs unchanged over any of them. An Interface is typed by the messages its connections carry (those
 * of the protocols it was built with): `Interface<M>`, reached with {@link key}; a behavior over the
 * same messages runs on it without a cast.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import type * as Effect from "effect/Effect"
import type * as Stream from "effect/Stream"
import type { Message } from "./Message.ts"
import type { PeerId } from "./Primitives.ts"
import type { ConnectionError } from "./ProtocolError.ts"

/**
 * What a behavior asks the IO side to do: `Connect`, `Send` one message, `SendMany` messages to one
 * peer in order (as many `Send`s, one hand-off), `Disconnect`. A message's byte strings of 1 kB or
 * more (a block, a transaction) are written from the message itself, not copied when it is sent:
 * they must not change until the `Sent` event that carries the message.
 *
 * @category models
 * @since 0.1.0
 */
export type InterfaceCommand<M extends Message = Message> =
  | { readonly _tag: "Connect"; readonly peer: PeerId }
  | { readonly _tag: "Send"; readonly peer: PeerId; readonly message: M }
  | { readonly _tag: "SendMany"; readonly peer: PeerId; readonly messages: ReadonlyArray<M> }
  | { readonly _tag: "Disconnect"; readonly peer: PeerId; readonly reason?: string | undefined }

/**
 * Constructors for {@link InterfaceCommand}.
 *
 * @example
 * ```ts
 * import { InterfaceCommand, PeerId } from "@pallas-network2/core"
 * const connect = InterfaceCommand.Connect(PeerId.tcp("127.0.0.1", 3001))
 * ```
 *
 * @category constructors
 * @since 0.1.0
 */
export const InterfaceCommand = {
  Connect: (peer: PeerId): InterfaceCommand<never> => ({ _tag: "Connect", peer }),
  Send: <M extends Message>(peer: PeerId, message: M): InterfaceCommand<M> => ({ _tag: "Send", peer, message }),
  /** Several messages to one peer, in order, as one command (a run of blocks): as many `Send`s, with one hand-off. */
  SendMany: <M extends Message>(peer: PeerId, messages: ReadonlyArray<M>): InterfaceCommand<M> => ({ _tag: "SendMany", peer, messages }),
  Disconnect: (peer: PeerId, reason?: string): InterfaceCommand<never> => ({ _tag: "Disconnect", peer, reason })
} as const

/**
 * Which side dialled a connection.
 *
 * @category models
 * @since 0.1.0
 */
export type Direction = "outbound" | "inbound"

/**
 * What the IO side reports.
 *
 * - `Connected`: a connection is up (`outbound`: we dialled; `inbound`: we accepted).
 * - `Disconnected`: the connection is gone (after an `Error`, or a clean close by either side).
 * - `Sent`: messages were written to the socket (those of one write, in order).
 * - `Recv`: whole messages arrived, in order.
 * - `Error`: the connection failed; a `Disconnected` follows.
 * - `Idle`: the connection has carried nothing for the interface's idle period.
 *
 * @category models
 * @since 0.1.0
 */
export type InterfaceEvent<M extends Message = Message> =
  | { readonly _tag: "Connected"; readonly peer: PeerId; readonly direction: Direction }
  | { readonly _tag: "Disconnected"; readonly peer: PeerId }
  | { readonly _tag: "Sent"; readonly peer: PeerId; readonly messages: ReadonlyArray<M> }
  | { readonly _tag: "Recv"; readonly peer: PeerId; readonly messages: ReadonlyArray<M> }
  | { readonly _tag: "Error"; readonly peer: PeerId; readonly error: ConnectionError }
  | { readonly _tag: "Idle"; readonly peer: PeerId }

/**
 * Constructors for {@link InterfaceEvent}.
 *
 * @category constructors
 * @since 0.1.0
 */
export const InterfaceEvent = {
  Connected: (peer: PeerId, direction: Direction): InterfaceEvent<never> => ({ _tag: "Connected", peer, direction }),
  Disconnected: (peer: PeerId): InterfaceEvent<never> => ({ _tag: "Disconnected", peer }),
  Sent: <M extends Message>(peer: PeerId, ...messages: ReadonlyArray<M>): InterfaceEvent<M> => ({ _tag: "Sent", peer, messages }),
  Recv: <M extends Message>(peer: PeerId, messages: ReadonlyArray<M>): InterfaceEvent<M> => ({
    _tag: "Recv",
    peer,
    messages
  }),
  Error: (peer: PeerId, error: ConnectionError): InterfaceEvent<never> => ({ _tag: "Error", peer, error }),
  Idle: (peer: PeerId): InterfaceEvent<never> => ({ _tag: "Idle", peer })
} as const

/**
 * The shape of an Interface: `dispatch` a command, read `events`. `events` is meant for one
 * consumer (the {@link Manager}); it ends when the interface's scope closes.
 *
 * @category models
 * @since 0.1.0
 */
export interface InterfaceShape<M extends Message = Message> {
  readonly dispatch: (command: InterfaceCommand<M>) => Effect.Effect<void>
  readonly events: Stream.Stream<InterfaceEvent<M>>
}

/**
 * The identifier of an Interface whose connections carry the messages `M` (a type only: the
 * Interface's place in a layer's or an effect's requirements). `Interface<Message>`, the default, is
 * the untyped Interface. Two message unions are compatible when one contains the other: so the
 * untyped Interface still meets any typed requirement (and a typed one any untyped requirement),
 * while a node-to-client Interface does not meet a node-to-node behavior's.
 *
 * @category models
 * @since 0.3.0
 */
export interface Interface<M extends Message = Message> {
  /** Phantom: the messages the Interface carries (a method, so that the check goes both ways). */
  "~@pallas-network2/core/Interface"(messages: M): void
}

/**
 * The Interface service, untyped (its messages are any {@link Message}). Layers: `TcpInterface.layer`
 * and `UnixInterface.layer` in `@pallas-network2/node`, `TestInterface.layer` in the emulation
 * module; each provides the Interface of the messages its `protocols` carry ({@link key}).
 *
 * @category services
 * @since 0.1.0
 */
export const Interface: Context.Service<Interface, InterfaceShape> = Context.Service<Interface, InterfaceShape>(
  "@pallas-network2/core/Interface"
)

/**
 * The key of the Interface whose connections carry the messages `M`, as a behavior over `M` needs
 * it. Every Interface occupies the one slot of {@link Interface} (the same runtime key): a context
 * holds one Interface.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Interface } from "@pallas-network2/core"
 * import type { NodeToNode } from "@pallas-network2/core/protocol"
 * const program = Effect.gen(function*() {
 *   const iface = yield* Interface.key<NodeToNode.AnyNodeToNodeMessage>()
 *   return iface.events
 * })
 * ```
 *
 * @category services
 * @since 0.3.0
 */
export const key = <M extends Message>(): Context.Service<Interface<M>, InterfaceShape<M>> =>
  Context.Service<Interface<M>, InterfaceShape<M>>(Interface.key)
