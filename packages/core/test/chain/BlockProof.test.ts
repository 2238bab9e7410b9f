import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as fs from "node:fs"
import * as path from "node:path"
import * as Cbor from "../../src/cbor/Cbor.ts"
import { Blake2b, Block, BlockProof, GeneratedChain } from "../../src/chain/index.ts"
import { loadBlockIndex, vectorsAvailable, vectorsDir } from "../utils/vectors.ts"

const TAGS: Record<string, number> = { shelley: 2, allegra: 3, mary: 4, alonzo: 5, babbage: 6, conway: 7 }

const hex = (s: string): Uint8Array => Cbor.fromHex(s.trim())!

/** The shared block vectors as `[blockTag, block]`; raw era blocks get their tag (Byron ones are main blocks). */
const vectorBlocks = (): Array<{ readonly name: string; readonly era: string; readonly hash: string; readonly bytes: Uint8Array }> => {
  return loadBlockIndex().map((e) => {
    const raw = hex(fs.readFileSync(path.join(vectorsDir, e.file), "utf8"))
    const wrapped = raw[0] === 0x82
      ? raw
      : Uint8Array.from([0x82, e.era === "byron" ? 1 : TAGS[e.era]!, ...raw])
    return { name: e.file, era: e.era, hash: e.header_hash, bytes: wrapped }
  })
}

const chunkBlocks = (): Array<Uint8Array> =>
  vectorsAvailable ? Block.splitChunk(new Uint8Array(fs.readFileSync(path.join(vectorsDir, "chain/01285.chunk")))) : []

const reasonOf = (bytes: Uint8Array, expected?: BlockProof.Expected): string | undefined => BlockProof.check(bytes, expected)?.reason

/** The spans of the elements of the definite or indefinite array at `offset`. */
const spans = (bytes: Uint8Array, offset: number): Array<[number, number]> => {
  const info = bytes[offset]! & 0x1f
  let pos = offset + 1
  let count = Infinity
  if (info < 24) count = info
  else if (info === 24) count = bytes[pos++]!
  else if (info === 25) {
    count = (bytes[pos]! << 8) | bytes[pos + 1]!
    pos += 2
  }
  const out: Array<[number, number]> = []
  while (out.length < count && bytes[pos] !== 0xff) {
    const e = Cbor.itemEnd(bytes, pos)
    out.push([pos, e])
    pos = e
  }
  return out
}

/** The span of the first transaction of a block (its body for Shelley on, `tx` of the first `[tx, witnesses]` for Byron). */
const firstTx = (bytes: Uint8Array): [number, number] | undefined => {
  const inner = spans(bytes, 0)[1]!
  const parts = spans(bytes, inner[0])
  const txs = bytes[1] === 1 ? spans(bytes, spans(bytes, parts[1]![0])[0]![0]) : spans(bytes, parts[1]![0])
  if (txs.length === 0) return undefined
  return bytes[1] === 1 ? spans(bytes, txs[0]![0])[0] : txs[0]
}

/** The block with one byte changed inside a byte string of its first transaction (the CBOR stays well-formed). */
const tamperTx = (bytes: Uint8Array): Uint8Array | undefined => {
  const tx = firstTx(bytes)
  if (tx === undefined) return undefined
  for (let i = tx[0]; i < tx[1] - 24; i++) {
    if (bytes[i] === 0x58 && bytes[i + 1]! >= 16 && i + 2 + bytes[i + 1]! <= tx[1]) {
      const out = bytes.slice()
      out[i + 10] ^= 0x01
      return out
    }
  }
  return undefined
}

/** `[tag, [header of a, body parts of b]]`. */
const swapBody = (a: Uint8Array, b: Uint8Array): Uint8Array => {
  const ia = spans(a, 0)[1]!
  const ib = spans(b, 0)[1]!
  const pa = spans(a, ia[0])
  const pb = spans(b, ib[0])
  const header = a.subarray(pa[0]![0], pa[0]![1])
  const rest = pb.slice(1).map(([s, e]) => b.subarray(s, e))
  return Uint8Array.from([0x82, a[1]!, a[ia[0]]!, ...header, ...rest.flatMap((r) => [...r])])
}

