/**
 * Scenario 6: reassembly cost per byte. The multiplexer's receive path without the socket (the
 * segment reader's `scan`, each whole segment's payload handed to its instance's framer by offsets,
 * as `Mux.ts` does) fed one
 * message cut into full segments (12 288 bytes) and into 1-byte segments, the wire bytes handed over in
 * reads of 64 KiB. CPU time (process.cpuUsage) per payload byte; the ratio of the two is the figure the
 * goal is about. Two messages: a 2.4 MB block-fetch MsgBlock (a byte string: the framer skips it) and
 * a 1 MB CBOR-dense message (small items everywhere: the framer reads every byte). The former
 * algorithm (join the partial message and rescan it from its start at every segment) is timed beside
 * it on smaller messages, to show the growth that is gone.
 *
 * Alone: `node bench/scenarios/reassembly.ts [--quick]` prints the figures; `bench/run.ts` runs it as
 * scenario 6. The multiplexer itself closes a peer long before 1-byte segments could carry a whole
 * block (more than 32 segments under 256 bytes on average: IngressOverrun); the reader and the framer
 * are timed here without that rule, to show what a segment costs.
 */
import "../sources.ts"
import { Cbor, Segment } from "@pallas-network2/core"
import { Framer } from "../../packages/core/src/mux/internal/Framer.ts"
import type { Scenario } from "../harness.ts"

const READ = 65_536

/** The wire bytes of `message` cut into segments of `size`, as reads of 64 KiB. */
const wire = (message: Uint8Array, size: number): Array<Uint8Array> => {
  const pieces = Segment.cut(message, 3, true, size, 0)
  const total = pieces.reduce((n, p) => n + p.length, 0)
  const all = new Uint8Array(total)
  let at = 0
  for (const p of pieces) {
    all.set(p, at)
    at += p.length
  }
  const reads: Array<Uint8Array> = []
  for (let i = 0; i < all.length; i += READ) reads.push(all.subarray(i, Math.min(all.length, i + READ)))
  return reads
}

/** The receive path as the multiplexer runs it (`SegmentReader.scan` into the framer, by offsets); returns the messages framed. */
const receive = (reads: ReadonlyArray<Uint8Array>): number => {
  const reader = new Segment.SegmentReader()
  const framer = new Framer(Infinity) // the drip rule lifted: the bytes are timed, not the verdict
  const out: Array<Uint8Array> = []
  const sink: Segment.SegmentSink = {
    runs: true,
    payload: (_protocol, _fromResponder, chunk, start, end, segments, ends) => {
      framer.push(chunk, out, start, end, segments, ends)
      return true
    }
  }
  for (const r of reads) reader.scan(r, sink)
  return out.length
}

/**
 * The floor of any reader: walk the segment headers of the whole wire stream, in one piece
 * (protocol and length of each; nothing copied, nothing framed). Returns the segments.
 */
const headerWalk = (all: Uint8Array): number => {
  let segments = 0
  let at = 0
  const end = all.length
  while (end - at >= 8) {
    const length = (all[at + 6]! << 8) | all[at + 7]!
    if (((all[at + 4]! << 8) | all[at + 5]!) !== 0xffff) segments++
    at += 8 + length
  }
  return segments
}

/** The former path: the partial message joined with each segment and rescanned from its start. */
const receiveRescan = (reads: ReadonlyArray<Uint8Array>): number => {
  const reader = new Segment.SegmentReader()
  let buffer: Uint8Array = new Uint8Array(0)
  let n = 0
  for (const r of reads) {
    for (const s of reader.push(r)) {
      if (buffer.length === 0) buffer = s.payload
      else {
        const joined = new Uint8Array(buffer.length + s.payload.length)
        joined.set(buffer)
        joined.set(s.payload, buffer.length)
        buffer = joined
      }
      const end = Cbor.itemEnd(buffer, 0)
      if (end >= 0) {
        n++
        buffer = buffer.subarray(end)
      }
    }
  }
  return n
}

/** CPU nanoseconds per payload byte of `f` over `reads`, repeated for at least `millis` of CPU. */
const cpuPerByte = (bytes: number, millis: number, f: () => number): number => {
  f() // warm
  let rounds = 0
  const start = process.cpuUsage()
  let used = 0
  while (used < millis * 1000 || rounds < 2) {
    if (f() !== 1) throw new Error("the message was not framed")
    rounds++
    const d = process.cpuUsage(start)
    used = d.user + d.system
  }
  return (used * 1000) / (rounds * bytes)
}

/** A block-fetch MsgBlock carrying a block of `size` bytes (tag 24 around a byte string). */
export const blockMessage = (size: number): Uint8Array => {
  const body = new Uint8Array(size).map((_, i) => (i * 131) & 0xff)
  return Cbor.encode([4, new Cbor.Tag(24, body)] as never)
}

/** About `size` bytes of small CBOR items: transactions of inputs, outputs, amounts. */
export const denseMessage = (size: number): Uint8Array => {
  const txs: Array<unknown> = []
  const hash = new Uint8Array(32).map((_, i) => i)
  let estimate = 0
  while (estimate < size) {
    txs.push([[[hash, 0], [hash, 1]], [[hash, 1_000_000], [hash, new Map<unknown, unknown>([[1, 2], [3, [4, 5]]])]], 171_000, [1, 2, 3, 4, 5, 6, 7, 8]])
    estimate += 210
  }
  return Cbor.encode([3, txs] as never)
}

