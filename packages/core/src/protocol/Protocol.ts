/**
 * A mini-protocol as data: its channel, its message codec, and its state machine as a table
 * (states with agency, byte limit and timeout; transitions by message). One generic driver
 * (`protocol/Driver.ts`) runs any such table for either role, so agency, limits, timeouts and
 * pipelining are checked in one place.
 *
 * @since 0.1.0
 */
import type * as Result from "effect/Result"
import type * as Schema from "effect/Schema"
import type { Message } from "../Message.ts"
import type { Channel } from "../Primitives.ts"
import type { DecodeError } from "../ProtocolError.ts"

/**
 * Who may send in a state: the client (the initiator of the protocol instance), the server (its
 * responder), or nobody (a terminal state).
 *
 * @category models
 * @since 0.1.0
 */
export type Agency = "client" | "server" | "nobody"

/**
 * One state of a protocol's state machine.
 *
 * `byteLimit` bounds a message received in this state; `timeout` (milliseconds, or a uniform random
 * range `[min, max]`) bounds how long the side without agency waits. Both absent means no limit,
 * as for every node-to-client protocol.
 *
 * @category models
 * @since 0.1.0
 */
export interface StateSpec {
  readonly agency: Agency
  readonly byteLimit?: number | undefined
  readonly timeout?: number | readonly [number, number] | undefined
}

/**
 * A transition: in state `from`, the side with agency may send `message`, which moves the protocol to
 * `to` (a function when the target depends on the message's contents, as in tx-submission2's
 * blocking and non-blocking requests).
 *
 * @category models
 * @since 0.1.0
 */
export interface Transition<M extends Message, S extends string = string> {
  readonly from: S
  readonly message: M["_tag"]
  readonly to: S | ((message: M) => S)
}

/**
 * A message of the form `[tag, #6.24(bytes)]` as {@link Protocol.encodeWrapped} gives it: the head
 * bytes are the array's, the tag's, CBOR tag 24's and the byte string's, in shortest form.
 *
 * @category models
 * @since 0.3.0
 */
export interface WrappedEncoding {
  readonly tag: number
  readonly bytes: Uint8Array
}

/**
 * Everything the stack needs to know about one mini-protocol.
 *
 * @category models
 * @since 0.1.0
 */
export interface Protocol<M extends Message = Message, S extends string = string> {
  /** The protocol's name, as in its messages' `protocol`. */
  readonly name: M["protocol"]
  /** The mini-protocol number on the wire. */
  readonly channel: Channel
  /** The state both sides start in. */
  readonly initialState: S
  /** Every state, with its agency, byte limit and timeout. */
  readonly states: Readonly<Record<S, StateSpec>>
  /** Every legal move. */
  readonly transitions: ReadonlyArray<Transition<M, S>>
  /** The most bytes that may wait in this protocol's ingress queue (per direction). */
  readonly ingressLimit: number
  /** How many client requests may be in flight at once (1 = no pipelining). */
  readonly maxInFlight: number
  /** The typed messages as a Schema (wire form is CBOR: see `codec`). */
  readonly schema: Schema.Codec<M, Uint8Array>
  /** Payload bytes of one message (exact reference encoding). */
  readonly encode: (message: M) => Uint8Array
  /**
   * The same bytes as {@link encode}, as pieces in order, a large byte string of the message (a block,
   * a transaction) being a piece of its own, not copied: it must not change until written (optional;
   * the multiplexer copies the pieces into its segments, so a block is copied once).
   */
  readonly encodePieces?: ((message: M) => ReadonlyArray<Uint8Array>) | undefined
  /**
   * For a message written `[tag, #6.24(bytes)]` with `tag` under 24 (a block in block-fetch): its tag
   * and `bytes`, so that the multiplexer writes the few bytes before them itself, with no array and
   * no buffer for them (optional; `undefined` for a message of another shape). The object returned
   * is the codec's own, overwritten by its next call: read it at once.
   */
  readonly encodeWrapped?: ((message: M) => WrappedEncoding | undefined) | undefined
  /** One message from exactly the bytes of one CBOR item. */
  readonly decode: (bytes: Uint8Array) => Result.Result<M, DecodeError>
}

/**
 * A protocol table whose state names are checked: the states are the keys of `states`, and an
 * initial state or a transition naming any other state does not compile.
 *
 * @example
 * ```ts
 * import { KeepAlive, Protocol } from "@pallas-network2/core/protocol"
 * const ping = Protocol.define<KeepAlive.Message>()({
 *   ...KeepAlive.codec,
 *   name: "keep-alive",
 *   channel: 8,
 *   initialState: "Client",
 *   states: { Client: { agency: "client" }, Server: { agency: "server" }, Done: { agency: "nobody" } },
 *   transitions: [
 *     { from: "Client", message: "MsgKeepAlive", to: "Server" },
 *     { from: "Server", message: "MsgKeepAliveResponse", to: "Client" },
 *     { from: "Client", message: "MsgDone", to: "Done" }
 *   ],
 *   ingressLimit: 1_408,
 *   maxInFlight: 1
 * })
 * ```
 *
 * @category constructors
 * @since 0.1.0
 */
export const define = <M extends Message>() =>
<const S extends string>(
  protocol: Omit<Protocol<M, S>, "initialState" | "transitions"> & {
    readonly initialState: NoInfer<S>
    readonly transitions: ReadonlyArray<Transition<M, NoInfer<S>>>
  }
): Protocol<M, S> => protocol

/**
 * The messages of a protocol, or of a list of protocols (`MessageOf<typeof protocols[number]>`):
 * what an Interface built from those protocols carries.
 *
 * @example
 * ```ts
 * import type { NodeToNode, Protocol } from "@pallas-network2/core/protocol"
 * type N2N = Protocol.MessageOf<typeof NodeToNode.protocols[number]> // NodeToNode.AnyNodeToNodeMessage
 * ```
 *
 * @category models
 * @since 0.3.0
 */
export type MessageOf<P> = P extends Protocol<infer M, any> ? M : never
