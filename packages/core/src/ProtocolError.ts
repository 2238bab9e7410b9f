/**
 * The typed reasons a connection is closed: a malformed segment, a protocol violation, a failed
 * transport. Each names enough (protocol, state, message) for a user to read what went wrong.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"

/**
 * A message that could not be decoded: bad CBOR, or CBOR that is not a message of the protocol.
 *
 * @category errors
 * @since 0.1.0
 */
export class DecodeError extends Schema.TaggedError<DecodeError>()("DecodeError", {
  protocol: Schema.String,
  detail: Schema.String
}) {
  override get message(): string {
    return `${this.protocol}: ${this.detail}`
  }
}

/**
 * A segment-level fault on a connection: the bearer is torn down.
 *
 * - `ZeroLength`: a segment with no payload.
 * - `UnknownProtocol`: a protocol number this connection does not run.
 * - `WrongDirection`: a segment for a side (initiator or responder) of a protocol that is not running.
 * - `SegmentTimeout`: a segment that did not arrive whole within its timeout.
 * - `IngressOverrun`: more bytes queued for one protocol than its ingress limit allows.
 *
 * @category errors
 * @since 0.1.0
 */
export class MuxError extends Schema.TaggedError<MuxError>()("MuxError", {
  reason: Schema.Literals(["ZeroLength", "UnknownProtocol", "WrongDirection", "SegmentTimeout", "IngressOverrun"]),
  detail: Schema.String
}) {
  override get message(): string {
    return `${this.reason}: ${this.detail}`
  }
}

/**
 * A peer broke the rules of a mini-protocol.
 *
 * - `Agency`: a message sent by the side that does not have agency in the state.
 * - `UnexpectedMessage`: a message of the right side that the state does not allow.
 * - `ByteLimit`: a message larger than the state's byte limit.
 * - `Timeout`: the peer did not answer within the state's timeout.
 * - `Decode`: bytes that are not a message of the protocol.
 * - `Pipelining`: more requests in flight than the protocol allows.
 *
 * @category errors
 * @since 0.1.0
 */
export class ProtocolViolation extends Schema.TaggedError<ProtocolViolation>()("ProtocolViolation", {
  protocol: Schema.String,
  state: Schema.String,
  kind: Schema.Literals(["Agency", "UnexpectedMessage", "ByteLimit", "Timeout", "Decode", "Pipelining"]),
  detail: Schema.String
}) {
  override get message(): string {
    return `${this.protocol} in ${this.state}: ${this.kind}: ${this.detail}`
  }
}

/**
 * The transport failed: a connect that was refused or timed out, a read or write error.
 *
 * @category errors
 * @since 0.1.0
 */
export class TransportError extends Schema.TaggedError<TransportError>()("TransportError", {
  detail: Schema.String
}) {
  override get message(): string {
    return this.detail
  }
}

/**
 * Why a connection ended with an error, as reported in `InterfaceEvent.Error`.
 *
 * @category errors
 * @since 0.1.0
 */
export type ConnectionError = MuxError | ProtocolViolation | TransportError
