/**
 * Exact-bytes helpers for codecs that keep part of a message as the CBOR bytes received (local
 * tx-submission's reject reason, local state query's queries and results).
 *
 * @internal
 */
import type * as Result from "effect/Result"
import * as Cbor from "../../cbor/Cbor.ts"
import type { Message } from "../../Message.ts"
import type { DecodeError } from "../../ProtocolError.ts"
import type { Codec } from "./codec.ts"

/**
 * Wraps a codec so that `fromValue` can read the exact bytes of the message being decoded through
 * `rawSecond(value)`: for a message `[tag, x]` the bytes of `x` as received (when the message has a
 * definite two-element header and a small tag), else `x` re-encoded.
 */
export const withRaw = <M extends Message>(
  make: (rawSecond: (second: Cbor.Value) => Uint8Array) => Codec<M>
): Codec<M> => {
  let current: Uint8Array | undefined
  const rawSecond = (second: Cbor.Value): Uint8Array => {
    const input = current
    if (input !== undefined && input.length >= 3 && input[0] === 0x82 && input[1]! < 24) {
      try {
        const end = Cbor.itemEnd(input, 2)
        return input.slice(2, end)
      } catch {
        // fall through to re-encoding
      }
    }
    return Cbor.encode(second)
  }
  const inner = make(rawSecond)
  const decode = (input: Uint8Array): Result.Result<M, DecodeError> => {
    const saved = current
    current = input
    try {
      return inner.decode(input)
    } finally {
      current = saved
    }
  }
  return { encode: inner.encode, decode, schema: inner.schema }
}


/** Encodes `[tag, <raw bytes>]` exactly: a definite two-element array header, the tag, the bytes. */
export const encodeTagged = (tag: number, raw: Uint8Array): Uint8Array => {
  const head = Cbor.encode([tag])
  // head is [0x81, tag...]; a two-element array differs only in the first byte
  const out = new Uint8Array(head.length + raw.length)
  out.set(head, 0)
  out[0] = 0x82
  out.set(raw, head.length)
  return out
}
