import { assert, describe, it } from "@effect/vitest"
import { SeenTxs, TxWindow } from "../../src/behavior/internal/txWindow.ts"
import type { EraTxId } from "../../src/protocol/Common.ts"

const id = (n: number): EraTxId => ({ era: 6, txId: new Uint8Array(32).fill(n) })
const tx = (n: number) => ({ era: 6, bytes: new Uint8Array([n]) })
const ids = (...ns: Array<number>) => ns.map((n) => [id(n), 100] as const)

describe("tx-submission2 server window", () => {
  it("starts with a blocking request for the whole window", () => {
    const w = new TxWindow({ maxUnacked: 10, maxRequestBytes: 1000, seen: new SeenTxs(100) })
    assert.deepStrictEqual(w.start(), { _tag: "RequestTxIds", blocking: true, ack: 0, req: 10 })
  })

  it("asks for the txs of new ids, then acknowledges them with a blocking request", () => {
    const w = new TxWindow({ maxUnacked: 10, maxRequestBytes: 1000, seen: new SeenTxs(100) })
    w.start()
    const a = w.onReplyTxIds(ids(1, 2, 3))
    assert.strictEqual(a._tag, "RequestTxs")
    if (a._tag === "RequestTxs") assert.strictEqual(a.ids.length, 3)
    const b = w.onReplyTxs([tx(1), tx(2), tx(3)])
    assert.ok(!("_tag" in b))
    if (!("_tag" in b)) {
      assert.deepStrictEqual(b.action, { _tag: "RequestTxIds", blocking: true, ack: 3, req: 10 })
      assert.strictEqual(b.ids.length, 3)
    }
    assert.strictEqual(w.unacknowledged, 0)
  })

  it("uses a non-blocking request while ids stay unacknowledged (byte budget per request)", () => {
    const w = new TxWindow({ maxUnacked: 10, maxRequestBytes: 250, seen: new SeenTxs(100) })
    w.start()
    const a = w.onReplyTxIds(ids(1, 2, 3, 4))
    assert.deepStrictEqual(a._tag === "RequestTxs" ? a.ids.length : -1, 2)
    const b = w.onReplyTxs([tx(1), tx(2)])
    assert.ok(!("_tag" in b))
    if (!("_tag" in b)) assert.deepStrictEqual(b.action, { _tag: "RequestTxIds", blocking: false, ack: 2, req: 8 })
    const c = w.onReplyTxIds([])
    assert.deepStrictEqual(c._tag === "RequestTxs" ? c.ids.length : -1, 2)
    const d = w.onReplyTxs([tx(3), tx(4)])
    if (!("_tag" in d)) assert.deepStrictEqual(d.action, { _tag: "RequestTxIds", blocking: true, ack: 2, req: 10 })
  })

  it("never asks twice for a tx seen from another peer", () => {
    const seen = new SeenTxs(100)
    const w1 = new TxWindow({ maxUnacked: 10, maxRequestBytes: 1000, seen })
    const w2 = new TxWindow({ maxUnacked: 10, maxRequestBytes: 1000, seen })
    w1.start()
    w2.start()
    w1.onReplyTxIds(ids(1))
    w1.onReplyTxs([tx(1)])
    assert.deepStrictEqual(w2.onReplyTxIds(ids(1)), { _tag: "RequestTxIds", blocking: true, ack: 1, req: 10 })
  })

  it("flags replies that break the rules", () => {
    const w = new TxWindow({ maxUnacked: 3, maxRequestBytes: 1000, seen: new SeenTxs(100) })
    w.start()
    assert.strictEqual(w.onReplyTxIds(ids(1, 2, 3, 4))._tag, "TxViolation")
    const v = new TxWindow({ maxUnacked: 3, maxRequestBytes: 1000, seen: new SeenTxs(100) })
    v.start()
    assert.strictEqual(v.onReplyTxIds([])._tag, "TxViolation") // empty reply to a blocking request
    const u = new TxWindow({ maxUnacked: 3, maxRequestBytes: 1000, seen: new SeenTxs(100) })
    u.start()
    u.onReplyTxIds(ids(1))
    const r = u.onReplyTxs([tx(1), tx(2)])
    assert.ok("_tag" in r && r._tag === "TxViolation")
  })
})
