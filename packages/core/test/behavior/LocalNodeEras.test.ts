/**
 * Every era through our client and the local-node stand-in (TestInterface + TestClock): the stand-in
 * serves a real mainnet block of each era, Byron to Conway; the client streams it (era, slot, hash,
 * block number and previous hash read, bytes unchanged), reads the tip's era, and gets the era
 * wrapping of queries right (an era query of another era is an EraMismatch naming both). And a real
 * Byron transaction (from a mainnet block) is submitted as `[0, [0, [tx, witnesses]]]`, kept in the
 * mempool, read back byte for byte by tx-monitor, and found by has-tx with its Byron id
 * `[0, [0, hash]]`; a Conway transaction beside it keeps its tag-24 wrapping.
 */
import { assert, describe, it } from "@effect/vitest"
import * as fs from "node:fs"
import * as path from "node:path"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Stream from "effect/Stream"
import { Block, Cbor, ChainSource, GeneratedChain, LocalClient, LocalNode, LocalServer, PeerId, TestInterface } from "../../src/index.ts"
import { blake2b256 } from "../../src/chain/Blake2b.ts"
import * as Common from "../../src/protocol/Common.ts"
import { loadBlockIndex, mainnetBlockEntry, vectorsAvailable, vectorsDir } from "../utils/vectors.ts"

const MAGIC = 764824073
const server = PeerId.tcp("10.0.0.1", 3001)
const protocols = LocalClient.protocols

const standIn = (chain: ChainSource.ChainSourceShape) =>
  Layer.build(
    LocalServer.layerManager({ networkMagic: MAGIC }).pipe(
      Layer.provideMerge(Layer.succeed(ChainSource.ChainSource, chain)),
      Layer.provideMerge(TestInterface.layer({ address: server, listen: true, protocols }))
    )
  )

let clientPort = 40100
const client = Effect.suspend(() => Effect.map(
  Layer.build(
    LocalNode.layer({ peer: server, networkMagic: MAGIC }).pipe(
      Layer.provide(TestInterface.layer({ address: PeerId.tcp("10.0.0.2", clientPort++), protocols }))
    )
  ),
  (context) => Context.get(context, LocalNode.LocalNode)
))

/** The first `[tx, witnesses]` of the real Byron mainnet block, its exact bytes, and the tx's bytes. */
const byronTx = (): { readonly aux: Uint8Array; readonly tx: Uint8Array } => {
  const raw = Cbor.fromHex(fs.readFileSync(path.join(vectorsDir, "blocks/byron_mainnet_slot4471207_gouroboros.hex"), "utf8").trim())!
  // block [header, body, extra]; body [txPayload, ssc, dlg, upd]; txPayload [* [tx, witnesses]]
  const items = (offset: number): Array<number> => {
    const out: Array<number> = []
    const head = raw[offset]!
    let pos = offset + ((head & 0x1f) < 24 ? 1 : 2)
    const n = (head & 0x1f) === 31 ? -1 : (head & 0x1f) < 24 ? head & 0x1f : raw[offset + 1]!
    while (n < 0 ? raw[pos] !== 0xff : out.length < n) {
      out.push(pos)
      pos = Cbor.itemEnd(raw, pos)
    }
    return out
  }
  const body = items(0)[1]!
  const first = items(items(body)[0]!)[0]!
  const aux = raw.subarray(first, Cbor.itemEnd(raw, first))
  const txStart = items(first)[0]!
  return { aux, tx: raw.subarray(txStart, Cbor.itemEnd(raw, txStart)) }
}

describe("LocalNode and the stand-in: a Byron transaction beside a Conway one", () => {
  it.effect.skipIf(!vectorsAvailable)("submitted, listed byte for byte, found by its Byron id and by its bare id (a real Byron transaction of the shared vectors)", () =>
    Effect.gen(function*() {
      yield* standIn(yield* ChainSource.makeMemory(GeneratedChain.generate({ blocks: 3, seed: 5 })))
      const node = yield* client
      const real = byronTx()
      const byron = Common.EraTx.byron(Common.ByronTxKind.Tx, real.aux)
      const conway: Common.EraTx = { era: 6, bytes: Cbor.encode([new Map<Cbor.Value, Cbor.Value>([[2, 1]]), new Map(), true, null]) }

      const byronId = yield* node.submitTx(byron)
      assert.strictEqual(Cbor.toHex(byronId), Cbor.toHex(blake2b256(real.tx)), "a Byron id is the hash of the tx, not of [tx, witnesses]")
      yield* node.submitTx(conway)

      const snapshot = yield* node.mempool
      assert.deepStrictEqual(snapshot.txs.map((t) => [t.era, Cbor.toHex(t.bytes)]), [
        [0, Cbor.toHex(byron.bytes)],
        [6, Cbor.toHex(conway.bytes)]
      ])
      assert.strictEqual(Common.EraTx.byronKind(snapshot.txs[0]!), 0)

      assert.isTrue(yield* node.hasTx(Common.EraTx.txId(byron)))
      assert.isTrue(yield* node.hasTx(Common.EraTx.txId(conway)))
      assert.isTrue(yield* node.hasTx(byronId), "a bare id is sent with the current era")
      assert.isFalse(yield* node.hasTx({ era: 0, txId: new Uint8Array(32), byronKind: 0 }))
    }).pipe(Effect.scoped, Effect.provide(TestInterface.SimNetwork.layer)))
})

const ERAS = ["byron", "shelley", "allegra", "mary", "alonzo", "babbage", "conway"] as const
// empty where the shared vectors are absent (the tests below then skip)
const index = loadBlockIndex()

