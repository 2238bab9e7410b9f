import { assert, describe, it } from "@effect/vitest"
import * as Cbor from "../../src/cbor/Cbor.ts"
import * as TxRejection from "../../src/protocol/TxRejection.ts"
import { loadVectors, vectorsAvailable } from "../utils/vectors.ts"

/** Every constructor name the decoder may give; a hint's other words name field types or values. */
const vocabulary = new Set([
  "ConwayUtxowFailure", "ConwayCertsFailure", "ConwayGovFailure", "ConwayWdrlNotDelegatedToDRep",
  "ConwayTreasuryValueMismatch", "ConwayTxRefScriptsSizeTooBig", "ConwayMempoolFailure",
  "UtxoFailure", "InvalidWitnessesUTXOW", "MissingTxBodyMetadataHash", "PPViewHashesDontMatch",
  "MalformedScriptWitnesses", "MalformedReferenceScripts", "InsufficientCollateral",
  "WithdrawalsNotInRewardsCERTS", "CertFailure", "GovCertFailure", "ConwayCommitteeHasPreviouslyResigned",
  "MalformedProposal", "ConflictingCommitteeUpdate", "ExpirationEpochTooSmall", "VotingOnExpiredGovAction",
  "DisallowedProposalDuringBootstrap", "DisallowedVotesDuringBootstrap", "VotersDoNotExist"
])

const rejects = loadVectors("localtxsubmission.json").filter((v) => v.name.startsWith("reject_reason_"))

describe("TxRejection", () => {
  it.skipIf(!vectorsAvailable)("the shared vectors hold 40 Conway reject reasons", () => {
    assert.strictEqual(rejects.length, 40)
  })

  it.skipIf(!vectorsAvailable)("decodes every reject_reason vector: the constructor names are the hint's leading names, the bytes kept exactly", () => {
    for (const v of rejects) {
      const bytes = Cbor.fromHex(v.cbor_hex)!
      const decoded = TxRejection.decode(bytes)
      assert.isTrue(decoded.known, v.name)
      if (!decoded.known) continue
      assert.strictEqual(decoded.era, v.expect.era_index, v.name)
      assert.strictEqual(decoded.eraName, "Conway")
      assert.strictEqual(Cbor.toHex(decoded.reason), v.cbor_hex)
      const hint = String(v.expect.ledger_error_hint).split("_")
      const stated = hint.filter((w) => vocabulary.has(w))
      assert.strictEqual(stated[0], hint[0], `${v.name}: the hint starts with a constructor name`)
      const actual = decoded.failures.flatMap(TxRejection.names)
      assert.deepStrictEqual(actual.slice(0, stated.length), stated, v.name)
      // every name the decoder gives is one of the vocabulary, or an index marked unknown
      for (const n of actual) assert.isTrue(vocabulary.has(n) || /^#\d+$/.test(n), `${v.name}: ${n}`)
    }
  })

  it("a wrapping constructor is read one level deeper; the fields are a JSON tree", () => {
    const d = TxRejection.decode(Cbor.fromHex("8182068282018200830c1a000d8a871a000b075682018209d9010280")!)
    assert.isTrue(d.known)
    if (!d.known) return
    assert.deepStrictEqual(TxRejection.names(d.failures[0]!), ["ConwayUtxowFailure", "UtxoFailure", "InsufficientCollateral"])
    assert.deepStrictEqual(d.failures[0]!.inner!.inner!.fields, [887431, 722774])
    // UTXOW index 9 is not checked by any vector: named by its index, not guessed
    const second = d.failures[1]!
    assert.strictEqual(second.name, "ConwayUtxowFailure")
    assert.strictEqual(second.inner!.name, undefined)
    assert.isFalse(second.inner!.known)
    assert.deepStrictEqual(second.inner!.fields, [{ tag: 258, value: [] }])
    assert.strictEqual(TxRejection.summary(d), "Conway: ConwayUtxowFailure.UtxoFailure.InsufficientCollateral; ConwayUtxowFailure.#9")
    const json = TxRejection.toJson(d) as Record<string, unknown>
    assert.strictEqual(json.reason_cbor, "8182068282018200830c1a000d8a871a000b075682018209d9010280")
  })

  it("another era, another shape or bytes that are not CBOR: not known, with the era and the exact bytes", () => {
    const babbage = Cbor.fromHex("81820581820102")!
    const b = TxRejection.decode(babbage)
    assert.isFalse(b.known)
    assert.strictEqual(b.era, 5)
    assert.strictEqual(b.reason, babbage)
    assert.include(TxRejection.summary(b), "era 5, not decoded")
    const placeholder = TxRejection.decode(Cbor.fromHex("820204")!)
    assert.isFalse(placeholder.known)
    assert.strictEqual(placeholder.era, undefined)
    const garbage = TxRejection.decode(new Uint8Array([0x82, 0x01]))
    assert.isFalse(garbage.known)
    assert.include(garbage.known ? "" : garbage.detail, "not CBOR")
    const notList = TxRejection.decode(Cbor.fromHex("8182060a")!)
    assert.isFalse(notList.known)
    assert.strictEqual(notList.era, 6)
  })

  it("cborToJson: big integers, bytes, maps, tags, text", () => {
    const v: Cbor.Value = [2n ** 64n, new Uint8Array([1, 2]), new Map<Cbor.Value, Cbor.Value>([[1, "a"]]), new Cbor.Tag(258, []), null, true]
    assert.deepStrictEqual(TxRejection.cborToJson(v), [
      { bigint: "18446744073709551616" },
      { bytes: "0102" },
      { map: [[1, "a"]] },
      { tag: 258, value: [] },
      null,
      true
    ])
  })
})
