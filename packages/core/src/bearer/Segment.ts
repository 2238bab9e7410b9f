/**
 * The 8-byte segment (SDU) header of the Ouroboros multiplexer, big-endian: a 32-bit transmission time
 * (microseconds since the connection started, informational), the mode bit (set when the responder of
 * the mini-protocol instance sent the segment), the 15-bit mini-protocol number and the 16-bit payload
 * length.
 *
 * @since 0.1.0
 */
import { MAX_SEGMENT_PAYLOAD_LENGTH } from "../Primitives.ts"

/**
 * Bytes in a segment header.
 *
 * @category constants
 * @since 0.1.0
 */
export const HEADER_LENGTH = 8

/**
 * A decoded segment header.
 *
 * @category models
 * @since 0.1.0
 */
export interface Header {
  readonly time: number
  /** True when the responder of the instance sent it (mode bit 1). */
  readonly fromResponder: boolean
  readonly protocol: number
  readonly length: number
}

/**
 * Writes a header into `out` at `offset`.
 *
 * @example
 * ```ts
 * import { Segment } from "@pallas-network2/core"
 * const h = new Uint8Array(8)
 * Segment.writeHeader(h, 0, 794923165, false, 0, 17)
 * ```
 *
 * @category encoding
 * @since 0.1.0
 */
export const writeHeader = (
  out: Uint8Array,
  offset: number,
  time: number,
  fromResponder: boolean,
  protocol: number,
  length: number
): void => {
  const t = time >>> 0
  out[offset] = t >>> 24
  out[offset + 1] = t >>> 16
  out[offset + 2] = t >>> 8
  out[offset + 3] = t
  const p = (protocol & 0x7fff) | (fromResponder ? 0x8000 : 0)
  out[offset + 4] = p >>> 8
  out[offset + 5] = p
  out[offset + 6] = length >>> 8
  out[offset + 7] = length
}

/**
 * Reads a header from `bytes` at `offset` (8 bytes must be there).
 *
 * @category decoding
 * @since 0.1.0
 */
export const readHeader = (bytes: Uint8Array, offset: number): Header => {
  const time = ((bytes[offset]! << 24) | (bytes[offset + 1]! << 16) | (bytes[offset + 2]! << 8) | bytes[offset + 3]!) >>> 0
  const p = (bytes[offset + 4]! << 8) | bytes[offset + 5]!
  return {
    time,
    fromResponder: (p & 0x8000) !== 0,
    protocol: p & 0x7fff,
    length: (bytes[offset + 6]! << 8) | bytes[offset + 7]!
  }
}

/**
 * One whole segment: its header fields and a view of its payload.
 *
 * @category models
 * @since 0.1.0
 */
export interface Segment extends Header {
  readonly payload: Uint8Array
}

/**
 * Where {@link SegmentReader.scan} hands each whole segment: its payload is `chunk[start, end)`, of
 * mini-protocol `protocol`, sent by the peer's responder side when `fromResponder`. Returning `false`
 * stops the scan there.
 *
 * @example
 * ```ts
 * import { Segment } from "@pallas-network2/core"
 * let bytes = 0
 * const sink: Segment.SegmentSink = { payload: (_protocol, _fromResponder, _chunk, start, end) => (bytes += end - start, true) }
 * new Segment.SegmentReader().scan(new Uint8Array([0, 0, 0, 1, 0, 8, 0, 2, 0x82, 0x00]), sink) // bytes === 2
 * ```
 *
 * @category models
 * @since 0.3.0
 */
export interface SegmentSink {
  /**
   * One whole segment, or (with {@link runs}) a run of `segments` small segments of one mini-protocol
   * and direction that followed each other in a read, their payloads gathered into `chunk[start, end)`;
   * the first `segments` entries of `ends` are where each one's payload ends (`ends` is the reader's,
   * valid during the call only; undefined for one segment).
   */
  readonly payload: (
    protocol: number,
    fromResponder: boolean,
    chunk: Uint8Array,
    start: number,
    end: number,
    segments: number,
    ends: Int32Array | undefined
  ) => boolean
  /**
   * When true, consecutive segments under {@link RUN_SEGMENT} bytes of one mini-protocol and direction
   * in one read are gathered and handed as one run: a peer cutting its messages into tiny segments
   * costs a header's read and a copy per segment, not a call. Off by default: one call a segment.
   */
  readonly runs?: boolean
}

