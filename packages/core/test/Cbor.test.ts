import { assert, describe, it } from "@effect/vitest"
import * as fc from "fast-check"
import { Cbor } from "../src/cbor/index.ts"

const hex = (h: string) => Cbor.fromHex(h)!

describe("Cbor", () => {
  it("round-trips definite and indefinite arrays, maps, tags and big integers", () => {
    for (
      const h of [
        "8200a20e841a2d964a09f401f40f841a2d964a09f401f4",
        "9f01029f03ffff",
        "bf0102ff",
        "d81843010203",
        "1b0000000100000000",
        "3bffffffffffffffff",
        "5f4201024103ff",
        "f97e00",
        "fb3ff199999999999a"
      ]
    ) {
      assert.strictEqual(Cbor.toHex(Cbor.encode(Cbor.decode(hex(h)))), h)
    }
  })

  it("itemEnd finds the end of an item, or -1 on a partial one, without decoding", () => {
    const bytes = hex("8200a20e841a2d964a09f401f40f841a2d964a09f401f4")
    assert.strictEqual(Cbor.itemEnd(bytes, 0), bytes.length)
    for (let cut = 0; cut < bytes.length; cut++) assert.strictEqual(Cbor.itemEnd(bytes.subarray(0, cut), 0), -1)
    const indef = hex("9f01029f03ffff00")
    assert.strictEqual(Cbor.itemEnd(indef, 0), 7)
    assert.strictEqual(Cbor.itemEnd(indef, 7), 8)
  })

  it("rejects malformed bytes with a CborError", () => {
    for (const h of ["1c", "ff", "8201", "9f01", "7f41"]) {
      assert.throws(() => Cbor.decode(hex(h)), Cbor.CborError)
    }
    assert.throws(() => Cbor.itemEnd(hex("1c"), 0), Cbor.CborError)
  })

  it("itemEnd agrees with decode on random values", () => {
    const value: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
      v: fc.oneof(
        { depthSize: "small" },
        fc.integer(),
        fc.bigInt({ min: -(2n ** 64n), max: 2n ** 64n - 1n }),
        fc.uint8Array({ maxLength: 40 }),
        fc.string(),
        fc.boolean(),
        fc.array(tie("v"), { maxLength: 4 }),
        fc.array(tie("v"), { maxLength: 4 }).map((a) => Cbor.indefinite(a as Array<Cbor.Value>))
      )
    })).v
    fc.assert(fc.property(value, (v) => {
      const bytes = Cbor.encode(v as Cbor.Value)
      assert.strictEqual(Cbor.itemEnd(bytes, 0), bytes.length)
      assert.strictEqual(Cbor.toHex(Cbor.encode(Cbor.decode(bytes))), Cbor.toHex(bytes))
    }))
  })

  it("writeHead writes the shortest head encode writes, headLength its size, readArgument reads it back", () => {
    for (const n of [0, 23, 24, 255, 256, 65_535, 65_536, 0xffffffff]) {
      const out = new Uint8Array(9)
      const end = Cbor.writeHead(out, 0, 2, n)
      assert.strictEqual(end, Cbor.headLength(n), `length of ${n}`)
      // the head of a byte string of n bytes, as encode writes it
      assert.strictEqual(Cbor.toHex(out.subarray(0, end)), Cbor.toHex(new Cbor.Writer(16).head(2, n).finish()), `head of ${n}`)
      assert.strictEqual(Cbor.readArgument(out, 1, out[0]! & 0x1f), n)
    }
  })

  it("encodings share a slab without aliasing: each output keeps its bytes whatever is encoded after it", () => {
    const outputs: Array<[Uint8Array, string]> = []
    for (let i = 0; i < 2_000; i++) {
      const value: Cbor.Value = [i, new Uint8Array(i % 700).fill(i & 0xff), [i * 3, "x".repeat(i % 50)]]
      const bytes = Cbor.encode(value)
      outputs.push([bytes, Cbor.toHex(bytes)])
    }
    for (const [bytes, hex] of outputs) assert.strictEqual(Cbor.toHex(bytes), hex)
    // and each decodes back to what was encoded
    const [first] = outputs[1_999]!
    assert.deepStrictEqual(Cbor.encode(Cbor.decode(first)), first)
  })

  it("encodePieces gives the bytes of encode, with each byte string over the threshold as the caller's own array", () => {
    const big = new Uint8Array(5000).map((_, i) => i & 0xff)
    const big2 = new Uint8Array(1024).fill(7)
    const small = new Uint8Array(1023).fill(9)
    // each value, and the large strings it holds (referenced, in order)
    const cases: ReadonlyArray<readonly [Cbor.Value, ReadonlyArray<Uint8Array>]> = [
      [[4, new Cbor.Tag(24, big)], [big]],
      [[1, [small, big2], "text", new Map<Cbor.Value, Cbor.Value>([[0, big]]), Cbor.indefinite([big2, 3])], [big2, big, big2]],
      [big, [big]],
      [[0, small], []]
    ]
    for (const [v, referenced] of cases) {
      const pieces = Cbor.encodePieces(v, 1024)
      assert.strictEqual(Buffer.concat(pieces).toString("hex"), Buffer.from(Cbor.encode(v)).toString("hex"))
      // the large strings are the caller's arrays themselves; the one under the threshold was copied
      assert.deepStrictEqual(pieces.filter((p) => p === big || p === big2), referenced)
      assert.isFalse(pieces.includes(small))
      assert.isTrue(pieces.every((p) => p.length > 0))
    }
    assert.strictEqual(Cbor.encodePieces([0, small], 1024).length, 1)
    // a size guess too small (strings nested deeper than it looks): the writer's buffer grows after a
    // piece was cut from it; the pieces still hold the bytes of encode, after more encoding too
    const nested: Cbor.Value = [big, ...Array.from({ length: 20 }, () => [[[[new Uint8Array(1000)]]]]), big2]
    const pieces = Cbor.encodePieces(nested, 1024)
    const expected = Buffer.from(Cbor.encode(nested)).toString("hex")
    for (let i = 0; i < 3000; i++) Cbor.encode([i, new Uint8Array(500)])
    assert.strictEqual(Buffer.concat(pieces).toString("hex"), expected)
    assert.deepStrictEqual(pieces.filter((p) => p === big || p === big2), [big, big2])
  })
})
