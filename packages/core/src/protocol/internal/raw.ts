/**
 * Exact-bytes helpers for codecs that keep part of a message as the CBOR bytes received (local
 * tx-submission's reject reason, local state query's queries and results).
 *
 * @internal
 */
import * as Cbor from "../../cbor/Cbor.ts"
import { Slab } from "../../internal/slab.ts"

/**
 * For a message `[tag, x]` received as `input`: the bytes of `x` as received (when the message has a
 * definite two-element header and a small tag), else `x` re-encoded.
 */
export const rawSecond = (input: Uint8Array, second: Cbor.Value): Uint8Array => {
  if (input.length >= 3 && input[0] === 0x82 && input[1]! < 24) {
    try {
      return input.slice(2, Cbor.itemEnd(input, 2))
    } catch {
      // fall through to re-encoding
    }
  }
  return Cbor.encode(second)
}

/** The bytes before `<raw bytes>` in `[tag, <raw bytes>]`: a definite two-element array header and the tag. */
export const taggedHead = (tag: number): Uint8Array => {
  const head = Cbor.encode([tag])
  // head is [0x81, tag...]; a two-element array differs only in the first byte
  head[0] = 0x82
  return head
}

/** Encodes `[tag, <raw bytes>]` exactly: a definite two-element array header, the tag, the bytes. */
export const encodeTagged = (tag: number, raw: Uint8Array): Uint8Array => {
  const head = taggedHead(tag)
  const out = new Uint8Array(head.length + raw.length)
  out.set(head, 0)
  out.set(raw, head.length)
  return out
}

/** Where {@link wrappedHead} cuts its heads: a view of a shared slab, not a typed array each. */
const heads = new Slab(65_536, 16)

/**
 * The bytes before `<bytes>` in `[tag, #6.24(<bytes>)]` (a block in block-fetch) when `tag` is under
 * 24: the array header, the tag, tag 24's head and the byte string's head (shortest form), as
 * `Cbor.encode` writes them: a view of a shared slab (kept, it keeps that 64 kB slab alive).
 */
export const wrappedHead = (tag: number, length: number): Uint8Array => {
  const head = heads.take(wrappedHeadLength(length))
  writeWrappedHead(head, 0, tag, length)
  return head
}

/** The length of {@link wrappedHead}'s bytes for a byte string of `length` bytes. */
export const wrappedHeadLength = (length: number): number => 4 + Cbor.headLength(length)

/** Writes {@link wrappedHead}'s bytes into `out` at `at` (they must fit); returns their length. */
export const writeWrappedHead = (out: Uint8Array, at: number, tag: number, length: number): number => {
  out[at] = 0x82
  out[at + 1] = tag
  out[at + 2] = 0xd8
  out[at + 3] = 24
  return Cbor.writeHead(out, at + 4, 2, length) - at
}
