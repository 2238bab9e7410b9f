/**
 * Every era, byte for byte: the hard-fork wrapping of headers, blocks, transactions and transaction
 * ids, Byron (era 0) included, read from real mainnet blocks of each era and carried through the
 * node-to-node and node-to-client messages that hold them; each message decodes and encodes back to
 * the same bytes.
 */
import { assert, describe, it } from "@effect/vitest"
import * as fs from "node:fs"
import * as path from "node:path"
import * as Result from "effect/Result"
import { Cbor } from "../../src/cbor/index.ts"
import { blake2b256 } from "../../src/chain/Blake2b.ts"
import * as Block from "../../src/chain/Block.ts"
import * as BlockFetch from "../../src/protocol/BlockFetch.ts"
import * as ChainSync from "../../src/protocol/ChainSync.ts"
import * as Common from "../../src/protocol/Common.ts"
import * as LocalChainSync from "../../src/protocol/LocalChainSync.ts"
import * as LocalTxMonitor from "../../src/protocol/LocalTxMonitor.ts"
import * as LocalTxSubmission from "../../src/protocol/LocalTxSubmission.ts"
import * as TxSubmission2 from "../../src/protocol/TxSubmission2.ts"
import { type BlockIndexEntry, loadBlockIndex, mainnetBlockEntry, vectorsAvailable, vectorsDir } from "../utils/vectors.ts"

const ERAS = ["byron", "shelley", "allegra", "mary", "alonzo", "babbage", "conway"] as const

// empty where the shared vectors are absent (the tests that need them then skip)
const blockIndex = loadBlockIndex()
const hexFile = (file: string): Uint8Array => Cbor.fromHex(fs.readFileSync(path.join(vectorsDir, file), "utf8").trim())!

/** The real mainnet block of an era, as `[blockTag, block]` (tag = era index + 1 for a main block). */
const mainnetBlock = (era: number): { readonly wrapped: Uint8Array; readonly raw: Uint8Array; readonly entry: BlockIndexEntry } => {
  const entry = mainnetBlockEntry(blockIndex, ERAS[era]!)!
  const raw = hexFile(entry.file)
  const wrapped = new Uint8Array(raw.length + 2)
  wrapped[0] = 0x82
  wrapped[1] = era + 1
  wrapped.set(raw, 2)
  return { wrapped, raw, entry }
}

/** The byte spans of the items of the array (definite or not) that starts at `offset`. */
const spans = (bytes: Uint8Array, offset: number): Array<readonly [number, number]> => {
  const head = bytes[offset]!
  assert.strictEqual(head >> 5, 4, "an array")
  const info = head & 0x1f
  let pos = offset + (info < 24 ? 1 : info === 24 ? 2 : info === 25 ? 3 : info === 26 ? 5 : 1)
  const count = info < 24 ? info : info === 24 ? bytes[offset + 1]! : info === 25 ? (bytes[offset + 1]! << 8) | bytes[offset + 2]! : -1
  const out: Array<readonly [number, number]> = []
  while (count < 0 ? bytes[pos] !== 0xff : out.length < count) {
    const end = Cbor.itemEnd(bytes, pos)
    out.push([pos, end])
    pos = end
  }
  return out
}

const span = (bytes: Uint8Array, s: readonly [number, number]): Uint8Array => bytes.subarray(s[0], s[1])

/** The bytes of `parts` one after another (a number is one byte). */
const concat = (...parts: ReadonlyArray<Uint8Array | number>): Uint8Array =>
  new Uint8Array(Buffer.concat(parts.map((p) => (typeof p === "number" ? Uint8Array.of(p) : p))))

/**
 * The first transaction of a real block, as a wallet submits it, from the block's exact slices:
 * Byron `[tx, witnesses]` (the Byron payload of kind 0); Shelley to Mary `[body, witnesses, aux]`;
 * Alonzo on `[body, witnesses, isValid, aux]`. Also the body (Byron: the tx) the id is the hash of.
 */