/**
 * Segments with fewer payload bytes than this are gathered into runs for a sink that asks for
 * {@link SegmentSink.runs}; larger ones are always handed as views of the read.
 *
 * @category constants
 * @since 0.3.0
 */
export const RUN_SEGMENT = 256

// Where a run's payloads are gathered (then handed over as a copy of their length) and where each of
// its segments ends: shared by every reader (a scan runs to its end before another begins), so a
// connection holds none of it.
let runGather = new Uint8Array(8192)
let runEnds = new Int32Array(256)

/**
 * A stateful reader fed the byte stream in whatever pieces it arrives: a header split over two
 * reads, many segments in one read, a payload over many reads. Whole segments come out in order;
 * a payload is a view of the read when it lies in one piece, and copied once otherwise.
 * A zero-length segment is refused: the reader stops there and sets `error` (`ZeroLengthSegment`).
 *
 * @example
 * ```ts
 * import { Segment } from "@pallas-network2/core"
 * const reader = new Segment.SegmentReader()
 * // bytes as a socket delivers them, split anywhere: here one keep-alive (protocol 8) segment
 * // whose 2-byte payload is still missing its last byte
 * const segments = reader.push(new Uint8Array([0, 0, 0, 1, 0, 8, 0, 2, 0x82])) // []
 * const more = reader.push(new Uint8Array([0x00])) // [the whole segment]
 * ```
 *
 * @category decoding
 * @since 0.1.0
 */
export class SegmentReader {
  private readonly header = new Uint8Array(HEADER_LENGTH)
  private headerFilled = 0
  private current: Header | undefined
  private payload: Uint8Array | undefined
  private payloadFilled = 0

  /** Whether a segment has begun and not yet completed. */
  get inSegment(): boolean {
    return this.headerFilled > 0 || this.current !== undefined
  }

  /**
   * Feeds bytes and hands every whole segment to `sink`, in order, without allocating: a segment
   * that lies in `chunk` is handed as offsets into it; one split over reads is gathered once, into a
   * buffer of its length, and handed when whole. A zero-length header stops the scan and sets
   * {@link error}. Returns `false` when it stopped (that error, or the sink said so); the reader is
   * not used after that. One reader is fed through `scan` or through {@link push}, not both.
   */
  scan(chunk: Uint8Array, sink: SegmentSink): boolean {
    if (this.error !== undefined) return false
    let pos = 0
    const end = chunk.length
    while (pos < end) {
      let h = this.current
      if (h === undefined) {
        if (this.headerFilled === 0 && end - pos >= HEADER_LENGTH) {
          this.begun++
          const length = (chunk[pos + 6]! << 8) | chunk[pos + 7]!
          const p = (chunk[pos + 4]! << 8) | chunk[pos + 5]!
          if (length > 0 && end - pos - HEADER_LENGTH >= length) {
            // the common case, header and payload in this piece: no object, no copy
            const start = pos + HEADER_LENGTH
            pos = start + length
            if (length < RUN_SEGMENT && sink.runs === true && end - pos > HEADER_LENGTH && chunk[pos + 4] === chunk[start - 4] && chunk[pos + 5] === chunk[start - 3]) {
              // small segments of one channel back to back: gathered, one call for the run
              const next = this.run(chunk, start, end, p, sink)
              if (next < 0) return false
              pos = next
              continue
            }
            if (!sink.payload(p & 0x7fff, (p & 0x8000) !== 0, chunk, start, pos, 1, undefined)) return false
            continue
          }
          h = readHeader(chunk, pos)
          pos += HEADER_LENGTH
        } else {
          if (this.headerFilled === 0) this.begun++
          while (this.headerFilled < HEADER_LENGTH && pos < end) this.header[this.headerFilled++] = chunk[pos++]!
          if (this.headerFilled < HEADER_LENGTH) return true
          this.headerFilled = 0
          h = readHeader(this.header, 0)
        }
        if (h.length === 0) {
          this.error = new ZeroLengthSegment(h.protocol)
          return false
        }
        this.current = h
        if (end - pos >= h.length) {
          const start = pos
          pos += h.length
          this.current = undefined
          if (!sink.payload(h.protocol, h.fromResponder, chunk, start, pos, 1, undefined)) return false
          continue
        }
        this.payload = new Uint8Array(h.length)
        this.payloadFilled = 0
      }
      const payload = this.payload!
      const n = Math.min(payload.length - this.payloadFilled, end - pos)
      payload.set(n === end - pos && pos === 0 ? chunk : chunk.subarray(pos, pos + n), this.payloadFilled)
      this.payloadFilled += n
      pos += n
      if (this.payloadFilled === payload.length) {
        this.payload = undefined
        this.current = undefined
        if (!sink.payload(h.protocol, h.fromResponder, payload, 0, payload.length, 1, undefined)) return false
      }
    }
    return true
  }

