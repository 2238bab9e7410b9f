import { assert, describe, it } from "@effect/vitest"
import * as fc from "fast-check"
import { Segment } from "../../src/bearer/index.ts"
import { Cbor } from "../../src/cbor/index.ts"
import { Framer, FREE_SEGMENTS } from "../../src/mux/internal/Framer.ts"
import { cutStream } from "../utils/segments.ts"

/** The wire bytes of `payloads`, each one segment of `protocol`. */
const wire = (payloads: ReadonlyArray<Uint8Array>, protocol = 3, responder = true): Uint8Array =>
  new Uint8Array(Buffer.concat(payloads.flatMap((p) => Segment.cut(p, protocol, responder, 65_535, 0))))

/** `message` cut into segments of `size` bytes, as wire bytes. */
const cutInto = (message: Uint8Array, size: number, protocol = 3): Uint8Array =>
  new Uint8Array(Buffer.concat(Segment.cut(message, protocol, true, size, 0)))

/** Every call the sink got: its protocol, segment count and each segment's payload (hex), split at `ends`. */
const calls = (pieces: ReadonlyArray<Uint8Array>, runs: boolean) => {
  const got: Array<{ protocol: number; segments: number; payloads: Array<string> }> = []
  const reader = new Segment.SegmentReader()
  const sink: Segment.SegmentSink = {
    runs,
    payload: (protocol, _fromResponder, chunk, start, end, segments, ends) => {
      const payloads: Array<string> = []
      if (ends === undefined) payloads.push(Cbor.toHex(chunk.subarray(start, end)))
      else for (let i = 0, at = start; i < segments; at = start + ends[i]!, i++) payloads.push(Cbor.toHex(chunk.subarray(at, start + ends[i]!)))
      got.push({ protocol, segments, payloads })
      return true
    }
  }
  for (const p of pieces) reader.scan(p, sink)
  return { got, begun: reader.begun }
}

/** Reader and framer as the multiplexer wires them (runs on): the messages out, and the framer. */
const receive = (bytes: Uint8Array, framer = new Framer()) => {
  const out: Array<Uint8Array> = []
  const sink: Segment.SegmentSink = {
    runs: true,
    payload: (_p, _r, chunk, start, end, segments, ends) => {
      framer.push(chunk, out, start, end, segments, ends)
      return framer.dripped === undefined
    }
  }
  new Segment.SegmentReader().scan(bytes, sink)
  return { out: out.map(Cbor.toHex), framer }
}

describe("runs of small segments", () => {
  it("a sink that asks for runs gets the same segments, in the same order, as one that does not, however the stream is cut", () => {
    fc.assert(fc.property(
      cutStream({ maxProtocol: 3, maxPayload: 400, maxSegments: 40, maxCut: 20_000, maxCuts: 6, time: 0 }),
      ({ pieces, segments }) => {
        const one = calls(pieces, false)
        const run = calls(pieces, true)
        assert.deepStrictEqual(run.got.flatMap((c) => c.payloads), one.got.flatMap((c) => c.payloads))
        assert.deepStrictEqual(run.got.flatMap((c) => c.payloads.map(() => c.protocol)), one.got.flatMap((c) => c.payloads.map(() => c.protocol)))
        assert.strictEqual(run.begun, one.begun)
        assert.strictEqual(one.got.length, segments.length)
      }
    ))
  })

  it("gathers consecutive small segments of one protocol into one call, and never a segment of 256 bytes or more", () => {
    const small = Array.from({ length: 50 }, (_, i) => Uint8Array.of(i))
    const { got } = calls([new Uint8Array(Buffer.concat([wire(small), wire([new Uint8Array(300)]), wire(small.slice(0, 3), 8)]))], true)
    assert.deepStrictEqual(got.map((c) => [c.protocol, c.segments]), [[3, 50], [3, 1], [8, 3]])
  })

  it("a message in more than the free segments of tiny size, inside one run, is a drip; as many tiny messages each in its own segment are not", () => {
    // 100 bytes in 100 one-byte segments, all in one read
    const message = Cbor.encode(new Uint8Array(97))
    assert.strictEqual(message.length, 99)
    const dripped = receive(cutInto(message, 1))
    assert.deepStrictEqual(dripped.framer.dripped, { segments: 99, bytes: 99 })
    assert.deepStrictEqual(dripped.out, [])
    // 200 two-byte messages, one per segment, in one run: all framed, no drip
    const requests = Array.from({ length: 200 }, () => Uint8Array.of(0x81, 0x00))
    const fine = receive(wire(requests))
    assert.strictEqual(fine.framer.dripped, undefined)
    assert.strictEqual(fine.out.length, 200)
    assert.isTrue(fine.out.every((hex) => hex === "8100"))
    // exactly the free segments: allowed
    const edge = Cbor.encode(new Uint8Array(FREE_SEGMENTS - 2))
    assert.strictEqual(edge.length, FREE_SEGMENTS)
    const allowed = receive(cutInto(edge, 1))
    assert.strictEqual(allowed.framer.dripped, undefined)
    assert.deepStrictEqual(allowed.out, [Cbor.toHex(edge)])
  })

  it("a message ending at its first segment past the free ones is a drip however the reads fell: in one run, or one segment a read", () => {
    const message = Cbor.encode(new Uint8Array(FREE_SEGMENTS - 1))
    assert.strictEqual(message.length, FREE_SEGMENTS + 1)
    const bytes = cutInto(message, 1)
    const expected = { segments: FREE_SEGMENTS + 1, bytes: FREE_SEGMENTS + 1 }
    assert.deepStrictEqual(receive(bytes).framer.dripped, expected)
    // one segment (9 bytes) a read: each is a call of its own, no run
    const framer = new Framer()
    const out: Array<Uint8Array> = []
    const reader = new Segment.SegmentReader()
    const sink: Segment.SegmentSink = {
      runs: true,
      payload: (_p, _r, chunk, start, end, segments, ends) => (framer.push(chunk, out, start, end, segments, ends), framer.dripped === undefined)
    }
    for (let at = 0; at < bytes.length; at += 9) reader.scan(bytes.subarray(at, at + 9), sink)
    assert.deepStrictEqual(framer.dripped, expected)
    assert.deepStrictEqual(out, [])
  })

  it("counts the segments of a message that began before the run and ends in it, and of one still pending after it", () => {
    const message = Cbor.encode(new Uint8Array(60))
    // its first 20 bytes in one segment, then 1-byte segments: 1 + 42 segments, 62 bytes
    const bytes = new Uint8Array(Buffer.concat([wire([message.subarray(0, 20)]), cutInto(message.subarray(20), 1)]))
    const framer = new Framer()
    const out: Array<Uint8Array> = []
    const reader = new Segment.SegmentReader()
    const sink: Segment.SegmentSink = {
      runs: true,
      payload: (_p, _r, chunk, start, end, segments, ends) => (framer.push(chunk, out, start, end, segments, ends), true)
    }
    // the first segment and 10 tiny ones: pending, 11 segments
    const cut = 8 + 20 + 10 * 9
    reader.scan(bytes.subarray(0, cut), sink)
    assert.strictEqual(framer.segments, 11)
    assert.strictEqual(out.length, 0)
    reader.scan(bytes.subarray(cut), sink)
    assert.deepStrictEqual(framer.dripped, { segments: 1 + message.length - 20, bytes: message.length })
    assert.strictEqual(out.length, 0)
  })
})
