/**
 * The client side of tx-submission2 for the initiator, as pure bookkeeping: the application's
 * submitted transactions (a bounded pool shared by every peer) and, per peer, which of them were
 * announced and are not acknowledged yet.
 *
 * The rules kept (those of the reference outbound side):
 * - the server acknowledges a prefix of the ids we announced: `ack` may not exceed what is
 *   unacknowledged;
 * - at most `req` ids are announced per reply, never more than keep the unacknowledged window
 *   within `maxUnacked`;
 * - a blocking request is only legal when nothing stays unacknowledged after its `ack`, and its
 *   reply may not be empty: it waits for the next submitted transaction;
 * - a non-blocking request is answered at once, possibly with no ids;
 * - `MsgRequestTxs` may only name ids that are announced and not acknowledged; a tx the pool no
 *   longer holds is left out of the reply.
 *
 * @internal
 */
import * as Cbor from "../../cbor/Cbor.ts"
import type { EraTx, EraTxId } from "../../protocol/Common.ts"

/** One submitted transaction. */
export interface PooledTx {
  readonly seq: number
  readonly id: EraTxId
  readonly key: string
  readonly tx: EraTx
  readonly size: number
}

/** The key of a tx id. */
export const txIdKey = (id: EraTxId): string => `${id.era}:${Cbor.toHex(id.txId)}`

/** The application's transactions, oldest first; the oldest leave first when full. */
export class TxPool {
  readonly capacity: number
  private readonly entries: Array<PooledTx> = []
  private readonly byKey = new Map<string, PooledTx>()
  private seq = 0

  constructor(capacity: number) {
    this.capacity = capacity
  }

  /** Adds a transaction; `undefined` when it is already in the pool. */
  add(id: EraTxId, tx: EraTx): PooledTx | undefined {
    const key = txIdKey(id)
    if (this.byKey.has(key)) return undefined
    const entry: PooledTx = { seq: this.seq++, id, key, tx, size: tx.bytes.length }
    this.entries.push(entry)
    this.byKey.set(key, entry)
    while (this.entries.length > this.capacity) this.byKey.delete(this.entries.shift()!.key)
    return entry
  }

  get(key: string): PooledTx | undefined {
    return this.byKey.get(key)
  }

  /** The transactions from sequence number `seq` on, at most `n`. */
  from(seq: number, n: number): Array<PooledTx> {
    const out: Array<PooledTx> = []
    for (const e of this.entries) {
      if (out.length >= n) break
      if (e.seq >= seq) out.push(e)
    }
    return out
  }

  get size(): number {
    return this.entries.length
  }
}

/** What to answer. */
export type TxReply =
  | { readonly _tag: "ReplyTxIds"; readonly ids: ReadonlyArray<readonly [EraTxId, number]> }
  | { readonly _tag: "ReplyTxs"; readonly txs: ReadonlyArray<EraTx>; readonly requested: ReadonlyArray<EraTxId> }
  | { readonly _tag: "Wait" }
  | { readonly _tag: "Violation"; readonly detail: string }

/** One peer's window of announced ids. */
export class TxClient {
  readonly maxUnacked: number
  private readonly pool: TxPool
  private nextSeq = 0
  private readonly unacked: Array<PooledTx> = []
  /** A blocking request waiting for a transaction: how many ids it asked for. */
  private waiting: number | undefined

  constructor(pool: TxPool, maxUnacked: number) {
    this.pool = pool
    this.maxUnacked = maxUnacked
  }

  /** Whether a blocking request waits for a transaction. */
  get blocked(): boolean {
    return this.waiting !== undefined
  }

  private announce(req: number): Array<PooledTx> {
    const room = Math.max(0, Math.min(req, this.maxUnacked - this.unacked.length))
    const out = this.pool.from(this.nextSeq, room)
    if (out.length > 0) this.nextSeq = out[out.length - 1]!.seq + 1
    this.unacked.push(...out)
    return out
  }

  /** MsgRequestTxIds. */
  requestTxIds(blocking: boolean, ack: number, req: number): TxReply {
    if (ack > this.unacked.length) {
      return { _tag: "Violation", detail: `acknowledged ${ack} ids while only ${this.unacked.length} are unacknowledged` }
    }
    this.unacked.splice(0, ack)
    if (req === 0 && !blocking) return { _tag: "ReplyTxIds", ids: [] }
    if (blocking && this.unacked.length > 0) {
      return { _tag: "Violation", detail: `a blocking request with ${this.unacked.length} ids unacknowledged` }
    }
    if (req === 0) return { _tag: "Violation", detail: "a request for zero ids" }
    const ids = this.announce(req)
    if (blocking && ids.length === 0) {
      this.waiting = req
      return { _tag: "Wait" }
    }
    return { _tag: "ReplyTxIds", ids: ids.map((e) => [e.id, e.size] as const) }
  }

  /** A transaction was submitted: the reply to a waiting blocking request, if any. */
  submitted(): TxReply | undefined {
    if (this.waiting === undefined) return undefined
    const ids = this.announce(this.waiting)
    if (ids.length === 0) return undefined
    this.waiting = undefined
    return { _tag: "ReplyTxIds", ids: ids.map((e) => [e.id, e.size] as const) }
  }

  /** MsgRequestTxs. */
  requestTxs(ids: ReadonlyArray<EraTxId>): TxReply {
    const txs: Array<EraTx> = []
    for (const id of ids) {
      const key = txIdKey(id)
      const entry = this.unacked.find((e) => e.key === key)
      if (entry === undefined) return { _tag: "Violation", detail: `asked for tx ${key}, which is not announced and unacknowledged` }
      const pooled = this.pool.get(key)
      if (pooled !== undefined) txs.push(pooled.tx)
    }
    return { _tag: "ReplyTxs", txs, requested: ids }
  }
}