  /**
   * A run of small whole segments of mini-protocol word `word` (number and mode bit) in `chunk`, the
   * first one's payload at `first`: their payloads gathered in one pass and handed in one call, as
   * one buffer of their length. Returns where the scan goes on, or -1 when the sink said stop.
   */
  private run(chunk: Uint8Array, first: number, end: number, word: number, sink: SegmentSink): number {
    const w4 = chunk[first - 4]!
    const w5 = chunk[first - 3]!
    let gather = runGather
    let ends = runEnds
    let count = 0
    let fill = 0
    let at = first - HEADER_LENGTH
    // the run goes on while whole small segments of the same word follow
    while (end - at > HEADER_LENGTH && chunk[at + 4] === w4 && chunk[at + 5] === w5) {
      const length = (chunk[at + 6]! << 8) | chunk[at + 7]!
      if (length === 0 || length >= RUN_SEGMENT || end - at - HEADER_LENGTH < length) break
      if (fill + length > gather.length) {
        const grown = new Uint8Array(gather.length * 2)
        grown.set(gather.subarray(0, fill))
        gather = runGather = grown
      }
      if (count === ends.length) {
        const grown = new Int32Array(ends.length * 2)
        grown.set(ends)
        ends = runEnds = grown
      }
      const from = at + HEADER_LENGTH
      if (length <= 16) for (let k = 0; k < length; k++) gather[fill + k] = chunk[from + k]!
      else gather.set(chunk.subarray(from, from + length), fill)
      fill += length
      ends[count++] = fill
      at = from + length
    }
    this.begun += count - 1
    return sink.payload(word & 0x7fff, (word & 0x8000) !== 0, gather.slice(0, fill), 0, fill, count, count > 1 ? ends : undefined) ? at : -1
  }

  /**
   * How many segments have begun (their first byte read) so far: while {@link inSegment}, the
   * number of the one in progress. A multiplexer times a segment from its first byte with it.
   */
  begun = 0

  /**
   * Why the stream stopped: a zero-length header was read. The segments before it were returned;
   * nothing after it is read.
   */
  error: ZeroLengthSegment | undefined = undefined

