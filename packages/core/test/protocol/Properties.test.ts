import { assert, describe, it } from "@effect/vitest"
import * as Result from "effect/Result"
import * as fc from "fast-check"
import { Cbor } from "../../src/cbor/index.ts"
import * as Common from "../../src/protocol/Common.ts"
import { Point, Tip } from "../../src/protocol/Common.ts"
import { Driver, Handshake, LocalChainSync, LocalStateQuery, LocalTxMonitor, LocalTxSubmission } from "../../src/protocol/index.ts"

type Mod = { readonly protocol: { encode: (m: any) => Uint8Array; decode: (b: Uint8Array) => Result.Result<any, any> } }

const roundTrips = (mod: Mod, m: unknown) => {
  const bytes = mod.protocol.encode(m)
  const back = mod.protocol.decode(bytes)
  assert.isTrue(Result.isSuccess(back), Cbor.toHex(bytes))
  assert.strictEqual(Cbor.toHex(mod.protocol.encode((back as Result.Success<unknown, unknown>).success)), Cbor.toHex(bytes))
}

const point = fc.oneof(
  fc.constant(Point.origin),
  fc.tuple(fc.nat(), fc.uint8Array({ minLength: 32, maxLength: 32 })).map(([s, h]) => Point.specific(s, h))
)
// Shelley and later: any bytes inside tag 24; Byron: a [kind, payload] pair, not wrapped
const tx = fc.oneof(
  fc.tuple(fc.integer({ min: 1, max: 7 }), fc.uint8Array({ minLength: 1, maxLength: 40 })).map(([era, bytes]) => ({ era, bytes })),
  fc.tuple(fc.integer({ min: 0, max: 3 }), fc.uint8Array({ maxLength: 40 })).map(([kind, payload]) =>
    Common.EraTx.byron(kind, Cbor.encode([payload, []]))
  )
)

describe("encode then decode is the identity (handshake and node-to-client)", () => {
  it("handshake: proposals, accepts, refusals and query replies of N2N and N2C tables", () => {
    const n2n = fc.tuple(fc.integer({ min: 0, max: 0xffffffff }), fc.subarray([11, 12, 13, 14, 15, 16], { minLength: 1 }), fc.boolean(), fc.boolean(), fc.boolean())
      .map(([magic, versions, initiatorOnly, peerSharing, query]) => Handshake.n2nVersionTable({ magic, versions, initiatorOnly, peerSharing, query }))
    const n2c = fc.tuple(fc.integer({ min: 0, max: 0xffffffff }), fc.subarray([16, 17, 18, 19, 20, 21, 22, 23], { minLength: 1 }), fc.boolean())
      .map(([magic, versions, query]) => new Map(versions.map((v) => [v | Handshake.N2C_BIT, { networkMagic: magic, query }])) as Handshake.VersionTable)
    const msg = fc.oneof(
      fc.oneof(n2n, n2c).map(Handshake.make.propose),
      fc.oneof(n2n, n2c).map(Handshake.make.queryReply),
      n2n.map((t) => { const [v, d] = [...t.entries()][0]!; return Handshake.make.accept(v, d) }),
      fc.array(fc.integer({ min: 0, max: 0xffff }), { maxLength: 5 }).map((versions) => Handshake.make.refuse({ _tag: "VersionMismatch", versions })),
      fc.tuple(fc.integer({ min: 0, max: 0xffff }), fc.string()).map(([version, message]) => Handshake.make.refuse({ _tag: "Refused", version, message }))
    )
    fc.assert(fc.property(msg, (m) => roundTrips(Handshake, m)), { numRuns: 300 })
  })

  it("local chain-sync, tx-submission, state query and tx-monitor", () => {
    const tip = fc.tuple(point, fc.nat()).map(([p, n]) => Tip.make(p, n))
    const msg = fc.oneof(
      fc.tuple(fc.integer({ min: 0, max: 7 }), fc.uint8Array({ maxLength: 40 }), tip).map(([t, body, tp]) =>
        [LocalChainSync, LocalChainSync.make.rollForward({ tag: t, bytes: Cbor.encode([t, body]) }, tp)] as const),
      fc.tuple(point, tip).map(([p, t]) => [LocalChainSync, LocalChainSync.make.rollBackward(p, t)] as const),
      tx.map((t) => [LocalTxSubmission, LocalTxSubmission.make.submitTx(t)] as const),
      fc.uint8Array({ minLength: 1, maxLength: 20 }).map((b) => [LocalTxSubmission, LocalTxSubmission.make.rejectTx(Cbor.encode(b))] as const),
      point.map((p) => [LocalStateQuery, LocalStateQuery.make.acquire(LocalStateQuery.target.point(p))] as const),
      fc.constantFrom(LocalStateQuery.Query.getSystemStart(), LocalStateQuery.Query.getChainPoint(), LocalStateQuery.Query.getCurrentEra())
        .map((q) => [LocalStateQuery, LocalStateQuery.make.query(q)] as const),
      fc.nat().map((s) => [LocalTxMonitor, LocalTxMonitor.make.acquired(s)] as const),
      fc.option(tx, { nil: undefined }).map((t) => [LocalTxMonitor, LocalTxMonitor.make.replyNextTx(t)] as const),
      fc.tuple(fc.nat({ max: 0xffffffff }), fc.nat({ max: 0xffffffff }), fc.nat({ max: 0xffffffff })).map(([a, b, c]) => [LocalTxMonitor, LocalTxMonitor.make.replyGetSizes(a, b, c)] as const)
    )
    fc.assert(fc.property(msg, ([mod, m]) => roundTrips(mod as Mod, m)), { numRuns: 500 })
  })
})

