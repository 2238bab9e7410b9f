/**
 * Incremental CBOR framing of one mini-protocol instance's byte stream: segments go in, whole
 * top-level CBOR items (messages) come out. The scanner keeps its place between segments (the open
 * nesting levels, a head split over two segments, the rest of a byte string still to skip), so every
 * byte is scanned once, however the peer cuts its segments. The pieces of a message that spans
 * segments are kept as a list and joined once, when the message is whole: a message in one segment
 * is a view of it, never a copy.
 *
 * @internal
 */
import { CborError, readArgument } from "../../cbor/Cbor.ts"
import { Slab } from "../../internal/slab.ts"

/**
 * Pieces smaller than this are copied into a shared tail buffer of {@link TAIL} bytes instead of
 * being kept one by one: a message in tiny segments costs one small copy per byte, not one object
 * per segment, and no piece holds a whole read buffer alive. A message's first tail is only this
 * big: the common case, a small message cut by a segment's end, then costs 1 KiB, not 16.
 */
const SMALL = 1024
const TAIL = 16_384
/**
 * Where messages that span segments are joined: a message is decoded into views of its bytes, so a
 * piece kept by the application keeps its slab alive, as a view of a socket read keeps the read.
 */
const joined = new Slab(131_072, 32_768)
/**
 * Where tails are cut from: a tail lives only until its message is joined, so a view of a shared
 * slab, not a typed array of its own each time (that cost more than framing the message).
 */
const tails = new Slab(131_072, TAIL)

/**
 * A message may take this many segments whatever their size; beyond it, its segments must carry
 * {@link MIN_AVERAGE_SEGMENT} payload bytes on average (the multiplexer closes the peer otherwise).
 *
 * @internal
 */
export const FREE_SEGMENTS = 32
/**
 * The average payload a message's segments must carry beyond the first {@link FREE_SEGMENTS}.
 *
 * @internal
 */
export const MIN_AVERAGE_SEGMENT = 256

/**
 * The framer of one instance. `push` may throw {@link CborError} on bytes that cannot be CBOR; the
 * framer is not used after that.
 *
 * @internal
 */
export class Framer {
  /** Bytes of the message begun and not yet whole. */
  pending = 0
  /** Segments that carried bytes of the message begun and not yet whole (the one it began in included). */
  segments = 0
  /** Bytes scanned in all (for tests). */
  scanned = 0
  /**
   * Set when a message (still arriving, or completed within a run of segments: see `push`) has taken
   * more than {@link FREE_SEGMENTS} segments carrying under {@link MIN_AVERAGE_SEGMENT} bytes on
   * average: its segment count and bytes. The framer stops there; its user closes the peer.
   */
  dripped: { readonly segments: number; readonly bytes: number } | undefined = undefined

  /** `freeSegments`: where the rule of {@link dripped} begins ({@link FREE_SEGMENTS}; a benchmark may lift it). */
  readonly freeSegments: number
  constructor(freeSegments: number = FREE_SEGMENTS) {
    this.freeSegments = freeSegments
  }

  private active = false
  /** Where the piece being pushed begins in its chunk (error offsets count from it). */
  private from = 0

  /** No message begun: nothing of the stream is held. */
  get idle(): boolean {
    return !this.active
  }
  /** Items still to read at the open level; -1 at an indefinite level (closed by a break). */
  private remaining = 0
  private readonly stack: Array<number> = []
  /** Content bytes of a string still to pass over. */
  private skip = 0
  /** A head split between segments: its bytes so far (made at the first split head), and how many it has in all. */
  private head: Uint8Array | undefined
  private headFill = 0
  private headLength = 0
  /** The earlier pieces of the pending message. */
  private pieces: Array<Uint8Array> = []
  /** Where small pieces are gathered; its first {@link tailFill} bytes are the latest part of the message. */
  private tail: Uint8Array | undefined
  private tailFill = 0

