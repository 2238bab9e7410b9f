import { assert, describe, it } from "@effect/vitest"
import * as crypto from "node:crypto"
import * as Cbor from "../../src/cbor/Cbor.ts"
import { Blake2b } from "../../src/chain/index.ts"

describe("Blake2b", () => {
  it("matches a reference BLAKE2b-512 at every length up to 600 bytes, whatever the split into parts", () => {
    for (let n = 0; n <= 600; n++) {
      const d = new Uint8Array(n).map((_, i) => (i * 31 + n) & 0xff)
      const expected = crypto.createHash("blake2b512").update(d).digest("hex")
      assert.strictEqual(Cbor.toHex(Blake2b.hash([d], 64)), expected, `length ${n}`)
      const cut = (n * 7) % (n + 1)
      assert.strictEqual(Cbor.toHex(Blake2b.hash([d.subarray(0, cut), new Uint8Array(0), d.subarray(cut)], 64)), expected, `length ${n} cut at ${cut}`)
    }
  })

  it("blake2b-256 of nothing and of a long input", () => {
    assert.strictEqual(Cbor.toHex(Blake2b.blake2b256()), "0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8")
    const long = new Uint8Array(100_000).map((_, i) => i & 0xff)
    const expected = crypto.createHash("blake2b512").update(long).digest("hex")
    assert.strictEqual(Cbor.toHex(Blake2b.hash([long.subarray(0, 129), long.subarray(129, 50_000), long.subarray(50_000)], 64)), expected)
  })
})
