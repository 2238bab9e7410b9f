import { assert, describe, it } from "@effect/vitest"
import * as fc from "fast-check"
import { Segment } from "../src/bearer/index.ts"
import { Cbor } from "../src/cbor/index.ts"
import { cutStream } from "./utils/segments.ts"

/** Up to 8 segments of any protocol, up to 300 bytes each, cut at up to 10 points. */
const anyCutStream = cutStream({ maxProtocol: 0x7fff, maxPayload: 300, maxSegments: 8, maxCut: 3000, maxCuts: 10, time: 1 })

describe("Segment", () => {
  it("reads the real mainnet node-to-client frames", () => {
    const propose = Cbor.fromHex("2f61909d000000118200a2011a2d964a091980021a2d964a09")!
    const accept = Cbor.fromHex("2f61ab448000000a83011980021a2d964a09")!
    const [p] = new Segment.SegmentReader().push(propose)
    assert.deepStrictEqual([p!.time, p!.fromResponder, p!.protocol, p!.length], [794923165, false, 0, 17])
    const [a] = new Segment.SegmentReader().push(accept)
    assert.deepStrictEqual([a!.fromResponder, a!.protocol, a!.length], [true, 0, 10])
    const out = new Uint8Array(8)
    Segment.writeHeader(out, 0, 794923165, false, 0, 17)
    assert.strictEqual(Cbor.toHex(out), "2f61909d00000011")
  })

  it("cuts at the SDU size and sets the mode bit by role", () => {
    const payload = new Uint8Array(30_000).map((_, i) => i)
    const pieces = Segment.cut(payload, 3, true, 12_288, 7)
    assert.strictEqual(pieces.length, 6)
    const segments = new Segment.SegmentReader().push(new Uint8Array(Buffer.concat(pieces)))
    assert.deepStrictEqual(segments.map((s) => s.length), [12288, 12288, 5424])
    assert.isTrue(segments.every((s) => s.fromResponder && s.protocol === 3))
  })

  it("refuses a zero-length segment", () => {
    const reader = new Segment.SegmentReader()
    assert.deepStrictEqual(reader.push(new Uint8Array(8)), [])
    assert.instanceOf(reader.error, Segment.ZeroLengthSegment)
  })

  it("a zero-length header after a whole segment in the same read: that segment still comes out (fuzz seed 291150529)", () => {
    // one segment of 1 byte, then a zero-length header: read whole, and read as 9 + 15 bytes
    const bytes = Uint8Array.from([0, 0, 0, 7, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7, 0, 0, 0, 1, 0])
    const whole = new Segment.SegmentReader()
    const a = whole.push(bytes)
    const split = new Segment.SegmentReader()
    const b = [...split.push(bytes.subarray(0, 9)), ...split.push(bytes.subarray(9))]
    assert.strictEqual(a.length, 1)
    assert.deepStrictEqual(a.map((x) => [x.protocol, x.length]), b.map((x) => [x.protocol, x.length]))
    assert.instanceOf(whole.error, Segment.ZeroLengthSegment)
    assert.instanceOf(split.error, Segment.ZeroLengthSegment)
    assert.deepStrictEqual(whole.push(Uint8Array.from([0, 0, 0, 0, 0, 2, 0, 1, 9])), [], "nothing is read after it")
  })

  it("decodes any split of a valid stream to the same segments", () => {
    fc.assert(fc.property(
      anyCutStream,
      ({ pieces, segments }) => {
        const reader = new Segment.SegmentReader()
        const got = pieces.flatMap((p) => reader.push(p))
        assert.strictEqual(got.length, segments.length)
        got.forEach((g, i) => {
          assert.strictEqual(g.protocol, segments[i]!.protocol)
          assert.strictEqual(g.fromResponder, segments[i]!.responder)
          assert.strictEqual(Cbor.toHex(g.payload), Cbor.toHex(segments[i]!.payload))
        })
        assert.isFalse(reader.inSegment)
      }
    ))
  })

  it("scan hands the same segments as push, however the stream is cut, and stops at a zero-length header or when the sink says so", () => {
    const collect = (reader: Segment.SegmentReader, pieces: ReadonlyArray<Uint8Array>, stopAfter = Infinity) => {
      const got: Array<{ protocol: number; responder: boolean; hex: string }> = []
      let ok = true
      const sink: Segment.SegmentSink = {
        payload: (protocol, responder, chunk, start, end) => {
          got.push({ protocol, responder, hex: Cbor.toHex(chunk.subarray(start, end)) })
          return got.length < stopAfter
        }
      }
      for (const p of pieces) if (ok) ok = reader.scan(p, sink)
      return { got, ok }
    }
    fc.assert(fc.property(
      anyCutStream,
      ({ pieces, segments }) => {
        const reader = new Segment.SegmentReader()
        const { got, ok } = collect(reader, pieces)
        assert.isTrue(ok)
        assert.deepStrictEqual(got, segments.map((s) => ({ protocol: s.protocol, responder: s.responder, hex: Cbor.toHex(s.payload) })))
        assert.isFalse(reader.inSegment)
        // the sink stops the scan after the first segment
        assert.strictEqual(collect(new Segment.SegmentReader(), pieces, 1).got.length, 1)
      }
    ))
    const zero = Uint8Array.from([0, 0, 0, 7, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7, 0, 0, 0, 1, 0])
    const reader = new Segment.SegmentReader()
    const { got, ok } = collect(reader, [zero.subarray(0, 9), zero.subarray(9)])
    assert.deepStrictEqual([got.length, ok], [1, false])
    assert.instanceOf(reader.error, Segment.ZeroLengthSegment)
  })
})
