/**
 * The initiator's view of the chains its peers follow, as pure bookkeeping: per peer, the headers
 * received since the intersection (hash-linked, checked as they come, bounded), and across peers the
 * best tip (chain selection: the candidate with the highest block number). Headers are interned by
 * hash, so peers that deliver the same header share one record.
 *
 * @internal
 */
import * as Cbor from "../../cbor/Cbor.ts"
import type { Point } from "../../protocol/Common.ts"
import type { PeerId } from "../../Primitives.ts"

/** One header as the chain view keeps it. */
export interface HeaderRecord {
  readonly key: string
  readonly hash: Uint8Array
  readonly slot: number
  readonly blockNo: number
  readonly prevKey: string | undefined
}

/** The point of a record. */
export const recordPoint = (r: HeaderRecord): Point => ({ _tag: "Specific", slot: r.slot, hash: r.hash })

/** The map key of a point: the hash in hex, or "origin". */
export const pointKey = (p: Point): string => (p._tag === "Origin" ? "origin" : Cbor.toHex(p.hash))

/** Why a header or a rollback was refused. */
export type ChainFault =
  | { readonly _tag: "BadLink"; readonly detail: string }
  | { readonly _tag: "UnknownRollback"; readonly detail: string }

/** The headers of one peer since its intersection. */
export class PeerFragment {
  /** The intersection (or the point a rollback went back to, beyond the window). */
  anchor: Point
  anchorBlockNo: number | undefined
  /** Keys of the headers after the anchor, oldest first. */
  readonly keys: Array<string> = []
  private readonly positions = new Map<string, number>()
  /** How many keys were dropped from the front (positions are absolute). */
  private dropped = 0

  constructor(anchor: Point, anchorBlockNo: number | undefined) {
    this.anchor = anchor
    this.anchorBlockNo = anchorBlockNo
  }

  has(key: string): boolean {
    return this.positions.has(key)
  }

  get length(): number {
    return this.keys.length
  }

  lastKey(): string | undefined {
    return this.keys[this.keys.length - 1]
  }

  push(key: string): void {
    this.positions.set(key, this.dropped + this.keys.length)
    this.keys.push(key)
  }

  /** Drops the oldest keys beyond `max`; returns them. */
  trim(max: number): Array<string> {
    if (this.keys.length <= max) return []
    const out = this.keys.splice(0, this.keys.length - max)
    for (const k of out) this.positions.delete(k)
    this.dropped += out.length
    return out
  }

  /** Drops every key after `key`; returns them. `undefined` when `key` is not in the fragment. */
  truncateAfter(key: string): Array<string> | undefined {
    const pos = this.positions.get(key)
    if (pos === undefined) return undefined
    const cut = pos - this.dropped + 1
    const out = this.keys.splice(cut)
    for (const k of out) this.positions.delete(k)
    return out
  }

  /** Drops everything (the peer rolled back to the anchor or beyond it). */
  clear(): Array<string> {
    const out = this.keys.splice(0)
    for (const k of out) this.positions.delete(k)
    this.dropped += 0
    return out
  }

  /** The keys from `fromKey` to `toKey` inclusive, oldest first; `undefined` if not both here in order. */
  between(fromKey: string, toKey: string): Array<string> | undefined {
    const a = this.positions.get(fromKey)
    const b = this.positions.get(toKey)
    if (a === undefined || b === undefined || b < a) return undefined
    return this.keys.slice(a - this.dropped, b - this.dropped + 1)
  }

  /** The keys after the anchor up to `toKey` inclusive. */
  upTo(toKey: string): Array<string> | undefined {
    const b = this.positions.get(toKey)
    if (b === undefined) return undefined
    return this.keys.slice(0, b - this.dropped + 1)
  }
}

/** The best tip across peers. */
export interface BestTip {
  readonly peer: PeerId
  readonly record: HeaderRecord
}

/** Every peer's fragment, the interned headers, and chain selection. */
export class ChainView {
  readonly maxHeadersPerPeer: number
  private readonly headers = new Map<string, { record: HeaderRecord; refs: number }>()
  private readonly fragments = new Map<PeerId, PeerFragment>()
  private best: BestTip | undefined

  constructor(maxHeadersPerPeer: number) {
    this.maxHeadersPerPeer = maxHeadersPerPeer
  }

  header(key: string): HeaderRecord | undefined {
    return this.headers.get(key)?.record
  }

  fragment(peer: PeerId): PeerFragment | undefined {
    return this.fragments.get(peer)
  }

  peers(): IterableIterator<PeerId> {
    return this.fragments.keys()
  }

  get bestTip(): BestTip | undefined {
    return this.best
  }

  private release(keys: ReadonlyArray<string>): void {
    for (const k of keys) {
      const h = this.headers.get(k)
      if (h !== undefined && --h.refs <= 0) this.headers.delete(k)
    }
  }

  /** Starts (or restarts) a peer's fragment at its intersection. */
  intersect(peer: PeerId, anchor: Point, anchorBlockNo: number | undefined): void {
    this.drop(peer)
    this.fragments.set(peer, new PeerFragment(anchor, anchorBlockNo))
  }

  /** Forgets a peer's fragment (disconnect, demotion). Returns whether the best tip changed. */
  drop(peer: PeerId): boolean {
    const f = this.fragments.get(peer)
    if (f === undefined) return false
    this.release(f.clear())
    this.fragments.delete(peer)
    return this.best?.peer === peer ? this.reselect() : false
  }

