import { assert, describe, it } from "@effect/vitest"
import * as fc from "fast-check"
import { Cbor } from "../../src/cbor/index.ts"
import { Framer } from "../../src/mux/internal/Framer.ts"

const value: fc.Arbitrary<Cbor.Value> = fc.letrec<{ v: Cbor.Value }>((tie) => ({
  v: fc.oneof(
    { depthSize: "small" },
    fc.integer({ min: -1_000_000, max: 1_000_000 }),
    fc.bigInt({ min: -(2n ** 63n), max: 2n ** 64n - 1n }),
    fc.uint8Array({ maxLength: 300 }),
    fc.string({ maxLength: 40 }),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie("v"), { maxLength: 5 }),
    fc.array(tie("v"), { maxLength: 4 }).map((xs) => Cbor.indefinite(xs))
  )
})).v

/** Feeds `stream` cut at `points`; returns the messages as hex. */
const frame = (stream: Uint8Array, points: ReadonlyArray<number>): Array<string> => {
  const framer = new Framer()
  const out: Array<Uint8Array> = []
  let last = 0
  for (const p of [...points, stream.length]) {
    if (p > last) framer.push(stream.subarray(last, p), out)
    last = Math.max(last, p)
  }
  assert.strictEqual(framer.pending, 0)
  return out.map(Cbor.toHex)
}

describe("Framer (incremental CBOR framing)", () => {
  it("any split of a stream of items gives the same items as whole", () => {
    fc.assert(fc.property(fc.array(value, { minLength: 1, maxLength: 6 }), fc.array(fc.nat(), { maxLength: 40 }), (items, cuts) => {
      const encoded = items.map(Cbor.encode)
      const stream = new Uint8Array(Buffer.concat(encoded))
      const points = [...new Set(cuts.map((c) => c % (stream.length + 1)))].sort((a, b) => a - b)
      assert.deepStrictEqual(frame(stream, points), encoded.map(Cbor.toHex))
    }))
  })

  it("one byte at a time: every byte scanned once, the message joined once", () => {
    const message = Cbor.encode([3, [new Uint8Array(5000), "tx", [1, 2, [3, 4n ** 20n]]], Cbor.indefinite([1, 2])])
    // the framing alone: the drip rule (SegmentRuns.test.ts) lifted, as a benchmark may
    const framer = new Framer(Infinity)
    const out: Array<Uint8Array> = []
    for (let i = 0; i < message.length; i++) {
      framer.push(message.subarray(i, i + 1), out)
      if (i < message.length - 1) {
        assert.strictEqual(out.length, 0)
        assert.strictEqual(framer.pending, i + 1)
        assert.strictEqual(framer.segments, i + 1)
      }
    }
    assert.strictEqual(out.length, 1)
    assert.strictEqual(Cbor.toHex(out[0]!), Cbor.toHex(message))
    assert.strictEqual(framer.scanned, message.length)
    assert.strictEqual(framer.pending, 0)
  })

  it("a message in one segment is a view of it, not a copy", () => {
    const two = new Uint8Array(Buffer.concat([Cbor.encode([1, 2]), Cbor.encode([3])]))
    const out: Array<Uint8Array> = []
    new Framer().push(two, out)
    assert.strictEqual(out.length, 2)
    assert.strictEqual(out[0]!.buffer, two.buffer)
    assert.strictEqual(out[1]!.byteOffset, two.byteOffset + 3)
  })

  it("bytes that cannot be CBOR throw, in whatever segment they fall", () => {
    for (const bad of [[0x1c], [0x82, 0xff], [0x1f], [0xdf]]) {
      const framer = new Framer()
      assert.throws(() => {
        for (const b of bad) framer.push(Uint8Array.of(b), [])
      }, Cbor.CborError)
    }
  })
})
