/**
 * The initiator's view of the chains its peers follow, as pure bookkeeping: per peer, the headers
 * received since the intersection (hash-linked, checked as they come, bounded), and across peers the
 * best tip (chain selection: the candidate with the highest block number). Headers are interned by
 * hash, so peers that deliver the same header share one record.
 *
 * Roll-backs are checked: a peer may roll back only to a point of the candidate chain it sent us (a
 * header of its fragment, or the fragment's anchor: the intersection, or the newest header dropped
 * when the fragment was trimmed), and no deeper than the security parameter k. Anything else is a
 * {@link ChainFault}, which the initiator turns into a ban. Each peer's progress is watched too (see
 * {@link ChainView.rollForward}).
 *
 * @internal
 */
import * as Cbor from "../../cbor/Cbor.ts"
import { Point } from "../../protocol/Common.ts"
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

/**
 * Why a header or a rollback was refused: a header that does not link to the previous one (or whose
 * block number does not follow it), a roll-back to a point this peer never sent (or before its
 * intersection), a roll-back deeper than the security parameter k.
 */
export type ChainFault =
  | { readonly _tag: "BadLink"; readonly detail: string }
  | { readonly _tag: "UnknownRollback"; readonly detail: string }
  | { readonly _tag: "RollbackTooDeep"; readonly detail: string }

/**
 * A roll forward or backward that was taken: whether the best tip changed, and `stalled` (with a
 * readable reason) the one time the peer's run of messages without forward progress exceeds the
 * window.
 */
export interface ChainStepOk {
  readonly _tag: "Ok"
  readonly bestChanged: boolean
  readonly stalled?: string | undefined
}

const ok = (bestChanged: boolean, stalled: string | undefined): ChainStepOk =>
  stalled === undefined ? { _tag: "Ok", bestChanged } : { _tag: "Ok", bestChanged, stalled }