describe("node-to-client state machines", () => {
  it("local state query: acquire, query, result, release; a result without a query is refused", () => {
    const client = Driver.make(LocalStateQuery.protocol, "initiator")
    const server = Driver.make(LocalStateQuery.protocol, "responder")
    for (const m of [
      LocalStateQuery.make.acquire(LocalStateQuery.target.point(Point.origin)),
      LocalStateQuery.make.acquired(),
      LocalStateQuery.make.query(LocalStateQuery.Query.getChainPoint()),
      LocalStateQuery.make.result(Cbor.encode([])),
      LocalStateQuery.make.release()
    ]) {
      const sender = Driver.senderOf(LocalStateQuery.protocol, m._tag) === "client" ? client : server
      const receiver = sender === client ? server : client
      assert.strictEqual(sender.send(m)._tag, "Deliver")
      assert.strictEqual(receiver.recv(m, 1)._tag, "Deliver")
    }
    const fresh = Driver.make(LocalStateQuery.protocol, "initiator")
    fresh.send(LocalStateQuery.make.acquire(LocalStateQuery.target.point(Point.origin)))
    const bad = fresh.recv(LocalStateQuery.make.result(Cbor.encode(1)), 1)
    assert.isTrue(bad._tag === "Violation" && bad.error.kind === "UnexpectedMessage")
  })

  it("local tx-submission: a client may not send AcceptTx", () => {
    const server = Driver.make(LocalTxSubmission.protocol, "responder")
    const bad = server.recv(LocalTxSubmission.make.acceptTx(), 1)
    assert.isTrue(bad._tag === "Violation" && bad.error.kind === "Agency")
  })
})

describe("local state query helpers", () => {
  it("build the era-independent queries and read their results", () => {
    assert.strictEqual(Cbor.toHex(LocalStateQuery.Query.getCurrentEra()), "820082028101")
    assert.strictEqual(Cbor.toHex(LocalStateQuery.Query.getEpochNo(6)), "8200820082068101")
    assert.strictEqual(LocalStateQuery.Results.currentEra(Cbor.encode(6)), 6)
    assert.strictEqual(LocalStateQuery.Results.epochNo(Cbor.encode([512])), 512)
    assert.strictEqual(LocalStateQuery.Results.chainBlockNo(Cbor.encode([1, 100])), 100)
    assert.strictEqual(LocalStateQuery.Results.chainBlockNo(Cbor.encode([0])), "origin")
    const p = LocalStateQuery.Results.chainPoint(Cbor.encode([5, new Uint8Array(32)]))
    assert.isTrue(p !== undefined && p._tag === "Specific" && p.slot === 5)
    assert.deepStrictEqual(LocalStateQuery.Results.systemStart(Cbor.encode([2017, 266, 0])), { year: 2017, dayOfYear: 266, picosecondsOfDay: 0n })
    assert.isUndefined(LocalStateQuery.Results.epochNo(Cbor.fromHex("ff")!))
  })
})