describe("BlockProof", () => {
  it.skipIf(!vectorsAvailable)("proves every real block of the shared vectors (every era), hash as indexed", () => {
    const blocks = vectorBlocks()
    assert.strictEqual(blocks.length, 17)
    for (const v of blocks) {
      const block = BlockProof.prove(v.bytes)
      assert.strictEqual(Cbor.toHex(block.hash), v.hash, v.name)
      assert.isUndefined(BlockProof.check(v.bytes, { point: Block.pointOf(block), header: block.header }), v.name)
    }
  })

  it.skipIf(!vectorsAvailable)("proves all 864 blocks of the real chunk, each against its point and chain-sync header", () => {
    const blocks = chunkBlocks()
    assert.strictEqual(blocks.length, 864)
    for (const bytes of blocks) {
      const block = Block.parse(bytes)
      assert.isUndefined(BlockProof.check(bytes, { point: Block.pointOf(block), header: block.header }))
    }
  })

  it.skipIf(!vectorsAvailable)("refuses a block with one byte of a transaction changed (every era)", () => {
    let tried = 0
    const chunk = chunkBlocks().map((bytes, i) => ({ name: `chunk block ${i}`, era: "babbage", bytes }))
    for (const v of [...vectorBlocks(), ...chunk.filter((c) => firstTx(c.bytes) !== undefined).slice(0, 30)]) {
      const forged = tamperTx(v.bytes)
      if (forged === undefined) continue
      tried++
      // the header (so the hash) is untouched: only the body check catches it
      assert.strictEqual(Cbor.toHex(Block.parse(forged).hash), Cbor.toHex(Block.parse(v.bytes).hash))
      const error = BlockProof.check(forged)
      assert.isDefined(error, v.name)
      assert.strictEqual(error!._tag, "BlockProofError")
      assert.strictEqual(error!.reason, v.era === "byron" ? "TxProofMismatch" : "BodyHashMismatch", v.name)
    }
    assert.isAtLeast(tried, 30)
  })

  it.skipIf(!vectorsAvailable)("refuses a swapped body, a header from another block, another point", () => {
    const blocks = chunkBlocks().filter((bytes) => firstTx(bytes) !== undefined)
    const a = blocks[0]!
    const b = blocks[1]!
    assert.strictEqual(reasonOf(swapBody(a, b)), "BodyHashMismatch")
    assert.strictEqual(reasonOf(swapBody(b, a)), "BodyHashMismatch")
    const ba = Block.parse(a)
    const bb = Block.parse(b)
    assert.strictEqual(reasonOf(a, { header: bb.header }), "HeaderMismatch")
    assert.strictEqual(reasonOf(a, { point: Block.pointOf(bb) }), "PointMismatch")
    assert.strictEqual(reasonOf(a, { point: { _tag: "Specific", slot: ba.slot + 1, hash: ba.hash } }), "PointMismatch")
    assert.strictEqual(reasonOf(a, { point: { _tag: "Origin" } }), "PointMismatch")
    // a Shelley-era swap between real vectors of the same era, too
    const vs = vectorBlocks().filter((v) => v.era === "conway")
    assert.strictEqual(reasonOf(swapBody(vs[0]!.bytes, vs[1]!.bytes)), "BodyHashMismatch")
  })

  it.skipIf(!vectorsAvailable)("Byron main blocks: each part of the body proof is checked", () => {
    const byron = vectorBlocks().filter((v) => v.era === "byron")
    assert.isNotEmpty(byron)
    let withTxs = 0
    for (const v of byron) {
      const bytes = v.bytes
      const inner = spans(bytes, 0)[1]!
      const parts = spans(bytes, inner[0])
      const body = spans(bytes, parts[1]![0])
      const rebuild = (i: number, replacement: Uint8Array) =>
        Uint8Array.from([...bytes.subarray(0, body[i]![0]), ...replacement, ...bytes.subarray(body[i]![1])])
      // another delegation payload (one empty certificate list, definite instead of indefinite)
      assert.strictEqual(reasonOf(rebuild(2, Uint8Array.from([0x80]))), "DelegationProofMismatch", v.name)
      // another update payload: [[], []] definite
      assert.strictEqual(reasonOf(rebuild(3, Uint8Array.from([0x82, 0x80, 0x80]))), "UpdateProofMismatch", v.name)
      // an SSC payload of another variant than its proof (commitments [0, 258([]), 258([])])
      assert.strictEqual(reasonOf(rebuild(1, Uint8Array.from([0x83, 0x00, 0xd9, 0x01, 0x02, 0x80, 0xd9, 0x01, 0x02, 0x80]))), "SscProofMismatch", v.name)
      // no transactions where the header counts some, or one where it counts none
      const txs = spans(bytes, body[0]![0])
      if (txs.length > 0) {
        withTxs++
        assert.strictEqual(reasonOf(rebuild(0, Uint8Array.from([0x9f, 0xff]))), "TxProofMismatch", v.name)
        // the witnesses of a transaction changed
        const pair = spans(bytes, txs[0]![0])
        const w = pair[1]!
        const forged = bytes.slice()
        forged[w[1] - 3] ^= 0x01
        assert.strictEqual(reasonOf(forged), "TxProofMismatch", v.name)
      }
    }
    assert.isAtLeast(withTxs, 1, "a Byron vector with transactions")
  })

  it("Byron boundary blocks: the body proof is the hash of the body as received", () => {
    const body = Cbor.encode(Cbor.indefinite([new Uint8Array(28).fill(7), new Uint8Array(28).fill(9)]))
    const make = (proof: Uint8Array, bodyBytes: Uint8Array) => {
      const header = Cbor.encode([764824073, new Uint8Array(32).fill(1), proof, [3, [64800]], [new Map()]])
      return Uint8Array.from([0x82, 0x00, 0x83, ...header, ...bodyBytes, ...Cbor.encode([new Map()])])
    }
    const good = make(Blake2b.blake2b256(body), body)
    const block = BlockProof.prove(good)
    assert.strictEqual(block.slot, 3 * 21600)
    const forgedBody = body.slice()
    forgedBody[10] ^= 0xff
    assert.strictEqual(reasonOf(make(Blake2b.blake2b256(body), forgedBody)), "BoundaryBodyMismatch")
    // the same body re-encoded (definite list) is another body: hashes are over the bytes received
    const definite = Cbor.encode([new Uint8Array(28).fill(7), new Uint8Array(28).fill(9)])
    assert.strictEqual(reasonOf(make(Blake2b.blake2b256(body), definite)), "BoundaryBodyMismatch")
  })

  it("unreadable bytes, an unknown era, trailing bytes: typed refusals, never a crash", () => {
    const g = GeneratedChain.generate({ blocks: 2, seed: 3, maxBodySize: 2000 })[1]!.bytes
    assert.isUndefined(BlockProof.check(g))
    assert.strictEqual(reasonOf(new Uint8Array([0x82, 0x07])), "Unreadable")
    assert.strictEqual(reasonOf(new Uint8Array([0xff, 0x00])), "Unreadable")
    assert.strictEqual(reasonOf(g.subarray(0, g.length - 5)), "Unreadable")
    assert.strictEqual(reasonOf(Uint8Array.from([...g, 0x00])), "Unreadable")
    const era8 = g.slice()
    era8[1] = 8
    assert.strictEqual(reasonOf(era8), "UnknownEra")
    // a Babbage block tagged as Mary (4 body parts expected as 3)
    const mary = g.slice()
    mary[1] = 4
    assert.strictEqual(reasonOf(mary), "Unreadable")
    // every truncation and every single-byte change of a small block is refused or proven, never thrown past
    const small = GeneratedChain.generate({ blocks: 1, seed: 9, minBodySize: 100, maxBodySize: 120 })[0]!.bytes
    for (let i = 0; i < small.length; i++) {
      const e = BlockProof.check(small.subarray(0, i))
      assert.isDefined(e)
      const changed = small.slice()
      changed[i] ^= 0x40
      const c = BlockProof.check(changed)
      assert.isTrue(c === undefined || c._tag === "BlockProofError")
    }
  })

  it.effect("proveEffect fails with the typed error", () =>
    Effect.gen(function*() {
      const g = GeneratedChain.generate({ blocks: 1, seed: 4, maxBodySize: 1500 })[0]!
      const ok = yield* BlockProof.proveEffect(g.bytes, { point: Block.pointOf(g) })
      assert.strictEqual(ok.blockNo, g.blockNo)
      const forged = tamperTx(g.bytes)!
      const exit = yield* Effect.exit(BlockProof.proveEffect(forged))
      assert.isTrue(Exit.isFailure(exit))
      const error = yield* Effect.flip(BlockProof.proveEffect(forged))
      assert.strictEqual(error.reason, "BodyHashMismatch")
    }))
})
