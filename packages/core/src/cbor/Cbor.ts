/**
 * The CBOR the Ouroboros wire needs, written for it: a decoder to a value tree that keeps what the
 * reference codecs care about (definite or indefinite lengths, tags with their content, byte strings
 * as views of the received buffer, big integers), an encoder that writes that tree back byte for byte,
 * and {@link itemEnd}, which finds where one item ends in a partial buffer without building anything.
 *
 * Why not a library: cbor-x and cborg decode to plain values and drop the definite/indefinite
 * distinction that the Haskell codecs enforce (tx-submission2 lists must be indefinite, handshake maps
 * definite), and neither offers a non-allocating "where does this item end" scan for framing.
 *
 * @since 0.1.0
 */
import { Slab } from "../internal/slab.ts"

/**
 * A CBOR tag and its content. Tag 24 ("encoded CBOR") carries headers, blocks and transactions: its
 * content is the byte string exactly as received.
 *
 * @category models
 * @since 0.1.0
 */
export class Tag {
  /** The tag number. */
  readonly tag: number
  /** The tagged content. */
  readonly value: Value
  constructor(tag: number, value: Value) {
    this.tag = tag
    this.value = value
  }
}

/**
 * A floating-point value with the width it was written in (2, 4 or 8 bytes).
 *
 * @category models
 * @since 0.1.0
 */
export class Float {
  /** The number. */
  readonly value: number
  /** Its width on the wire, in bytes. */
  readonly width: 2 | 4 | 8
  constructor(value: number, width: 2 | 4 | 8 = 8) {
    this.value = value
    this.width = width
  }
}

/**
 * A simple value other than false, true, null and undefined.
 *
 * @category models
 * @since 0.1.0
 */
export class Simple {
  /** The simple value's number. */
  readonly value: number
  constructor(value: number) {
    this.value = value
  }
}

/**
 * An indefinite-length byte or text string, kept as its chunks.
 *
 * @category models
 * @since 0.1.0
 */
export class Chunked {
  /** Whether the chunks are byte strings or text strings. */
  readonly kind: "bytes" | "text"
  /** The chunks, in order. */
  readonly chunks: ReadonlyArray<Uint8Array | string>
  constructor(kind: "bytes" | "text", chunks: ReadonlyArray<Uint8Array | string>) {
    this.kind = kind
    this.chunks = chunks
  }
}

/**
 * A decoded CBOR item. Integers are `number` when they fit in 53 bits, `bigint` otherwise. Arrays and
 * maps are plain `Array` and `Map`; an indefinite-length one carries the {@link indefinite} mark.
 *
 * @category models
 * @since 0.1.0
 */
export type Value =
  | number
  | bigint
  | string
  | boolean
  | null
  | undefined
  | Uint8Array
  | ReadonlyArray<Value>
  | ReadonlyMap<Value, Value>
  | Tag
  | Float
  | Simple
  | Chunked

const INDEFINITE: unique symbol = Symbol.for("@pallas-network2/core/cbor/indefinite")

/**
 * Marks an array or map as indefinite-length, so {@link encode} writes it with a break byte.
 *
 * @example
 * ```ts
 * import { Cbor } from "@pallas-network2/core"
 * Cbor.encode(Cbor.indefinite([1, 2])) // 9f 01 02 ff
 * ```
 *
 * @category constructors
 * @since 0.1.0
 */
export const indefinite = <T extends ReadonlyArray<Value> | ReadonlyMap<Value, Value>>(value: T): T => {
  Object.defineProperty(value, INDEFINITE, { value: true, enumerable: false })
  return value
}

/**
 * Whether an array or map was (or will be) written with indefinite length.
 *
 * @category guards
 * @since 0.1.0
 */
export const isIndefinite = (value: unknown): boolean =>
  typeof value === "object" && value !== null && (value as { [INDEFINITE]?: boolean })[INDEFINITE] === true

/**
 * Thrown (internally) and reported as a typed error by the protocol codecs: the bytes are not
 * well-formed CBOR, or end before the item does.
 *
 * @category errors
 * @since 0.1.0
 */
