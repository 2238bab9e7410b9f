/**
 * A proposal may carry versions newer than ours, whose data has a shape we do not know, or data that
 * is malformed for its version. The reference keeps such entries out of the way instead of failing
 * the whole proposal, and refuses with HandshakeDecodeError only when that version is the one chosen.
 * (Found by the negotiation fuzz target: before, any such entry made the proposal a DecodeError and
 * the connection closed.)
 */
import { assert, describe, it } from "@effect/vitest"
import * as Result from "effect/Result"
import { Cbor } from "../../src/cbor/index.ts"
import { Handshake } from "../../src/protocol/index.ts"

const ours = Handshake.n2nVersionTable({ magic: 42 })

const proposal = (entries: ReadonlyArray<readonly [number, Cbor.Value]>) => Cbor.encode([0, new Map(entries as Array<[Cbor.Value, Cbor.Value]>)])

describe("handshake: version tables with entries we cannot read", () => {
  it("a newer version with a new data shape is kept as received and the highest common version is accepted", () => {
    const bytes = proposal([[14, [42, false, 1, false]], [17, [42, false, 1, false, false, "new field"]]])
    const r = Handshake.protocol.decode(bytes)
    assert.isTrue(Result.isSuccess(r))
    const m = (r as Result.Success<Handshake.Message, unknown>).success
    assert.strictEqual(m._tag, "MsgProposeVersions")
    if (m._tag !== "MsgProposeVersions") return
    assert.isDefined(m.versionTable.get(17)!.undecoded)
    // re-encoded byte for byte
    assert.strictEqual(Cbor.toHex(Handshake.protocol.encode(m)), Cbor.toHex(bytes))
    const n = Handshake.negotiate(ours, m.versionTable)
    assert.deepStrictEqual(n._tag === "Accept" ? [n.version, n.data.networkMagic] : n, [14, 42])
  })

  it("malformed data for the version that would be chosen is refused with HandshakeDecodeError naming it", () => {
    const bytes = proposal([[13, [42, false, 0, false]], [15, ["not a magic", 7]]])
    const r = Handshake.protocol.decode(bytes)
    assert.isTrue(Result.isSuccess(r))
    const m = (r as Result.Success<Handshake.Message, unknown>).success
    if (m._tag !== "MsgProposeVersions") return assert.fail(m._tag)
    const n = Handshake.negotiate(ours, m.versionTable)
    assert.strictEqual(n._tag, "Refuse")
    if (n._tag === "Refuse") assert.deepStrictEqual([n.reason._tag, (n.reason as { version: number }).version], ["HandshakeDecodeError", 15])
    // the refusal itself encodes and decodes
    const refusal = Handshake.make.refuse((n as { reason: Handshake.RefuseReason }).reason)
    assert.isTrue(Result.isSuccess(Handshake.protocol.decode(Handshake.protocol.encode(refusal))))
  })

  it("an accept must still carry readable data for its version", () => {
    const r = Handshake.protocol.decode(Cbor.encode([1, 14, ["x"]]))
    assert.isTrue(Result.isFailure(r))
  })
})