/** Options of a {@link ChainView} beyond its per-peer bound. */
export interface ChainViewOptions {
  /**
   * The security parameter k: no roll-back may undo more than k headers. Default: the per-peer bound
   * (which should be at least k, so that every point within k of a peer's head is in its fragment).
   */
  readonly securityParam?: number | undefined
  /**
   * How many chain-sync answers (roll-forwards and roll-backs) a peer may send in a row without its
   * highest block number rising before it counts as stalled. Default 2k + 100.
   */
  readonly noProgressWindow?: number | undefined
}

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
  /** The highest block number this peer's candidate chain reached since the intersection. */
  highest: number | undefined
  /** Chain-sync answers since `highest` last rose. */
  sinceRise = 0

  constructor(anchor: Point, anchorBlockNo: number | undefined) {
    this.anchor = anchor
    this.anchorBlockNo = anchorBlockNo
    this.highest = anchorBlockNo
  }

  /** Whether headers were dropped from the front (the anchor is no longer the intersection). */
  get trimmed(): boolean {
    return this.dropped > 0
  }

  /** How many headers follow `key` (0 for the newest); `undefined` when `key` is not in the fragment. */
  depthOf(key: string): number | undefined {
    const pos = this.positions.get(key)
    return pos === undefined ? undefined : this.keys.length - (pos - this.dropped) - 1
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
  /** The security parameter k: the deepest roll-back taken. */
  readonly securityParam: number
  /** Answers in a row without forward progress before a peer counts as stalled. */
  readonly noProgressWindow: number
  private readonly headers = new Map<string, { record: HeaderRecord; refs: number }>()
  private readonly fragments = new Map<PeerId, PeerFragment>()
  private best: BestTip | undefined

  constructor(maxHeadersPerPeer: number, options: ChainViewOptions = {}) {
    this.maxHeadersPerPeer = Math.max(1, maxHeadersPerPeer)
    this.securityParam = Math.max(0, options.securityParam ?? this.maxHeadersPerPeer)
    this.noProgressWindow = Math.max(1, options.noProgressWindow ?? 2 * this.securityParam + 100)
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
   * A roll forward: the header must link to the peer's previous header (or to its anchor), and its
   * block number must be the previous one's plus one (or the same: a Byron boundary block shares its
   * predecessor's number, and the block after it the boundary's plus one). Returns the fault, or
   * whether the best tip changed.
   *
   * Progress rule: every answer (roll forward or backward) that does not raise the highest block
   * number the peer's candidate chain has reached since the intersection counts; when more than
   * `noProgressWindow` (default 2k + 100) count in a row, the step reports `stalled` once, and the
   * initiator demotes the peer. An honest peer never trips it: it switches only to a chain at least
   * as long as the one it served (strictly longer, or equal on a tie-break) and never rolls back
   * more than k, so a switch costs one roll-back and at most k roll-forwards before the number rises
   * again; even two deep switches in a row stay under the window. A peer that rolls back after every
   * roll-forward is followed for at most the window's messages.
   */
  rollForward(
    peer: PeerId,
    header: { readonly hash: Uint8Array; readonly slot: number; readonly blockNo: number; readonly prevHash: Uint8Array | undefined }
  ): ChainFault | ChainStepOk {
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
    // from the origin the first header's number is not checked either
    const last = f.lastKey()
    const prevBlockNo = last !== undefined
      ? this.headers.get(last)?.record.blockNo
      : f.anchor._tag === "Origin"
      ? undefined
      : f.anchorBlockNo
    if (prevBlockNo !== undefined && header.blockNo !== prevBlockNo + 1 && header.blockNo !== prevBlockNo) {
      return {
        _tag: "BadLink",
        detail: `header ${header.slot}.${key} has block number ${header.blockNo} after block number ${prevBlockNo}`
      }
    }
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
    return ok(this.consider(peer), this.progress(f, header.blockNo))
  }

  /** Counts one answer against the progress rule; the reason, the one time the window is exceeded. */
  private progress(f: PeerFragment, blockNo: number | undefined): string | undefined {
    if (blockNo !== undefined && (f.highest === undefined || blockNo > f.highest)) {
      f.highest = blockNo
      f.sinceRise = 0
      return undefined
    }
    f.sinceRise++
    return f.sinceRise === this.noProgressWindow + 1
      ? `no forward progress: ${f.sinceRise} roll-forwards and roll-backs in a row without passing block number ${
        f.highest ?? "(none)"
      }`
      : undefined
  }

  /**
   * A roll backward to `point`, which must be a header of this peer's fragment or its anchor (the
   * intersection, or the newest header dropped by trimming), undoing at most k headers. Returns the
   * fault (`UnknownRollback`: a point this peer never sent, or before its intersection;
   * `RollbackTooDeep`: more than k headers back), or whether the best tip changed. A refused
   * roll-back changes nothing.
   */
  rollBackward(peer: PeerId, point: Point): ChainFault | ChainStepOk {
    const f = this.fragments.get(peer)
    if (f === undefined) return { _tag: "UnknownRollback", detail: "a roll-back before any intersection" }
    const key = pointKey(point)
    const where = point._tag === "Origin" ? "the origin" : `${point.slot}.${key}`
    let depth = f.depthOf(key)
    if (depth !== undefined && point._tag === "Specific" && this.headers.get(key)?.record.slot !== point.slot) {
      return { _tag: "UnknownRollback", detail: `a roll-back to ${where}, whose slot is not the one of the header it sent` }
    }
    const toAnchor = depth === undefined && key === pointKey(f.anchor) &&
      (point._tag === "Origin" || (f.anchor._tag === "Specific" && f.anchor.slot === point.slot))
    if (toAnchor) depth = f.length
    if (depth === undefined) {
      const older = f.anchor._tag === "Specific" && (point._tag === "Origin" || point.slot <= f.anchor.slot)
      if (older && f.trimmed) {
        return {
          _tag: "RollbackTooDeep",
          detail: `a roll-back to ${where}, more than ${f.length} headers back (the security parameter k is ${this.securityParam})`
        }
      }
      return {
        _tag: "UnknownRollback",
        detail: older
          ? `a roll-back to ${where}, before the intersection ${Point.toString(f.anchor)}`
          : `a roll-back to ${where}, a point this peer never sent`
      }
    }
    if (depth > this.securityParam) {
      return {
        _tag: "RollbackTooDeep",
        detail: `a roll-back to ${where}, ${depth} headers back (the security parameter k is ${this.securityParam})`
      }
    }
    this.release(toAnchor ? f.clear() : f.truncateAfter(key)!)
    const stalled = this.progress(f, undefined)
    return ok(this.best?.peer === peer ? this.reselect() : this.consider(peer), stalled)
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