const firstTx = (era: number, raw: Uint8Array): { readonly tx: Common.EraTx; readonly hashed: Uint8Array } | undefined => {
  const parts = spans(raw, 0)
  if (era === 0) {
    const body = spans(raw, parts[1]![0])
    const txPayload = spans(raw, body[0]![0])
    if (txPayload.length === 0) return undefined
    const txAux = span(raw, txPayload[0]!)
    const txOnly = span(raw, spans(raw, txPayload[0]![0])[0]!)
    return { tx: Common.EraTx.byron(Common.ByronTxKind.Tx, txAux), hashed: txOnly }
  }
  const bodies = spans(raw, parts[1]![0])
  if (bodies.length === 0) return undefined
  const body = span(raw, bodies[0]!)
  const witnesses = span(raw, spans(raw, parts[2]![0])[0]!)
  const auxMap = Cbor.decode(span(raw, parts[3]!)) as ReadonlyMap<Cbor.Value, Cbor.Value>
  // the auxiliary data of tx 0, exact bytes: find key 0 in the map's bytes when present
  let aux: Uint8Array = new Uint8Array([0xf6])
  if (auxMap.has(0)) {
    const mapStart = parts[3]![0]
    const mInfo = raw[mapStart]! & 0x1f
    let pos = mapStart + (mInfo < 24 ? 1 : mInfo === 24 ? 2 : 3)
    for (let i = 0; i < auxMap.size; i++) {
      const keyEnd = Cbor.itemEnd(raw, pos)
      const valueEnd = Cbor.itemEnd(raw, keyEnd)
      if (Cbor.decode(raw.subarray(pos, keyEnd)) === 0) aux = raw.subarray(keyEnd, valueEnd)
      pos = valueEnd
    }
  }
  const bytes = era >= 4 ? concat(0x84, body, witnesses, 0xf5, aux) : concat(0x83, body, witnesses, aux)
  return { tx: { era, bytes }, hashed: body }
}

const roundTrip = <M>(protocol: { encode: (m: M) => Uint8Array; decode: (b: Uint8Array) => Result.Result<M, unknown> }, m: M): { bytes: Uint8Array; back: M } => {
  const bytes = protocol.encode(m)
  const r = protocol.decode(bytes)
  assert.isTrue(Result.isSuccess(r), `decodes: ${Cbor.toHex(bytes).slice(0, 80)}`)
  const back = (r as Result.Success<M, unknown>).success
  assert.strictEqual(Cbor.toHex(protocol.encode(back)), Cbor.toHex(bytes), "encodes back to the same bytes")
  return { bytes, back }
}

