import { assert, describe, it } from "@effect/vitest"
import * as Result from "effect/Result"
import * as Cbor from "../../src/cbor/Cbor.ts"
import * as LocalChainSync from "../../src/protocol/LocalChainSync.ts"
import * as LocalStateQuery from "../../src/protocol/LocalStateQuery.ts"
import * as LocalTxMonitor from "../../src/protocol/LocalTxMonitor.ts"
import * as LocalTxSubmission from "../../src/protocol/LocalTxSubmission.ts"
import * as NodeToClient from "../../src/protocol/NodeToClient.ts"
import { loadVectors, mismatches, vectorsAvailable } from "../utils/vectors.ts"

interface Module {
  readonly protocol: {
    readonly encode: (m: any) => Uint8Array
    readonly encodePieces?: ((m: any) => ReadonlyArray<Uint8Array>) | undefined
    readonly decode: (b: Uint8Array) => Result.Result<any, unknown>
  }
  readonly toJson: (m: any) => Record<string, unknown>
}

/** Keys of these vector files that describe the vector, not the message. */
const ignored = new Set(["element", "hfc_wrapper", "ledger_error_hint", "block_layout"])

const checkVector = (mod: Module, hex: string, expect: Record<string, unknown>) => {
  const bytes = Cbor.fromHex(hex)!
  const r = mod.protocol.decode(bytes)
  assert.isTrue(Result.isSuccess(r), `decodes ${hex.slice(0, 40)}`)
  const m = (r as Result.Success<any, unknown>).success
  const json = mod.toJson(m)
  const exp = Object.fromEntries(Object.entries(expect).filter(([k]) => !ignored.has(k)))
  assert.deepStrictEqual(mismatches(json, exp), [])
  assert.strictEqual(Cbor.toHex(mod.protocol.encode(m)), hex)
  // the pieces the multiplexer writes are the same bytes
  assert.strictEqual(mod.protocol.encodePieces!(m).map(Cbor.toHex).join(""), hex)
}

const files: ReadonlyArray<readonly [string, Module, (name: string) => boolean]> = [
  ["localstatequery.json", LocalStateQuery, () => true],
  ["localtxmonitor.json", LocalTxMonitor, () => true],
  ["localtxsubmission.json", LocalTxSubmission, () => true],
  ["chainsync.json", LocalChainSync, (name) => name.startsWith("ntc_")]
]

describe("node-to-client vectors", () => {
  if (!vectorsAvailable) it.skip("shared vectors absent", () => {})
  for (const [file, mod, keep] of files) {
    describe(file, () => {
      for (const v of loadVectors(file)) {
        if (!keep(v.name) || typeof v.cbor_hex !== "string") continue
        const expect = v.expect as Record<string, unknown>
        if ("element" in expect) {
          // a reject reason payload: the message is [2, <reason>]
          it(v.name, () => {
            checkVector(mod, "8202" + v.cbor_hex, {
              msg: "MsgRejectTx",
              reason_cbor: v.cbor_hex,
              era_index: expect["era_index"]
            })
          })
        } else {
          it(v.name, () => checkVector(mod, v.cbor_hex, expect))
        }
      }
    })
  }
})

describe("node-to-client protocols", () => {
  it("channels and limits", () => {
    assert.deepStrictEqual(NodeToClient.protocols.map((p) => p.channel), [5, 6, 7, 9])
    for (const p of NodeToClient.protocols) {
      assert.strictEqual(p.ingressLimit, 0xffffffff)
      assert.strictEqual(p.maxInFlight, 1)
      for (const s of Object.values(p.states)) {
        assert.isUndefined(s.byteLimit)
        assert.isUndefined(s.timeout)
      }
    }
    assert.strictEqual(NodeToClient.byChannel(7)?.name, "local-state-query")
  })

  it("era-independent queries", () => {
    const Q = LocalStateQuery.Query
    assert.strictEqual(Cbor.toHex(Q.getSystemStart()), "8101")
    assert.strictEqual(Cbor.toHex(Q.getChainBlockNo()), "8102")
    assert.strictEqual(Cbor.toHex(Q.getChainPoint()), "8103")
    assert.strictEqual(Cbor.toHex(Q.getCurrentEra()), "820082028101")
    const m = LocalStateQuery.make.query(Q.getCurrentEra())
    assert.strictEqual(Cbor.toHex(LocalStateQuery.protocol.encode(m)), "8203820082028101")
  })

  it("query and result bytes are kept exactly (non-canonical CBOR)", () => {
    // [4, 5] with the 5 written as a one-byte-argument integer (18 05)
    const r = LocalStateQuery.protocol.decode(Cbor.fromHex("82041805")!)
    assert.isTrue(Result.isSuccess(r))
    const m = (r as Result.Success<LocalStateQuery.Message, unknown>).success
    assert.strictEqual(Cbor.toHex(LocalStateQuery.protocol.encode(m)), "82041805")
  })

  it("random bytes never throw", () => {
    let seed = 12345
    const rand = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff
      return seed
    }
    const mods: ReadonlyArray<Module> = [LocalChainSync, LocalStateQuery, LocalTxMonitor, LocalTxSubmission]
    for (let i = 0; i < 4000; i++) {
      const len = rand() % 24
      const bytes = new Uint8Array(len)
      for (let j = 0; j < len; j++) bytes[j] = rand() & 0xff
      // bias towards plausible message headers
      if (len > 1 && i % 2 === 0) {
        bytes[0] = 0x81 + (rand() % 3)
        bytes[1] = rand() % 13
      }
      for (const mod of mods) {
        const r = mod.protocol.decode(bytes)
        if (Result.isSuccess(r)) mod.toJson(r.success)
      }
    }
  })
})