export interface ReassemblyFigures {
  readonly message: string
  readonly bytes: number
  readonly fullNsPerByte: number
  readonly oneByteNsPerByte: number
  readonly ratio: number
}

/** The two sides of one message: full segments, 1-byte segments (ns of CPU per payload byte). */
export const measure = (name: string, message: Uint8Array, millis: number): ReassemblyFigures => {
  const full = wire(message, 12_288)
  const tiny = wire(message, 1)
  const fullNsPerByte = cpuPerByte(message.length, millis, () => receive(full))
  const oneByteNsPerByte = cpuPerByte(message.length, millis, () => receive(tiny))
  return { message: name, bytes: message.length, fullNsPerByte, oneByteNsPerByte, ratio: oneByteNsPerByte / fullNsPerByte }
}

/** The former algorithm on 1-byte segments: ns per byte grows with the message. */
export const rescanGrowth = (sizes: ReadonlyArray<number>, millis: number): Array<{ bytes: number; nsPerByte: number; linearNsPerByte: number }> =>
  sizes.map((size) => {
    const message = denseMessage(size)
    const tiny = wire(message, 1)
    return {
      bytes: message.length,
      nsPerByte: cpuPerByte(message.length, millis, () => receiveRescan(tiny)),
      linearNsPerByte: cpuPerByte(message.length, millis, () => receive(tiny))
    }
  })

/** Scenario 6 for `bench/run.ts`: one scenario per message, lower is better. */
export const reassemblyScenarios = (quick: boolean): Array<Scenario> => {
  const millis = quick ? 300 : 1500
  const messages: Array<readonly [string, Uint8Array]> = [
    [`block-fetch MsgBlock of ${quick ? "0.6" : "2.4"} MB (one byte string)`, blockMessage(quick ? 600_000 : 2_400_000)],
    [`CBOR-dense message of ${quick ? "0.25" : "1"} MB (small items)`, denseMessage(quick ? 250_000 : 1_000_000)]
  ]
  return messages.map(([name, message], i) => {
    const full = wire(message, 12_288)
    const tiny = wire(message, 1)
    return {
      id: `6-reassembly-${i === 0 ? "block" : "dense"}`,
      title: `reassembly (segment reader + incremental framer, no socket) of a ${name}, ${message.length} bytes, in reads of 64 KiB: CPU ns per payload byte`,
      unit: "ns/byte",
      lowerIsBetter: true,
      goal: "1-byte segments at most 2x full segments per byte (see docs/BENCHMARKS.md for what is met)",
      sides: [
        { name: "1-byte segments", run: () => Promise.resolve(cpuPerByte(message.length, millis, () => receive(tiny))) },
        { name: "full segments (12 288)", run: () => Promise.resolve(cpuPerByte(message.length, millis, () => receive(full))) }
      ]
    }
  })
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const quick = process.argv.includes("--quick")
  const millis = quick ? 300 : 1500
  const rows = [
    measure("block-fetch MsgBlock, 2.4 MB", blockMessage(2_400_000), millis),
    measure("CBOR-dense, 1 MB", denseMessage(1_000_000), millis),
    measure("CBOR-dense, 100 kB", denseMessage(100_000), millis)
  ]
  for (const r of rows) {
    console.log(
      `${r.message} (${r.bytes} bytes): full segments ${r.fullNsPerByte.toFixed(2)} ns/byte, 1-byte segments ${r.oneByteNsPerByte.toFixed(2)} ns/byte, ratio ${r.ratio.toFixed(1)}`
    )
  }
  {
    // the floor: a message in 1-byte segments is 9 bytes on the wire per payload byte, and only
    // walking their headers already costs this much per payload byte
    const message = blockMessage(2_400_000)
    const all = new Uint8Array(Buffer.concat(wire(message, 1)))
    const segments = headerWalk(all)
    const floor = cpuPerByte(message.length, millis, () => (headerWalk(all) === message.length ? 1 : 0))
    const fullReads = wire(message, 12_288)
    const full = cpuPerByte(message.length, millis, () => receive(fullReads))
    console.log(`floor: walking the headers of 1-byte segments alone (nothing copied or framed) ${floor.toFixed(2)} ns per payload byte (${segments} segments); full segments, whole path, ${full.toFixed(2)}`)
  }
  console.log("full segments, former algorithm (join + rescan per segment) beside the framer:")
  for (const [name, message] of [["block 2.4 MB", blockMessage(2_400_000)], ["CBOR-dense 1 MB", denseMessage(1_000_000)]] as const) {
    const full = wire(message, 12_288)
    const before = cpuPerByte(message.length, millis, () => receiveRescan(full))
    const after = cpuPerByte(message.length, millis, () => receive(full))
    console.log(`  ${name}: former ${before.toFixed(2)} ns/byte, now ${after.toFixed(2)} ns/byte`)
  }
  console.log("former algorithm (join + rescan per segment), 1-byte segments, CBOR-dense:")
  for (const g of rescanGrowth([4_000, 16_000, 64_000], millis)) {
    console.log(`  ${g.bytes} bytes: ${g.nsPerByte.toFixed(1)} ns/byte (now ${g.linearNsPerByte.toFixed(1)} ns/byte)`)
  }
}