export class CborError extends Error {
  /** The byte offset where decoding failed. */
  readonly offset: number
  constructor(message: string, offset: number) {
    super(`${message} at byte ${offset}`)
    this.offset = offset
  }
}

// ---------------------------------------------------------------------------------------------------
// framing

/**
 * Where the CBOR item that starts at `offset` ends: the offset just past it, or `-1` when `bytes`
 * holds only the beginning of it. Allocates nothing; a byte string's content is skipped, never read.
 * Throws {@link CborError} on bytes that cannot be CBOR (reserved additional information, a break
 * outside an indefinite item, nesting deeper than 256).
 *
 * @example
 * ```ts
 * import { Cbor } from "@pallas-network2/core"
 * Cbor.itemEnd(new Uint8Array([0x82, 0x01]), 0) // -1: the array's second element is missing
 * Cbor.itemEnd(new Uint8Array([0x82, 0x01, 0x02, 0x00]), 0) // 3
 * ```
 *
 * @category framing
 * @since 0.1.0
 */
export const itemEnd = (bytes: Uint8Array, offset: number, end: number = bytes.length): number => {
  // `remaining` counts the items still to read at the open level (-1: an indefinite level, closed
  // by a break); `stack` holds the counts of the enclosing levels.
  const stack: Array<number> = []
  let remaining = 1
  let pos = offset
  while (true) {
    if (remaining === 0) {
      if (stack.length === 0) return pos
      remaining = stack.pop()!
      continue
    }
    if (pos >= end) return -1
    const initial = bytes[pos]!
    pos++
    if (initial === 0xff) {
      if (remaining !== -1) throw new CborError("unexpected break", pos - 1)
      remaining = 0
      continue
    }
    const major = initial >> 5
    const info = initial & 0x1f
    let argument = 0
    if (info < 24) argument = info
    else if (info === 24) {
      if (pos + 1 > end) return -1
      argument = bytes[pos]!
      pos += 1
    } else if (info === 25) {
      if (pos + 2 > end) return -1
      argument = (bytes[pos]! << 8) | bytes[pos + 1]!
      pos += 2
    } else if (info === 26) {
      if (pos + 4 > end) return -1
      argument = bytes[pos]! * 0x1000000 + ((bytes[pos + 1]! << 16) | (bytes[pos + 2]! << 8) | bytes[pos + 3]!)
      pos += 4
    } else if (info === 27) {
      if (pos + 8 > end) return -1
      const high = bytes[pos]! * 0x1000000 + ((bytes[pos + 1]! << 16) | (bytes[pos + 2]! << 8) | bytes[pos + 3]!)
      const low = bytes[pos + 4]! * 0x1000000 + ((bytes[pos + 5]! << 16) | (bytes[pos + 6]! << 8) | bytes[pos + 7]!)
      argument = high * 0x100000000 + low
      pos += 8
    } else if (info === 31) {
      if (major === 0 || major === 1 || major === 6 || major === 7) {
        throw new CborError("indefinite length on an item that has none", pos - 1)
      }
      if (remaining > 0) remaining--
      if (stack.length >= 256) throw new CborError("nesting too deep", pos - 1)
      stack.push(remaining)
      remaining = -1
      continue
    } else throw new CborError(`reserved additional information ${info}`, pos - 1)
    if (remaining > 0) remaining--
    if (major === 2 || major === 3) {
      if (argument > end - pos) return -1
      pos += argument
    } else if (major === 4 || major === 5 || major === 6) {
      const items = major === 4 ? argument : major === 5 ? argument * 2 : 1
      if (items > 0) {
        if (stack.length >= 256) throw new CborError("nesting too deep", pos)
        stack.push(remaining)
        remaining = items
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------------
// decoding

const textDecoder = new TextDecoder("utf-8", { fatal: true })

class Reader {
  pos: number
  readonly bytes: Uint8Array
  readonly end: number
  constructor(bytes: Uint8Array, offset: number, end: number) {
    this.bytes = bytes
    this.pos = offset
    this.end = end
  }
  need(n: number): void {
    if (this.pos + n > this.end) throw new CborError("unexpected end of input", this.pos)
  }
  argument(info: number): number | bigint {
    const bytes = this.bytes
    if (info < 24) return info
    if (info === 24) {
      this.need(1)
      return bytes[this.pos++]!
    }
    if (info === 25) {
      this.need(2)
      const v = (bytes[this.pos]! << 8) | bytes[this.pos + 1]!
      this.pos += 2
      return v
    }
    if (info === 26) {
      this.need(4)
      const p = this.pos
      const v = bytes[p]! * 0x1000000 + ((bytes[p + 1]! << 16) | (bytes[p + 2]! << 8) | bytes[p + 3]!)
      this.pos += 4
      return v
    }
    if (info === 27) {
      this.need(8)
      const p = this.pos
      const high = bytes[p]! * 0x1000000 + ((bytes[p + 1]! << 16) | (bytes[p + 2]! << 8) | bytes[p + 3]!)
      const low = bytes[p + 4]! * 0x1000000 + ((bytes[p + 5]! << 16) | (bytes[p + 6]! << 8) | bytes[p + 7]!)
      this.pos += 8
      if (high < 0x200000) return high * 0x100000000 + low
      return (BigInt(high) << 32n) | BigInt(low)
    }
    throw new CborError(`reserved additional information ${info}`, this.pos - 1)
  }
  length(info: number): number {
    const n = this.argument(info)
    if (typeof n === "bigint" || n > this.end - this.pos + 0x7fffffff) {
      throw new CborError("length too large", this.pos)
    }
    return n
  }
  item(depth: number): Value {
    if (depth > 256) throw new CborError("nesting too deep", this.pos)
    this.need(1)
    const initial = this.bytes[this.pos++]!
    const major = initial >> 5
    const info = initial & 0x1f
    switch (major) {
      case 0:
        if (info === 31) throw new CborError("indefinite length on an integer", this.pos - 1)
        return this.argument(info)
      case 1: {
        if (info === 31) throw new CborError("indefinite length on an integer", this.pos - 1)
        const n = this.argument(info)
        return typeof n === "bigint" ? -1n - n : n >= Number.MAX_SAFE_INTEGER ? -1n - BigInt(n) : -1 - n
      }
      case 2:
      case 3: {
        if (info === 31) {
          const chunks: Array<Uint8Array | string> = []
          while (true) {
            this.need(1)
            if (this.bytes[this.pos] === 0xff) {
              this.pos++
              break
            }
            const chunk = this.item(depth + 1)
            if (major === 2 ? !(chunk instanceof Uint8Array) : typeof chunk !== "string") {
              throw new CborError("bad chunk in an indefinite string", this.pos)
            }
            chunks.push(chunk as Uint8Array | string)
          }
          return new Chunked(major === 2 ? "bytes" : "text", chunks)
        }
        const n = this.length(info)
        this.need(n)
        const view = this.bytes.subarray(this.pos, this.pos + n)
        this.pos += n
        if (major === 2) return view
        try {
          return textDecoder.decode(view)
        } catch {
          throw new CborError("invalid UTF-8 in a text string", this.pos - n)
        }
      }
      case 4: {
        if (info === 31) {
          const items: Array<Value> = []
          while (true) {
            this.need(1)
            if (this.bytes[this.pos] === 0xff) {
              this.pos++
              break
            }
            items.push(this.item(depth + 1))
          }
          return indefinite(items)
        }
        const n = this.length(info)
        if (n > this.end - this.pos) throw new CborError("unexpected end of input", this.pos)
        const items = new Array<Value>(n)
        for (let i = 0; i < n; i++) items[i] = this.item(depth + 1)
        return items
      }
      case 5: {
        const map = new Map<Value, Value>()
        if (info === 31) {
          while (true) {
            this.need(1)
            if (this.bytes[this.pos] === 0xff) {
              this.pos++
              break
            }
            const k = this.item(depth + 1)
            map.set(k, this.item(depth + 1))
          }
          return indefinite(map)
        }
        const n = this.length(info)
        if (n > this.end - this.pos) throw new CborError("unexpected end of input", this.pos)
        for (let i = 0; i < n; i++) {
          const k = this.item(depth + 1)
          map.set(k, this.item(depth + 1))
        }
        return map
      }
      case 6: {
        if (info === 31) throw new CborError("indefinite length on a tag", this.pos - 1)
        const tag = this.argument(info)
        return new Tag(Number(tag), this.item(depth + 1))
      }
      default: {
        if (info < 20) return new Simple(info)
        if (info === 20) return false
        if (info === 21) return true
        if (info === 22) return null
        if (info === 23) return undefined
        if (info === 24) {
          this.need(1)
          return new Simple(this.bytes[this.pos++]!)
        }
        if (info === 25) {
          this.need(2)
          const v = decodeHalf((this.bytes[this.pos]! << 8) | this.bytes[this.pos + 1]!)
          this.pos += 2
          return new Float(v, 2)
        }
        if (info === 26) {
          this.need(4)
          const v = new DataView(this.bytes.buffer, this.bytes.byteOffset + this.pos, 4).getFloat32(0)
          this.pos += 4
          return new Float(v, 4)
        }
        if (info === 27) {
          this.need(8)
          const v = new DataView(this.bytes.buffer, this.bytes.byteOffset + this.pos, 8).getFloat64(0)
          this.pos += 8
          return new Float(v, 8)
        }
        throw new CborError(info === 31 ? "unexpected break" : `reserved simple value ${info}`, this.pos - 1)
      }
    }
  }
}

const decodeHalf = (half: number): number => {
  const exp = (half >> 10) & 0x1f
  const mant = half & 0x3ff
  const sign = half & 0x8000 ? -1 : 1
  if (exp === 0) return sign * mant * 2 ** -24
  if (exp === 31) return mant === 0 ? sign * Infinity : NaN
  return sign * (1 + mant / 1024) * 2 ** (exp - 15)
}

/**
 * Decodes exactly one item that fills `bytes`. Byte strings in the result are views of `bytes`
 * (no copy). Throws {@link CborError} on malformed input or trailing bytes.
 *
 * @example
 * ```ts
 * import { Cbor } from "@pallas-network2/core"
 * Cbor.decode(new Uint8Array([0x82, 0x00, 0x01])) // [0, 1]
 * ```
 *
 * @category decoding
 * @since 0.1.0
 */
export const decode = (bytes: Uint8Array): Value => {
  const reader = new Reader(bytes, 0, bytes.length)
  const value = reader.item(0)
  if (reader.pos !== bytes.length) throw new CborError("trailing bytes after the item", reader.pos)
  return value
}

/**
 * Decodes the item that starts at `offset`; returns it with the offset just past it.
 *
 * @category decoding
 * @since 0.1.0
 */
export const decodeAt = (bytes: Uint8Array, offset: number): readonly [Value, number] => {
  const reader = new Reader(bytes, offset, bytes.length)
  const value = reader.item(0)
  return [value, reader.pos]
}

// ---------------------------------------------------------------------------------------------------
// encoding

/**
 * A growable output buffer used by {@link encode}; exposed so codecs can write their own shapes
 * (headers of arrays, raw pre-encoded items) without building a tree.
 *
 * @category encoding
 * @since 0.1.0
 */
export class Writer {
  private buf: Uint8Array
  // made on first use only (64-bit heads and floats): taking `.buffer` moves a small array off V8's
  // heap into malloc'd memory, which most messages never need
  private dataView: DataView | undefined = undefined
  /**
   * Whether {@link buf} is a piece of the shared slab not given back yet (its unused end goes back
   * once, at `finish`: a second give-back could free a piece another writer took since).
   */
  private onSlab = true
  /** Bytes written so far. */
  length = 0
  /** Byte strings of at least this many bytes are referenced, not copied (see {@link finishPieces}). */
  private referenceFrom = Infinity
  private pieces: Array<Uint8Array> | undefined = undefined
  private pieceStart = 0
  constructor(capacity = 256) {
    // a small buffer is a piece of a shared slab: a typed array over 64 bytes gets a buffer of its
    // own outside V8's heap, which cost more than encoding the message (a chain-sync roll-forward of
    // 830 bytes: 3.2 -> 1.5 us; docs/BENCHMARKS.md items 8 and 18). A piece kept alive keeps its
    // slab (256 kB) alive, as Node's Buffer pool does.
    this.buf = writerSlab.take(capacity)
  }
  private get view(): DataView {
    return this.dataView ??= new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength)
  }
  /** @internal Grows the buffer so that `n` more bytes fit. */
  private reserve(n: number): void {
    if (this.length + n <= this.buf.length) return
    let size = this.buf.length * 2
    while (size < this.length + n) size *= 2
    const next = new Uint8Array(size)
    next.set(this.buf.subarray(0, this.length))
    this.buf = next
    this.onSlab = false
    this.dataView = undefined
  }
  /** Writes a major type with its argument in the shortest form. */
  head(major: number, argument: number | bigint): this {
    const m = major << 5
    if (typeof argument === "bigint") {
      if (argument <= 0xffffffffn) return this.head(major, Number(argument))
      this.reserve(9)
      this.buf[this.length++] = m | 27
      this.view.setBigUint64(this.length, argument)
      this.length += 8
      return this
    }
    if (argument < 0x100000000) {
      this.reserve(headLength(argument))
      this.length = writeHead(this.buf, this.length, major, argument)
    } else {
      this.reserve(9)
      this.buf[this.length++] = m | 27
      this.view.setBigUint64(this.length, BigInt(argument))
      this.length += 8
    }
    return this
  }
  /** Writes one byte as is (0x9f, 0xff, ...). */
  byte(b: number): this {
    this.reserve(1)
    this.buf[this.length++] = b
    return this
  }
  /** Writes bytes as is (a pre-encoded item). */
  raw(bytes: Uint8Array): this {
    this.reserve(bytes.length)
    this.buf.set(bytes, this.length)
    this.length += bytes.length
    return this
  }
  /** Writes an integer (number or bigint, either sign). */
  int(n: number | bigint): this {
    if (typeof n === "bigint") return n < 0n ? this.head(1, -1n - n) : this.head(0, n)
    return n < 0 ? this.head(1, -1 - n) : this.head(0, n)
  }
  /** Writes a definite byte string. */
  bytes(bytes: Uint8Array): this {
    this.head(2, bytes.length)
    if (bytes.length >= this.referenceFrom) {
      // written so far, then the string itself: a piece each
      const pieces = this.pieces ??= []
      if (this.length > this.pieceStart) pieces.push(this.buf.subarray(this.pieceStart, this.length))
      pieces.push(bytes)
      this.pieceStart = this.length
      return this
    }
    return this.raw(bytes)
  }
  /**
   * From now on, byte strings of at least `threshold` bytes are not copied: {@link finishPieces}
   * gives them as pieces of their own, between the pieces of what is written around them.
   */
  referencing(threshold: number): this {
    this.referenceFrom = threshold
    return this
  }
  /** The bytes written so far as pieces in order (one piece unless {@link referencing} kept some strings apart). */
  finishPieces(): Array<Uint8Array> {
    const all = this.finish()
    const pieces = this.pieces
    if (pieces === undefined) return [all]
    if (all.length > this.pieceStart) pieces.push(all.subarray(this.pieceStart))
    this.pieces = undefined
    return pieces
  }
  /** Writes a text string. */
  text(text: string): this {
    return this.bytes0(3, new TextEncoder().encode(text))
  }
  /** @internal Writes a definite-length byte or text string's head and bytes. */
  private bytes0(major: number, bytes: Uint8Array): this {
    this.head(major, bytes.length)
    return this.raw(bytes)
  }
  /** Writes any value tree. */
  value(v: Value): this {
    switch (typeof v) {
      case "number":
        if (!Number.isInteger(v)) return this.value(new Float(v))
        return this.int(v)
      case "bigint":
        return this.int(v)
      case "string":
        return this.text(v)
      case "boolean":
        return this.byte(v ? 0xf5 : 0xf4)
      case "undefined":
        return this.byte(0xf7)
    }
    if (v === null) return this.byte(0xf6)
    if (v instanceof Uint8Array) return this.bytes(v)
    if (Array.isArray(v)) {
      const items = v as ReadonlyArray<Value>
      if (isIndefinite(items)) {
        this.byte(0x9f)
        for (const item of items) this.value(item)
        return this.byte(0xff)
      }
      this.head(4, items.length)
      for (const item of items) this.value(item)
      return this
    }
    if (v instanceof Map) {
      const indef = isIndefinite(v)
      if (indef) this.byte(0xbf)
      else this.head(5, v.size)
      for (const [k, item] of v) {
        this.value(k)
        this.value(item)
      }
      return indef ? this.byte(0xff) : this
    }
    if (v instanceof Tag) {
      this.head(6, v.tag)
      return this.value(v.value)
    }
    if (v instanceof Float) {
      if (v.width === 2) {
        this.byte(0xf9)
        this.reserve(2)
        this.view.setUint16(this.length, encodeHalf(v.value))
        this.length += 2
      } else if (v.width === 4) {
        this.byte(0xfa)
        this.reserve(4)
        this.view.setFloat32(this.length, v.value)
        this.length += 4
      } else {
        this.byte(0xfb)
        this.reserve(8)
        this.view.setFloat64(this.length, v.value)
        this.length += 8
      }
      return this
    }
    if (v instanceof Simple) return v.value < 24 ? this.byte(0xe0 | v.value) : this.byte(0xf8).byte(v.value)
    if (v instanceof Chunked) {
      this.byte(v.kind === "bytes" ? 0x5f : 0x7f)
      for (const chunk of v.chunks) {
        if (typeof chunk === "string") this.text(chunk)
        else this.bytes(chunk)
      }
      return this.byte(0xff)
    }
    throw new CborError(`cannot encode ${Object.prototype.toString.call(v)}`, this.length)
  }
  /** The bytes written so far: a view of the writer's buffer (no copy; the writer is done with). */
  finish(): Uint8Array {
    // the rest of a slab piece goes back when no other writer took a piece after it (a buffer of
    // its own, or grown out of the slab, is not the slab's: giveBack leaves it)
    if (this.onSlab) writerSlab.giveBack(this.buf, this.length)
    this.onSlab = false
    return this.buf.subarray(0, this.length)
  }
}

/**
 * The bytes of a head whose argument is under 2^32 in the shortest form: 1, 2, 3 or 5.
 *
 * @category encoding
 * @since 0.3.0
 */
export const headLength = (argument: number): number =>
  argument < 24 ? 1 : argument < 0x100 ? 2 : argument < 0x10000 ? 3 : 5

/**
 * Writes the head of major type `major` with `argument` (under 2^32) in the shortest form into `out`
 * at `at` ({@link headLength} bytes must fit); returns where the head ends. For code that lays out
 * a message itself (the multiplexer's block heads).
 *
 * @example
 * ```ts
 * import { Cbor } from "@pallas-network2/core"
 * const out = new Uint8Array(3)
 * Cbor.writeHead(out, 0, 2, 1535) // 3: a byte string head 0x59 0x05 0xff
 * ```
 *
 * @category encoding
 * @since 0.3.0
 */
export const writeHead = (out: Uint8Array, at: number, major: number, argument: number): number => {
  const m = major << 5
  if (argument < 24) {
    out[at] = m | argument
    return at + 1
  }
  if (argument < 0x100) {
    out[at] = m | 24
    out[at + 1] = argument
    return at + 2
  }
  if (argument < 0x10000) {
    out[at] = m | 25
    out[at + 1] = argument >>> 8
    out[at + 2] = argument & 0xff
    return at + 3
  }
  out[at] = m | 26
  out[at + 1] = argument >>> 24
  out[at + 2] = (argument >>> 16) & 0xff
  out[at + 3] = (argument >>> 8) & 0xff
  out[at + 4] = argument & 0xff
  return at + 5
}

/**
 * The argument of a head whose additional information is `info` (0 to 27), its bytes at `at` (after
 * the initial byte); the caller has checked they are there. A 64-bit argument comes as a number
 * (exact up to 2^53).
 *
 * @category decoding
 * @since 0.3.0
 */
export const readArgument = (bytes: Uint8Array, at: number, info: number): number => {
  if (info < 24) return info
  if (info === 24) return bytes[at]!
  if (info === 25) return (bytes[at]! << 8) | bytes[at + 1]!
  if (info === 26) return bytes[at]! * 0x1000000 + ((bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!)
  const high = bytes[at]! * 0x1000000 + ((bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!)
  const low = bytes[at + 4]! * 0x1000000 + ((bytes[at + 5]! << 16) | (bytes[at + 6]! << 8) | bytes[at + 7]!)
  return high * 0x100000000 + low
}

/** The shared slabs small writers cut their buffers from (a new one when full; the old one lives while its pieces do). */
const SLAB_PIECE = 16_384
const writerSlab = new Slab(262_144, SLAB_PIECE)

const encodeHalf = (value: number): number => {
  const f32 = new Float32Array([value])
  const bits = new Uint32Array(f32.buffer)[0]!
  const sign = (bits >> 16) & 0x8000
  const exp = ((bits >> 23) & 0xff) - 127 + 15
  const mant = bits & 0x7fffff
  if (Number.isNaN(value)) return 0x7e00
  if (exp <= 0) return sign | (mant | 0x800000) >> (14 - exp)
  if (exp >= 31) return sign | 0x7c00
  return sign | (exp << 10) | (mant >> 13)
}

/**
 * Encodes a value tree. Lengths are definite unless marked {@link indefinite}; integers take the
 * shortest form, as the reference encoders write them.
 *
 * @example
 * ```ts
 * import { Cbor } from "@pallas-network2/core"
 * Cbor.encode([0, new Map([[14, [764824073, false, 1, false]]])])
 * ```
 *
 * @category encoding
 * @since 0.1.0
 */
export const encode = (value: Value): Uint8Array => new Writer(sizeHint(value)).value(value).finish()

/**
 * Encodes a value tree as pieces: the same bytes as {@link encode}, in order, but each byte string of
 * at least `threshold` bytes is a piece of its own, the caller's array itself (not copied: it must
 * not change until the pieces are used). For a writer that copies everything once into its own
 * buffer anyway (the multiplexer's segments), a block is then copied once, not twice.
 *
 * @example
 * ```ts
 * import { Cbor } from "@pallas-network2/core"
 * const block = new Uint8Array(4096)
 * const pieces = Cbor.encodePieces([4, new Cbor.Tag(24, block)], 1024) // [head bytes, block]
 * ```
 *
 * @category encoding
 * @since 0.3.0
 */
export const encodePieces = (value: Value, threshold: number): Array<Uint8Array> => {
  // at least 1: an empty string is never a piece of its own
  const referenced = Math.max(1, threshold)
  return new Writer(sizeHint(value, referenced)).referencing(referenced).value(value).finishPieces()
}

/**
 * A first guess of the encoded size, so a message carrying byte strings (a block, a header wrapped
 * in an array, a transaction) is written without regrowing: the byte strings three levels down.
 */
const sizeHint = (value: Value, referenced = Infinity): number => 64 + bytesIn(value, 3, referenced)
/** The byte strings' bytes `depth` levels down, those of at least `referenced` bytes not counted. */
const bytesIn = (value: Value, depth: number, referenced: number): number => {
  if (value instanceof Uint8Array) return (value.length >= referenced ? 0 : value.length) + 9
  if (depth === 0) return 0
  if (value instanceof Tag) return 3 + bytesIn(value.value, depth - 1, referenced)
  if (!Array.isArray(value)) return 0
  let n = 0
  for (const v of value as ReadonlyArray<Value>) n += bytesIn(v, depth - 1, referenced)
  return n
}

// ---------------------------------------------------------------------------------------------------
// hex

/**
 * Bytes from hex text (spaces allowed); `undefined` when the text is not hex.
 *
 * @category encoding
 * @since 0.1.0
 */
export const fromHex = (hex: string): Uint8Array | undefined => {
  const clean = hex.replace(/\s+/g, "")
  if (clean.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(clean)) return undefined
  const out = new Uint8Array(clean.length / 2)
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(i * 2, i * 2 + 2), 16)
  return out
}

/**
 * Lower-case hex of bytes.
 *
 * @category encoding
 * @since 0.1.0
 */
export const toHex = (bytes: Uint8Array): string => {
  let out = ""
  for (let i = 0; i < bytes.length; i++) out += (bytes[i]! < 16 ? "0" : "") + bytes[i]!.toString(16)
  return out
}