  /**
   * A roll forward: the header must link to the peer's previous header (or to its anchor). Returns
   * the fault, or whether the best tip changed.
   */
  rollForward(
    peer: PeerId,
    header: { readonly hash: Uint8Array; readonly slot: number; readonly blockNo: number; readonly prevHash: Uint8Array | undefined }
  ): ChainFault | { readonly _tag: "Ok"; readonly bestChanged: boolean } {
    const f = this.fragments.get(peer)
    if (f === undefined) return { _tag: "BadLink", detail: "a header before any intersection" }
    const key = Cbor.toHex(header.hash)
    const prevKey = header.prevHash === undefined ? undefined : Cbor.toHex(header.prevHash)
    const expected = f.lastKey() ?? (f.anchor._tag === "Origin" ? undefined : pointKey(f.anchor))
    // from the origin the first header's previous hash is the genesis hash (or none): not checked
    if (!(f.lastKey() === undefined && f.anchor._tag === "Origin") && expected !== prevKey) {
      return {
        _tag: "BadLink",
        detail: `header ${header.slot}.${key} names ${prevKey ?? "no previous block"}, expected ${expected}`
      }
    }
    if (f.has(key)) return { _tag: "BadLink", detail: `header ${key} delivered twice` }
    const existing = this.headers.get(key)
    if (existing !== undefined) existing.refs++
    else {
      this.headers.set(key, {
        record: { key, hash: header.hash, slot: header.slot, blockNo: header.blockNo, prevKey },
        refs: 1
      })
    }
    f.push(key)
    const dropped = f.trim(this.maxHeadersPerPeer)
    if (dropped.length > 0) {
      const last = this.headers.get(dropped[dropped.length - 1]!)?.record
      if (last !== undefined) {
        f.anchor = recordPoint(last)
        f.anchorBlockNo = last.blockNo
      }
      this.release(dropped)
    }
    return { _tag: "Ok", bestChanged: this.consider(peer) }
  }

  /** A roll backward to `point`. Returns the fault, or whether the best tip changed. */
  rollBackward(peer: PeerId, point: Point): ChainFault | { readonly _tag: "Ok"; readonly bestChanged: boolean } {
    const f = this.fragments.get(peer)
    if (f === undefined) return { _tag: "UnknownRollback", detail: "a rollback before any intersection" }
    const key = pointKey(point)
    const cut = f.truncateAfter(key)
    if (cut !== undefined) this.release(cut)
    else {
      // to the anchor, or beyond our window: restart the fragment there
      this.release(f.clear())
      const record = point._tag === "Specific" ? this.headers.get(key)?.record : undefined
      f.anchor = point
      f.anchorBlockNo = point._tag === "Origin" ? 0 : record?.blockNo
    }
    const changed = this.best?.peer === peer ? this.reselect() : this.consider(peer)
    return { _tag: "Ok", bestChanged: changed }
  }

  /** The newest header of a peer's fragment. */
  head(peer: PeerId): HeaderRecord | undefined {
    const k = this.fragments.get(peer)?.lastKey()
    return k === undefined ? undefined : this.headers.get(k)?.record
  }

  /** Whether the best tip is now this peer's head; true when it changed. */
  private consider(peer: PeerId): boolean {
    const head = this.head(peer)
    if (head === undefined) return false
    if (this.best === undefined || head.blockNo > this.best.record.blockNo) {
      this.best = { peer, record: head }
      return true
    }
    if (this.best.peer === peer && this.best.record.key !== head.key) {
      this.best = { peer, record: head }
      return true
    }
    return false
  }

  /** Picks the best tip again from scratch; true when it changed. */
  private reselect(): boolean {
    const before = this.best
    this.best = undefined
    for (const peer of this.fragments.keys()) {
      const head = this.head(peer)
      if (head !== undefined && (this.best === undefined || head.blockNo > this.best.record.blockNo)) {
        this.best = { peer, record: head }
      }
    }
    return before?.record.key !== this.best?.record.key
  }

  /** Which peers' fragments hold a header. */
  holders(key: string): Array<PeerId> {
    const out: Array<PeerId> = []
    for (const [peer, f] of this.fragments) if (f.has(key)) out.push(peer)
    return out
  }

  /**
   * The blocks from `from` to `to` inclusive as one peer's fragment holds them (`from` may also be
   * that fragment's anchor); `undefined` when no peer holds both in order.
   */
  path(from: Point, to: Point): Array<{ readonly key: string; readonly slot: number; readonly hash: Uint8Array }> | undefined {
    if (from._tag === "Origin" || to._tag === "Origin") return undefined
    const fromKey = pointKey(from)
    const toKey = pointKey(to)
    for (const f of this.fragments.values()) {
      let keys = f.between(fromKey, toKey)
      let prefix: Array<{ key: string; slot: number; hash: Uint8Array }> = []
      if (keys === undefined && pointKey(f.anchor) === fromKey) {
        keys = f.upTo(toKey)
        prefix = [{ key: fromKey, slot: from.slot, hash: from.hash }]
      }
      if (keys === undefined) continue
      const out: Array<{ key: string; slot: number; hash: Uint8Array }> = [...prefix]
      for (const k of keys) {
        const r = this.headers.get(k)?.record
        if (r === undefined) break
        out.push({ key: r.key, slot: r.slot, hash: r.hash })
      }
      if (out.length === keys.length + prefix.length) return out
    }
    return undefined
  }
}
