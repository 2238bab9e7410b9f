/**
 * The server side of tx-submission2 for one peer, as pure bookkeeping: which ids the peer announced
 * and we have not acknowledged yet, which of them we still have to fetch, and what to ask next.
 *
 * The rules it keeps (those of the reference inbound side):
 * - at most `maxUnacked` ids are unacknowledged at any time; an id is acknowledged once its tx was
 *   received, was already known, or was asked for and left out of the reply;
 * - acknowledgements are always a prefix of the announced ids, in order;
 * - a blocking `MsgRequestTxIds` only when nothing would stay unacknowledged after its ack, a
 *   non-blocking one otherwise; a blocking reply must not be empty;
 * - `MsgRequestTxs` only for ids not seen before (from any peer), within a byte budget per request.
 *
 * @internal
 */
import type { EraTx, EraTxId } from "../../protocol/Common.ts"
import * as Cbor from "../../cbor/Cbor.ts"

/** What the server sends next. */
export type TxAction =
  | { readonly _tag: "RequestTxIds"; readonly blocking: boolean; readonly ack: number; readonly req: number }
  | { readonly _tag: "RequestTxs"; readonly ids: ReadonlyArray<EraTxId> }

/** A reply that breaks the protocol's rules: the connection is closed and the peer banned. */
export interface TxViolation {
  readonly _tag: "TxViolation"
  readonly detail: string
}

/** The key of a tx id in maps: era and id in hex. */
export const txKey = (id: EraTxId): string => `${id.era}:${Cbor.toHex(id.txId)}`

/**
 * The ids seen from every peer, so a tx announced by several peers is fetched once. Bounded: the
 * oldest ids are forgotten first.
 */
export class SeenTxs {
  private readonly keys = new Set<string>()
  readonly capacity: number
  constructor(capacity: number) {
    this.capacity = capacity
  }
  has(key: string): boolean {
    return this.keys.has(key)
  }
  add(key: string): void {
    if (this.keys.has(key)) return
    this.keys.add(key)
    if (this.keys.size > this.capacity) {
      const oldest = this.keys.values().next()
      if (!oldest.done) this.keys.delete(oldest.value)
    }
  }
  get size(): number {
    return this.keys.size
  }
}

interface Entry {
  readonly id: EraTxId
  readonly key: string
  readonly size: number
  status: "wanted" | "requested" | "done"
}

/** The tx-submission2 server state of one peer. */
export class TxWindow {
  readonly maxUnacked: number
  readonly maxRequestBytes: number
  private readonly seen: SeenTxs
  private readonly unacked: Array<Entry> = []
  private awaiting: { readonly _tag: "ids"; readonly blocking: boolean; readonly req: number } | {
    readonly _tag: "txs"
    readonly entries: ReadonlyArray<Entry>
  } | undefined
  /** How many txs this peer delivered. */
  received = 0

  constructor(options: { readonly maxUnacked: number; readonly maxRequestBytes: number; readonly seen: SeenTxs }) {
    this.maxUnacked = options.maxUnacked
    this.maxRequestBytes = options.maxRequestBytes
    this.seen = options.seen
  }

  /** How many ids are announced and not acknowledged. */
  get unacknowledged(): number {
    return this.unacked.length
  }

  /** The first request, once the client's `MsgInit` arrived. */
  start(): TxAction {
    return this.next()
  }

  /** The peer's `MsgReplyTxIds`. */
  onReplyTxIds(ids: ReadonlyArray<readonly [EraTxId, number]>): TxAction | TxViolation {
    const asked = this.awaiting
    if (asked === undefined || asked._tag !== "ids") {
      return { _tag: "TxViolation", detail: "MsgReplyTxIds that was not asked for" }
    }
    this.awaiting = undefined
    if (asked.blocking && ids.length === 0) {
      return { _tag: "TxViolation", detail: "empty MsgReplyTxIds to a blocking request" }
    }
    if (ids.length > asked.req) {
      return { _tag: "TxViolation", detail: `${ids.length} tx ids in reply to a request for ${asked.req}` }
    }
    if (this.unacked.length + ids.length > this.maxUnacked) {
      return { _tag: "TxViolation", detail: `more than ${this.maxUnacked} unacknowledged tx ids` }
    }
    const pending = new Set(this.unacked.map((e) => e.key))
    for (const [id, size] of ids) {
      const key = txKey(id)
      const known = this.seen.has(key) || pending.has(key)
      pending.add(key)
      this.unacked.push({ id, key, size, status: known ? "done" : "wanted" })
    }
    return this.next()
  }

  /**
   * The peer's `MsgReplyTxs`: the txs, each paired with the id asked for when the reply has as many
   * txs as were asked (a peer may leave out txs it no longer has).
   */
  onReplyTxs(txs: ReadonlyArray<EraTx>): { readonly action: TxAction; readonly ids: ReadonlyArray<EraTxId | undefined> } | TxViolation {
    const asked = this.awaiting
    if (asked === undefined || asked._tag !== "txs") {
      return { _tag: "TxViolation", detail: "MsgReplyTxs that was not asked for" }
    }
    this.awaiting = undefined
    if (txs.length > asked.entries.length) {
      return { _tag: "TxViolation", detail: `${txs.length} txs in reply to a request for ${asked.entries.length}` }
    }
    const paired = txs.length === asked.entries.length
    for (const entry of asked.entries) {
      entry.status = "done"
      this.seen.add(entry.key)
    }
    this.received += txs.length
    return { action: this.next(), ids: txs.map((_, i) => (paired ? asked.entries[i]!.id : undefined)) }
  }

  private next(): TxAction {
    let ackable = 0
    while (ackable < this.unacked.length && this.unacked[ackable]!.status === "done") ackable++
    const remaining = this.unacked.length - ackable
    if (remaining === 0 || ackable > 0) {
      this.unacked.splice(0, ackable)
      const blocking = remaining === 0
      const req = this.maxUnacked - remaining
      this.awaiting = { _tag: "ids", blocking, req }
      return { _tag: "RequestTxIds", blocking, ack: ackable, req }
    }
    const entries: Array<Entry> = []
    let bytes = 0
    for (const entry of this.unacked) {
      if (entry.status !== "wanted") continue
      if (entries.length > 0 && bytes + entry.size > this.maxRequestBytes) break
      entry.status = "requested"
      entries.push(entry)
      bytes += entry.size
    }
    this.awaiting = { _tag: "txs", entries }
    return { _tag: "RequestTxs", ids: entries.map((e) => e.id) }
  }
}