  /**
   * Feeds payload bytes `chunk[from, to)` (by default all of it), the payload of one segment or of a
   * run of `count` segments whose payloads end at `ends[0..count)`; appends the messages they
   * complete, in order, to `out`. Every message's segments are counted, in a run too.
   */
  push(chunk: Uint8Array, out: Array<Uint8Array>, from = 0, to = chunk.length, count = 1, ends?: Int32Array): void {
    const len = to
    let pos = from
    let start = from
    this.from = from
    if (this.active) this.segments++
    // in a run: the segment at `pos`, and the one the current message began in
    let seg = 0
    let first = 0
    while (pos < len) {
      if (!this.active) {
        this.active = true
        this.remaining = 1
        this.segments = 1
        start = pos
        if (ends !== undefined) {
          while (ends[seg]! <= pos) seg++
          first = seg
        }
      }
      if (this.skip > 0) {
        const n = Math.min(this.skip, len - pos)
        pos += n
        this.skip -= n
        if (this.skip > 0) break
      } else {
        let major: number
        let info: number
        let argument: number
        if (this.headFill > 0) {
          // finish a head begun in an earlier segment
          const head = this.head!
          const n = Math.min(this.headLength - this.headFill, len - pos)
          head.set(chunk.subarray(pos, pos + n), this.headFill)
          this.headFill += n
          pos += n
          if (this.headFill < this.headLength) break
          this.headFill = 0
          major = head[0]! >> 5
          info = head[0]! & 0x1f
          argument = readArgument(head, 1, info)
        } else {
          const initial = chunk[pos]!
          major = initial >> 5
          info = initial & 0x1f
          if (info >= 28 && info <= 30) throw new CborError(`reserved additional information ${info}`, this.scanned + pos - this.from)
          const size = info < 24 || info === 31 ? 1 : info === 24 ? 2 : info === 25 ? 3 : info === 26 ? 5 : 9
          if (pos + size > len) {
            // the head runs into the next segment
            ;(this.head ??= new Uint8Array(9)).set(chunk.subarray(pos, len), 0)
            this.headFill = len - pos
            this.headLength = size
            pos = len
            break
          }
          argument = size === 1 ? info : readArgument(chunk, pos + 1, info)
          pos += size
        }
        this.item(major, info, argument, pos)
        // not finished: a string's content to pass over, or more items to read at this level
        if (this.skip > 0 || this.remaining !== 0) continue
      }
      // close the levels that are complete; the message is whole when the outermost one is
      while (this.remaining === 0 && this.stack.length > 0) this.remaining = this.stack.pop()!
      if (this.remaining === 0 && this.skip === 0 && this.headFill === 0) {
        const message = this.take(chunk, start, pos)
        this.active = false
        start = pos
        // the message's segments, in a run or one by one: the same rule however the reads fell
        if (ends !== undefined) while (ends[seg]! < pos) seg++
        const segments = ends !== undefined ? this.segments + seg - first : this.segments
        if (segments > this.freeSegments && message.length < segments * MIN_AVERAGE_SEGMENT) {
          this.dripped = { segments, bytes: message.length }
          return
        }
        out.push(message)
      }
    }
    this.scanned += len - from
    if (this.active) {
      if (ends !== undefined) this.segments += count - 1 - first
      if (len > start) this.keep(chunk, start, len)
      if (this.segments > this.freeSegments && this.pending < this.segments * MIN_AVERAGE_SEGMENT) {
        this.dripped = { segments: this.segments, bytes: this.pending }
      }
    }
  }

  /** Keeps a piece of the pending message: large ones as views, small ones copied into the tail. */
  private keep(chunk: Uint8Array, start: number, end: number): void {
    const n = end - start
    this.pending += n
    if (n >= SMALL) {
      this.flushTail()
      this.pieces.push(chunk.subarray(start, end))
      return
    }
    if (this.tail !== undefined && this.tailFill + n > this.tail.length) this.flushTail()
    if (this.tail === undefined) {
      this.tail = tails.take(this.pieces.length === 0 ? SMALL : TAIL)
      this.tailFill = 0
    }
    const tail = this.tail
    if (n <= 16) {
      // a few bytes: a loop is cheaper than a view and a set
      for (let i = 0; i < n; i++) tail[this.tailFill + i] = chunk[start + i]!
    } else tail.set(chunk.subarray(start, end), this.tailFill)
    this.tailFill += n
  }

  private flushTail(): void {
    if (this.tail === undefined || this.tailFill === 0) return
    this.pieces.push(this.tail.subarray(0, this.tailFill))
    tails.giveBack(this.tail, this.tailFill)
    this.tail = undefined
    this.tailFill = 0
  }

  /** Applies one item's head to the nesting levels. */
  private item(major: number, info: number, argument: number, pos: number): void {
    if (major === 7 && info === 31) {
      if (this.remaining !== -1) throw new CborError("unexpected break", this.scanned + pos - this.from - 1)
      this.remaining = 0
      return
    }
    if (info === 31) {
      if (major === 0 || major === 1 || major === 6 || major === 7) {
        throw new CborError("indefinite length on an item that has none", this.scanned + pos - this.from - 1)
      }
      if (this.remaining > 0) this.remaining--
      if (this.stack.length >= 256) throw new CborError("nesting too deep", this.scanned + pos - this.from - 1)
      this.stack.push(this.remaining)
      this.remaining = -1
      return
    }
    if (this.remaining > 0) this.remaining--
    if (major === 2 || major === 3) {
      this.skip = argument
    } else if (major === 4 || major === 5 || major === 6) {
      const items = major === 4 ? argument : major === 5 ? argument * 2 : 1
      if (items > 0) {
        if (this.stack.length >= 256) throw new CborError("nesting too deep", this.scanned + pos - this.from)
        this.stack.push(this.remaining)
        this.remaining = items
      }
    }
  }

  /** The whole message ending at `end` of `chunk`: a view when it lies in this chunk, else joined once. */
  private take(chunk: Uint8Array, start: number, end: number): Uint8Array {
    this.flushTail()
    if (this.pieces.length === 0) return chunk.subarray(start, end)
    const whole = joined.take(this.pending + end - start)
    let at = 0
    for (const p of this.pieces) {
      whole.set(p, at)
      at += p.length
    }
    whole.set(chunk.subarray(start, end), at)
    this.pieces = []
    this.pending = 0
    return whole
  }
}