describe("every era, byte for byte", () => {
  if (!vectorsAvailable) it.skip("a real mainnet block of every era: needs the shared vectors (../shared/vectors beside the project), absent here", () => {})
  for (let era = 0; vectorsAvailable && era < ERAS.length; era++) {
    describe(`${ERAS[era]} (era ${era})`, () => {
      const { wrapped, raw, entry } = mainnetBlock(era)
      const block = Block.parse(wrapped)

      it("the block: its tag, its hash, and #6.24 in local chain-sync and block-fetch, exact", () => {
        assert.strictEqual(Cbor.toHex(block.hash), entry.header_hash)
        const wb = Common.WrappedBlock.fromBytes(wrapped)
        assert.strictEqual(wb.tag, era + 1)
        const tip = Common.Tip.make(Common.Point.specific(block.slot, block.hash), block.blockNo)
        const lcs = roundTrip(LocalChainSync.protocol, LocalChainSync.make.rollForward(wb, tip))
        // [2, #6.24(bytes), tip]: the block bytes sit unchanged inside the message
        assert.isTrue(Cbor.toHex(lcs.bytes).includes(Cbor.toHex(wrapped)))
        const back = lcs.back as { readonly block: Common.WrappedBlock }
        assert.strictEqual(back.block.tag, era + 1)
        const bf = roundTrip(BlockFetch.protocol, BlockFetch.make.block(wrapped))
        assert.isTrue(Cbor.toHex(bf.bytes).includes(Cbor.toHex(raw)))
      })

      it("the header in node-to-node chain-sync: [era, #6.24] (Byron [0, [[1, size], #6.24]]), exact", () => {
        const h = block.header
        const expected = era === 0
          ? Cbor.encode([0, [[1, h.byron!.sizeHint], new Cbor.Tag(24, h.bytes)]])
          : Cbor.encode([era, new Cbor.Tag(24, h.bytes)])
        assert.strictEqual(Cbor.toHex(Cbor.encode(Common.WrappedHeader.toCbor(h))), Cbor.toHex(expected))
        const back = Common.WrappedHeader.fromCbor(Cbor.decode(expected))
        assert.strictEqual(back.era, era)
        assert.strictEqual(Cbor.toHex(back.bytes), Cbor.toHex(h.bytes))
        assert.strictEqual(Cbor.toHex(Block.headerHash(back)), entry.header_hash)
        const tip = Common.Tip.make(Common.Point.specific(block.slot, block.hash), block.blockNo)
        roundTrip(ChainSync.protocol, ChainSync.make.rollForward(back, tip))
      })

      const first = firstTx(era, raw)
      it("its first transaction and id in tx-submission2, local tx-submission and tx-monitor, exact", () => {
        assert.isDefined(first, "the real block carries a transaction")
        const { tx, hashed } = first!
        const cbor = Cbor.encode(Common.EraTx.toCbor(tx))
        if (era === 0) {
          // [0, [0, [tx, witnesses]]]: no tag 24
          assert.strictEqual(Cbor.toHex(cbor.subarray(0, 4)), "82008200")
          assert.strictEqual(Common.EraTx.byronKind(tx), 0)
        } else {
          assert.strictEqual(Cbor.toHex(cbor.subarray(0, 4)), `82${era.toString(16).padStart(2, "0")}d818`)
        }
        const back = Common.EraTx.fromCbor(Cbor.decode(cbor))
        assert.strictEqual(back.era, era)
        assert.strictEqual(Cbor.toHex(back.bytes), Cbor.toHex(tx.bytes))
        const id = Common.EraTx.txId(tx)
        assert.strictEqual(Cbor.toHex(id.txId), Cbor.toHex(blake2b256(hashed)))
        assert.strictEqual(id.byronKind, era === 0 ? 0 : undefined)
        const idCbor = Cbor.encode(Common.EraTxId.toCbor(id))
        const expectedId = era === 0 ? Cbor.encode([0, [0, id.txId]]) : Cbor.encode([era, id.txId])
        assert.strictEqual(Cbor.toHex(idCbor), Cbor.toHex(expectedId))
        assert.isTrue(Common.EraTxId.equals(Common.EraTxId.fromCbor(Cbor.decode(idCbor)), id))

        roundTrip(TxSubmission2.protocol, TxSubmission2.make.replyTxIds([{ txId: id, size: tx.bytes.length }]))
        roundTrip(TxSubmission2.protocol, TxSubmission2.make.requestTxs([id]))
        const reply = roundTrip(TxSubmission2.protocol, TxSubmission2.make.replyTxs([tx]))
        assert.isTrue(Cbor.toHex(reply.bytes).includes(Cbor.toHex(tx.bytes)))
        const submit = roundTrip(LocalTxSubmission.protocol, LocalTxSubmission.make.submitTx(tx))
        assert.strictEqual(Cbor.toHex(submit.bytes), Cbor.toHex(Cbor.encode([0, Cbor.decode(cbor)])))
        roundTrip(LocalTxMonitor.protocol, LocalTxMonitor.make.replyNextTx(tx))
      })
    })
  }

  it("Byron: the other kinds (certificate, proposal, vote) keep their kind and hash their whole payload", () => {
    const payload = Cbor.encode([1, 2, new Uint8Array(32)])
    for (const kind of [1, 2, 3]) {
      const tx = Common.EraTx.byron(kind, payload)
      assert.strictEqual(Common.EraTx.byronKind(tx), kind)
      const wire = Cbor.encode(Common.EraTx.toCbor(tx))
      assert.strictEqual(Cbor.toHex(wire), Cbor.toHex(concat(0x82, 0x00, 0x82, kind, payload)))
      const id = Common.EraTx.txId(tx)
      assert.deepStrictEqual([id.era, id.byronKind, Cbor.toHex(id.txId)], [0, kind, Cbor.toHex(blake2b256(payload))])
    }
  })

  it("Byron: a transaction in tag 24, a kind out of range, or a pair of the wrong length is a typed DecodeError", () => {
    const bad = [
      Cbor.encode([0, [0, new Cbor.Tag(24, new Uint8Array([0x80]))]]), // [0, #6.24] is Shelley's shape, not Byron's
      Cbor.encode([0, new Cbor.Tag(24, new Uint8Array([0x82, 0x80, 0x80]))]),
      Cbor.encode([0, [0, [4, [[], []]]]]),
      Cbor.encode([0, [0, [0]]])
    ]
    for (const b of bad) {
      const r = LocalTxSubmission.protocol.decode(b)
      assert.isTrue(Result.isFailure(r), Cbor.toHex(b))
    }
    // a Byron tx id with a kind out of range
    const r = TxSubmission2.protocol.decode(Cbor.encode([2, Cbor.indefinite([[0, [9, new Uint8Array(32)]]])]))
    assert.isTrue(Result.isFailure(r))
  })

  it("local tx-monitor has-tx: the id with its era as the reference reads it, Byron with its kind, and the bare id still read", () => {
    // cardano-cli's tx-exists for a Conway id, as captured off a node's socket: [7, [6, id]]
    const cli = "8207820658200bece18e734ce8e83f662dfa904925ce25a695b8999e3d6a7ff2539e0efe5482"
    const m = roundTrip(LocalTxMonitor.protocol, LocalTxMonitor.make.hasTx({ era: 6, txId: Cbor.fromHex(cli.slice(12))! }))
    assert.strictEqual(Cbor.toHex(m.bytes), cli)
    const decoded = LocalTxMonitor.protocol.decode(Cbor.fromHex(cli)!)
    assert.isTrue(Result.isSuccess(decoded))
    const hasTx = (decoded as Result.Success<LocalTxMonitor.Message, unknown>).success
    assert.deepStrictEqual(hasTx._tag === "MsgHasTx" ? [hasTx.era, Cbor.toHex(hasTx.txId)] : [], [6, cli.slice(12)])
    const id = new Uint8Array(32).fill(7)
    const byron = roundTrip(LocalTxMonitor.protocol, LocalTxMonitor.make.hasTx({ era: 0, txId: id, byronKind: 0 }))
    assert.strictEqual(Cbor.toHex(byron.bytes), Cbor.toHex(Cbor.encode([7, [0, [0, id]]])))
    const bare = roundTrip(LocalTxMonitor.protocol, LocalTxMonitor.make.hasTx(id))
    assert.strictEqual(Cbor.toHex(bare.bytes), Cbor.toHex(Cbor.encode([7, id])))
    // neither bytes nor an era pair: a typed DecodeError
    assert.isTrue(Result.isFailure(LocalTxMonitor.protocol.decode(Cbor.encode([7, [6]]))))
    assert.isTrue(Result.isFailure(LocalTxMonitor.protocol.decode(Cbor.encode([7, 5]))))
  })

  it.skipIf(!vectorsAvailable)("the shared vectors' era-wrapped transactions and ids are unchanged (Shelley and later)", () => {
    const vectors = JSON.parse(fs.readFileSync(path.join(vectorsDir, "txsubmission2.json"), "utf8")) as Array<{ readonly cbor_hex: string }>
    for (const v of vectors) {
      const r = TxSubmission2.protocol.decode(Cbor.fromHex(v.cbor_hex)!)
      assert.isTrue(Result.isSuccess(r))
      assert.strictEqual(Cbor.toHex(TxSubmission2.protocol.encode((r as Result.Success<TxSubmission2.Message, unknown>).success)), v.cbor_hex)
    }
  })
})