describe("LocalNode and the stand-in: a real block of every era", () => {
  for (let era = 0; era < ERAS.length; era++) {
    it.effect.skipIf(!vectorsAvailable)(`${ERAS[era]}: streamed as served, the tip's era read, era queries wrapped for era ${era} (the shared vectors' real blocks)`, () =>
      Effect.gen(function*() {
        const entry = mainnetBlockEntry(index, ERAS[era]!)!
        const raw = Cbor.fromHex(fs.readFileSync(path.join(vectorsDir, entry.file), "utf8").trim())!
        const wrapped = new Uint8Array(raw.length + 2)
        wrapped.set([0x82, era + 1])
        wrapped.set(raw, 2)
        const block = Block.parse(wrapped)
        yield* standIn(yield* ChainSource.makeMemory([block]))
        const node = yield* client
        const updates = [...yield* node.blocks("origin").pipe(Stream.take(2), Stream.runCollect)]
        assert.deepStrictEqual(updates.map((u) => u._tag), ["RollBackward", "RollForward"])
        const got = (updates[1] as Extract<LocalNode.ChainUpdate, { _tag: "RollForward" }>).block
        assert.deepStrictEqual(
          [got.era, got.tag, got.slot, got.blockNo, Cbor.toHex(got.hash), got.prevHash === undefined ? undefined : Cbor.toHex(got.prevHash)],
          [era, era + 1, block.slot, block.blockNo, entry.header_hash, entry.prev_hash]
        )
        assert.strictEqual(Cbor.toHex(got.bytes), Cbor.toHex(wrapped), "the block's bytes as served")

        const tip = yield* node.queryTip
        assert.strictEqual(tip.era, era)
        assert.strictEqual(tip.blockNo, block.blockNo)
        assert.strictEqual(tip.epoch === undefined, era === 0, "no epoch query in the Byron era")
        // an era query of another era: an EraMismatch naming both eras
        const other = era === 6 ? 5 : 6
        const mismatch = yield* node.query(LocalNode.Queries.epochNo(other)).pipe(Effect.flip)
        assert.strictEqual(mismatch._tag, "QueryFailed")
        if (mismatch._tag === "QueryFailed") {
          assert.deepStrictEqual([mismatch.reason, mismatch.queryEra, mismatch.ledgerEra], ["EraMismatch", other, era])
        }
        if (era > 0) assert.isNumber(yield* node.query(LocalNode.Queries.epochNo(era)))
        // a bare id is asked with the tip's era (Byron: as a transaction's id)
        assert.isFalse(yield* node.hasTx(new Uint8Array(32).fill(era)))
        assert.strictEqual(Cbor.toHex(LocalNode.Queries.epochNo(era).bytes), Cbor.toHex(Cbor.encode([0, [0, [era, [1]]]])))
      }).pipe(Effect.scoped, Effect.provide(TestInterface.SimNetwork.layer)))
  }
})

/**
 * A Byron epoch boundary block (no real capture of one is in the shared vectors): built in the
 * boundary block's shape, `[header, body, extra]` with the header
 * `[protocolMagic, prevHash, bodyProof, [epoch, [difficulty]], [attributes]]` and the body proof the
 * hash of the body; served as `[0, block]`.
 */
const boundaryBlock = (epoch: number, difficulty: number): Uint8Array => {
  const body = Cbor.encode([new Uint8Array(28).fill(3)])
  const header = Cbor.encode([MAGIC, new Uint8Array(32).fill(9), blake2b256(body), [epoch, [difficulty]], [new Map()]])
  const block = new Uint8Array(3 + header.length + body.length + 2)
  block.set([0x82, 0x00, 0x83])
  block.set(header, 3)
  block.set(body, 3 + header.length)
  block.set([0x81, 0xa0], 3 + header.length + body.length)
  return block
}

describe("LocalNode and the stand-in: a Byron epoch boundary block", () => {
  it.effect("tag 0, era 0, slot epoch x 21600, block number the difficulty, hash over [0, header]; its header [0, [[0, size], #6.24]]", () =>
    Effect.gen(function*() {
      const bytes = boundaryBlock(207, 4_468_900)
      const block = Block.parse(bytes)
      assert.deepStrictEqual([block.header.era, block.header.byron?.subtag, block.slot, block.blockNo], [0, 0, 207 * 21_600, 4_468_900])
      const headerWire = Cbor.encode(Common.WrappedHeader.toCbor(block.header))
      assert.strictEqual(Cbor.toHex(headerWire.subarray(0, 5)), "8200828200", "[0, [[0, size], ...]]")
      const back = Common.WrappedHeader.fromCbor(Cbor.decode(headerWire))
      assert.strictEqual(Cbor.toHex(Block.headerHash(back)), Cbor.toHex(block.hash))
      assert.strictEqual(Cbor.toHex(block.hash), Cbor.toHex(blake2b256(new Uint8Array([0x82, 0x00]), back.bytes)))

      yield* standIn(yield* ChainSource.makeMemory([block]))
      const node = yield* client
      const updates = [...yield* node.blocks("origin").pipe(Stream.take(2), Stream.runCollect)]
      const got = (updates[1] as Extract<LocalNode.ChainUpdate, { _tag: "RollForward" }>).block
      assert.deepStrictEqual([got.era, got.tag, got.slot, got.blockNo, Cbor.toHex(got.hash)], [0, 0, block.slot, block.blockNo, Cbor.toHex(block.hash)])
      assert.strictEqual(Cbor.toHex(got.bytes), Cbor.toHex(bytes))
      const tip = yield* node.queryTip
      assert.deepStrictEqual([tip.era, tip.epoch, tip.blockNo], [0, undefined, block.blockNo])
    }).pipe(Effect.scoped, Effect.provide(TestInterface.SimNetwork.layer)))
})