  /**
   * Feeds bytes; returns the segments they complete, in order. At a zero-length header it stops and
   * sets {@link error} (the segments completed before it are still returned, however the bytes were
   * cut); after that it returns nothing.
   */
  push(chunk: Uint8Array): Array<Segment> {
    const out: Array<Segment> = []
    if (this.error !== undefined) return out
    let pos = 0
    const end = chunk.length
    while (pos < end) {
      if (this.current === undefined) {
        if (this.headerFilled === 0) this.begun++
        if (this.headerFilled === 0 && end - pos >= HEADER_LENGTH) {
          // the common case, header and payload in this piece: one object, no copy
          const length = (chunk[pos + 6]! << 8) | chunk[pos + 7]!
          if (length > 0 && end - pos - HEADER_LENGTH >= length) {
            const p = (chunk[pos + 4]! << 8) | chunk[pos + 5]!
            const start = pos + HEADER_LENGTH
            out.push({
              time: ((chunk[pos]! << 24) | (chunk[pos + 1]! << 16) | (chunk[pos + 2]! << 8) | chunk[pos + 3]!) >>> 0,
              fromResponder: (p & 0x8000) !== 0,
              protocol: p & 0x7fff,
              length,
              payload: chunk.subarray(start, start + length)
            })
            pos = start + length
            continue
          }
          this.current = readHeader(chunk, pos)
          pos += HEADER_LENGTH
        } else {
          const n = Math.min(HEADER_LENGTH - this.headerFilled, end - pos)
          this.header.set(chunk.subarray(pos, pos + n), this.headerFilled)
          this.headerFilled += n
          pos += n
          if (this.headerFilled < HEADER_LENGTH) break
          this.current = readHeader(this.header, 0)
          this.headerFilled = 0
        }
        if (this.current.length === 0) {
          this.error = new ZeroLengthSegment(this.current.protocol)
          this.current = undefined
          return out
        }
      }
      const h = this.current
      if (this.payload === undefined && end - pos >= h.length) {
        out.push({ ...h, payload: chunk.subarray(pos, pos + h.length) })
        pos += h.length
        this.current = undefined
        continue
      }
      if (this.payload === undefined) {
        this.payload = new Uint8Array(h.length)
        this.payloadFilled = 0
      }
      const n = Math.min(h.length - this.payloadFilled, end - pos)
      this.payload.set(chunk.subarray(pos, pos + n), this.payloadFilled)
      this.payloadFilled += n
      pos += n
      if (this.payloadFilled === h.length) {
        out.push({ ...h, payload: this.payload })
        this.payload = undefined
        this.current = undefined
      }
    }
    return out
  }
}

/**
 * A segment with an empty payload: the reference rejects it ("short SDU").
 *
 * @category errors
 * @since 0.1.0
 */
export class ZeroLengthSegment extends Error {
  /** The mini-protocol number in the segment's header. */
  readonly protocol: number
  constructor(protocol: number) {
    super(`zero-length segment for protocol ${protocol}`)
    this.protocol = protocol
  }
}

/**
 * Cuts a payload into whole segments of at most `sduSize` bytes each (header included as a separate
 * 8-byte piece so the payload is never copied): returns `[header, payload, header, payload, ...]`.
 *
 * @example
 * ```ts
 * import { Segment } from "@pallas-network2/core"
 * const payload = new Uint8Array(30_000)
 * // chain-sync (protocol 2), from the initiator: [header, payload] pieces of three segments
 * const pieces = Segment.cut(payload, 2, false, 12_288, 0)
 * ```
 *
 * @category encoding
 * @since 0.1.0
 */
export const cut = (
  payload: Uint8Array,
  protocol: number,
  fromResponder: boolean,
  sduSize: number,
  time: number
): Array<Uint8Array> => {
  const size = Math.max(1, Math.min(sduSize, MAX_SEGMENT_PAYLOAD_LENGTH))
  const count = Math.max(1, Math.ceil(payload.length / size))
  const headers = new Uint8Array(HEADER_LENGTH * count)
  const out: Array<Uint8Array> = []
  for (let i = 0; i < count; i++) {
    const piece = payload.subarray(i * size, Math.min(payload.length, (i + 1) * size))
    writeHeader(headers, i * HEADER_LENGTH, time, fromResponder, protocol, piece.length)
    out.push(headers.subarray(i * HEADER_LENGTH, (i + 1) * HEADER_LENGTH), piece)
  }
  return out
}
