/**
 * Block-fetch planning for the initiator as pure bookkeeping. A range the application asks for is cut
 * into chunks (when the headers between its ends are known, by their hashes; otherwise the range is
 * one chunk whose blocks are checked by their links). Chunks are handed to hot peers that hold them,
 * a few in flight per peer; every block received is proven (`receiveBlock`: its body matches its
 * header, BlockProof) and checked against what was expected (its hash is the point asked for or the
 * header chain-sync announced), a failure being a typed BlockProofError that bans the peer; blocks are
 * released to the application in order, each exactly once, even when a chunk is asked again from
 * another peer after its first peer failed.
 *
 * @internal
 */
import * as Cbor from "../../cbor/Cbor.ts"
import { BlockProofError, prove } from "../../chain/BlockProof.ts"
import { type Point } from "../../protocol/Common.ts"
import type { PeerId } from "../../Primitives.ts"

/** A block we expect, known from its header. */
export interface ExpectedBlock {
  readonly key: string
  readonly slot: number
  readonly hash: Uint8Array
}

/** A block as received and parsed. */
export interface FetchedBlock {
  readonly hash: Uint8Array
  readonly slot: number
  readonly blockNo: number
  readonly prevHash: Uint8Array | undefined
  /** `[blockTag, block]` as received. */
  readonly bytes: Uint8Array
}

/** A block ready for the application. */
export interface Delivery {
  readonly rangeId: number
  readonly peer: PeerId
  readonly block: FetchedBlock
  /** Position of the block in its range, from 0. */
  readonly index: number
}

/** A range that completed or failed. */
export type RangeOutcome =
  | { readonly _tag: "Fetched"; readonly rangeId: number; readonly from: Point; readonly to: Point; readonly blocks: number; readonly bytes: number }
  | { readonly _tag: "Failed"; readonly rangeId: number; readonly from: Point; readonly to: Point; readonly reason: string }

interface Chunk {
  readonly job: Job
  readonly index: number
  readonly from: Point & { readonly _tag: "Specific" }
  readonly to: Point & { readonly _tag: "Specific" }
  readonly expected: ReadonlyArray<ExpectedBlock> | undefined
  /** Keys of the blocks received so far, in order. */
  readonly receivedKeys: Array<string>
  /** Received, not yet released. */
  readonly pending: Array<{ readonly peer: PeerId; readonly block: FetchedBlock }>
  assigned: PeerId | undefined
  readonly tried: Set<PeerId>
  done: boolean
}

/**
 * Whether every block of a chunk arrived: all the blocks chain-sync announced for it, or (blocks not
 * known ahead) a last block that is the chunk's end. Such a chunk is done whether or not its batch's
 * end came too (the peer may have gone just before it).
 */
const received = (chunk: Chunk): boolean =>
  chunk.expected !== undefined
    ? chunk.receivedKeys.length === chunk.expected.length
    : chunk.receivedKeys.length > 0 && chunk.receivedKeys[chunk.receivedKeys.length - 1] === Cbor.toHex(chunk.to.hash)

interface Job {
  readonly id: number
  readonly from: Point
  readonly to: Point
  readonly chunks: Array<Chunk>
  next: number
  released: number
  bytes: number
  finished: boolean
}

/** One request sent to a peer. */
interface InFlight {
  readonly chunk: Chunk
  /** Blocks at the start of the answer that were already received (re-asked unknown chunk). */
  readonly skip: number
  /** Index in the chunk's expected blocks of the first block asked for. */
  readonly startIndex: number
  /** Blocks of this answer seen so far. */
  seen: number
  /** The previous block of this answer (for link checks). */
  last: FetchedBlock | undefined
  started: boolean
}

/** A request to send. */
export interface FetchRequest {
  readonly peer: PeerId
  readonly from: Point
  readonly to: Point
}

/**
 * The outcome of a message from a peer: fine, or a fault (the peer lied or broke its promise); a
 * block that is not the one asked for, or whose body does not match its header, carries its typed
 * {@link BlockProofError}.
 */
export type FetchStep =
  | { readonly _tag: "Ok" }
  | { readonly _tag: "Fault"; readonly detail: string; readonly error?: BlockProofError | undefined }

const OK: FetchStep = { _tag: "Ok" }

const proofFault = (reason: BlockProofError["reason"], detail: string): FetchStep => {
  const error = new BlockProofError({ reason, detail })
  return { _tag: "Fault", detail: error.message, error }
}

/**
 * Reads and proves a block as received (`MsgBlock`): readable, and its body matches its header
 * (BlockProof). The point and the chain-sync header are checked by the planner's `onBlock`. Returns
 * the block, or the fault that closes and bans the peer; an unproven block never reaches the planner.
 */
export const receiveBlock = (bytes: Uint8Array): FetchedBlock | Extract<FetchStep, { _tag: "Fault" }> => {
  try {
    const b = prove(bytes)
    return { hash: b.hash, slot: b.slot, blockNo: b.blockNo, prevHash: b.prevHash, bytes }
  } catch (e) {
    const error = e instanceof BlockProofError ? e : new BlockProofError({ reason: "Unreadable", detail: String(e) })
    return { _tag: "Fault", detail: error.message, error }
  }
}

/** What the planner needs to know of a hot peer. */
export interface FetchPeer {
  readonly peer: PeerId
  readonly rtt: number | undefined
}

/** The planner. */
export class FetchPlanner {
  readonly chunkBlocks: number
  readonly maxInFlightPerPeer: number
  private readonly jobs: Array<Job> = []
  private readonly inFlight = new Map<PeerId, Array<InFlight>>()
  private readonly outcomes: Array<RangeOutcome> = []

  constructor(options: { readonly chunkBlocks: number; readonly maxInFlightPerPeer: number }) {
    this.chunkBlocks = Math.max(1, options.chunkBlocks)
    this.maxInFlightPerPeer = Math.max(1, options.maxInFlightPerPeer)
  }

  /** Ranges not finished yet. */
  get active(): number {
    return this.jobs.length
  }

  /** Requests in flight to a peer. */
  inFlightTo(peer: PeerId): number {
    return this.inFlight.get(peer)?.length ?? 0
  }

  /**
   * Adds a range. `path` lists the blocks from `from` to `to` inclusive when their headers are known;
   * without it the range is asked whole and checked by links.
   */
  add(id: number, from: Point, to: Point, path: ReadonlyArray<ExpectedBlock> | undefined): RangeOutcome | undefined {
    if (from._tag === "Origin" || to._tag === "Origin") {
      return { _tag: "Failed", rangeId: id, from, to, reason: "a block range needs two specific points" }
    }
    if (to.slot < from.slot) return { _tag: "Failed", rangeId: id, from, to, reason: "the range ends before it starts" }
    const job: Job = { id, from, to, chunks: [], next: 0, released: 0, bytes: 0, finished: false }
    const mk = (index: number, a: Point & { _tag: "Specific" }, b: Point & { _tag: "Specific" }, expected: ReadonlyArray<ExpectedBlock> | undefined): Chunk => ({
      job,
      index,
      from: a,
      to: b,
      expected,
      receivedKeys: [],
      pending: [],
      assigned: undefined,
      tried: new Set(),
      done: false
    })
    if (path !== undefined && path.length > 0) {
      for (let i = 0; i < path.length; i += this.chunkBlocks) {
        const part = path.slice(i, i + this.chunkBlocks)
        const first = part[0]!
        const last = part[part.length - 1]!
        job.chunks.push(
          mk(job.chunks.length, { _tag: "Specific", slot: first.slot, hash: first.hash }, { _tag: "Specific", slot: last.slot, hash: last.hash }, part)
        )
      }
    } else {
      job.chunks.push(mk(0, from, to, undefined))
    }
    this.jobs.push(job)
    return undefined
  }

  /**
   * Hands waiting chunks to peers: each chunk to a hot peer that holds it (`holds(peer, key)` of the
   * chunk's last block; any peer when the chunk's blocks are unknown), that has not failed it, with
   * room in its pipeline; the least loaded first, then the fastest. Also fails ranges no hot peer
   * can serve any more.
   */
  schedule(peers: ReadonlyArray<FetchPeer>, holds: (peer: PeerId, key: string) => boolean): Array<FetchRequest> {
    const out: Array<FetchRequest> = []
    for (const job of [...this.jobs]) {
      for (const chunk of job.chunks) {
        if (chunk.done || chunk.assigned !== undefined) continue
        const lastKey = Cbor.toHex(chunk.to.hash)
        const able = peers.filter((p) => chunk.expected === undefined || holds(p.peer, lastKey))
        const fresh = able.filter((p) => !chunk.tried.has(p.peer))
        if (able.length > 0 && fresh.length === 0) {
          this.fail(job, `every peer that holds blocks ${Cbor.toHex(chunk.from.hash).slice(0, 8)}..${lastKey.slice(0, 8)} failed to deliver them`)
          break
        }
        const ready = fresh.filter((p) => this.inFlightTo(p.peer) < this.maxInFlightPerPeer)
        if (ready.length === 0) continue
        ready.sort((a, b) =>
          this.inFlightTo(a.peer) - this.inFlightTo(b.peer) ||
          (a.rtt ?? Number.POSITIVE_INFINITY) - (b.rtt ?? Number.POSITIVE_INFINITY) ||
          (a.peer < b.peer ? -1 : a.peer > b.peer ? 1 : 0)
        )
        const peer = ready[0]!.peer
        chunk.assigned = peer
        const got = chunk.receivedKeys.length
        let from: Point = chunk.from
        let skip = 0
        if (got > 0) {
          if (chunk.expected !== undefined) {
            const e = chunk.expected[got]!
            from = { _tag: "Specific", slot: e.slot, hash: e.hash }
          } else skip = got
        }
        let list = this.inFlight.get(peer)
        if (list === undefined) this.inFlight.set(peer, list = [])
        list.push({ chunk, skip, startIndex: chunk.expected === undefined ? 0 : got, seen: 0, last: undefined, started: false })
        out.push({ peer, from, to: chunk.to })
      }
    }
    return out
  }

  private fail(job: Job, reason: string): void {
    if (job.finished) return
    job.finished = true
    for (const c of job.chunks) c.done = true
    // requests in flight for this job stay in the peers' queues (answers are read and dropped)
    this.jobs.splice(this.jobs.indexOf(job), 1)
    this.outcomes.push({ _tag: "Failed", rangeId: job.id, from: job.from, to: job.to, reason })
  }

  private head(peer: PeerId): InFlight | undefined {
    return this.inFlight.get(peer)?.[0]
  }

  private finishHead(peer: PeerId): InFlight | undefined {
    const list = this.inFlight.get(peer)
    const r = list?.shift()
    if (list !== undefined && list.length === 0) this.inFlight.delete(peer)
    return r
  }

  /** MsgStartBatch. */
  onStartBatch(peer: PeerId): FetchStep {
    const r = this.head(peer)
    if (r === undefined) return { _tag: "Fault", detail: "a batch nobody asked for" }
    r.started = true
    return OK
  }

  /** MsgNoBlocks: the peer does not have the range. */
  onNoBlocks(peer: PeerId): FetchStep {
    const r = this.finishHead(peer)
    if (r === undefined) return { _tag: "Fault", detail: "an answer nobody asked for" }
    r.chunk.tried.add(peer)
    if (r.chunk.assigned === peer) r.chunk.assigned = undefined
    return OK
  }

  /** MsgBlock. */
  onBlock(peer: PeerId, block: FetchedBlock): FetchStep {
    const r = this.head(peer)
    if (r === undefined || !r.started) return { _tag: "Fault", detail: "a block outside a batch" }
    const chunk = r.chunk
    const key = Cbor.toHex(block.hash)
    const position = r.seen // position of this block in the answer
    r.seen++
    const prev = r.last
    r.last = block
    if (chunk.done && !chunk.job.finished) return OK // answered already by someone else
    if (chunk.job.finished) return OK
    if (chunk.expected !== undefined) {
      const index = r.startIndex + position
      const e = chunk.expected[index]
      if (e === undefined) return proofFault("PointMismatch", `more blocks than the range holds`)
      if (e.key !== key || e.slot !== block.slot) {
        // the expected blocks come from chain-sync headers: the block's header is not the one announced
        return proofFault("HeaderMismatch", `block ${index} of the range is ${block.slot}.${key}, chain-sync announced ${e.slot}.${e.key}`)
      }
    } else {
      if (position === 0) {
        if (Cbor.toHex(chunk.from.hash) !== key || chunk.from.slot !== block.slot) {
          return proofFault("PointMismatch", `the range starts at ${block.slot}.${key}, not at the point asked for`)
        }
      } else if (prev === undefined || block.prevHash === undefined || Cbor.toHex(block.prevHash) !== Cbor.toHex(prev.hash)) {
        return proofFault("PointMismatch", `block ${block.slot}.${key} does not link to the block before it`)
      }
      if (block.slot > chunk.to.slot) return proofFault("PointMismatch", `block ${block.slot}.${key} is past the end of the range`)
      if (position < r.skip) {
        if (chunk.receivedKeys[position] !== key) {
          return { _tag: "Fault", detail: `block ${position} of the range differs from the one received before` }
        }
        return OK
      }
    }
    if (chunk.assigned !== peer) return OK
    chunk.receivedKeys.push(key)
    chunk.pending.push({ peer, block })
    return OK
  }

  /** MsgBatchDone. */
  onBatchDone(peer: PeerId): FetchStep {
    const r = this.finishHead(peer)
    if (r === undefined) return { _tag: "Fault", detail: "a batch end nobody asked for" }
    const chunk = r.chunk
    if (chunk.job.finished || chunk.done) return OK
    if (chunk.assigned === peer) chunk.assigned = undefined
    if (received(chunk)) {
      chunk.done = true
      return OK
    }
    chunk.tried.add(peer)
    return { _tag: "Fault", detail: `the batch ended after ${r.seen} blocks, before the end of the range` }
  }

  /** A peer is gone or demoted: its chunks wait for another peer. */
  onPeerGone(peer: PeerId, failed: boolean): void {
    const list = this.inFlight.get(peer)
    this.inFlight.delete(peer)
    for (const r of list ?? []) {
      if (r.chunk.assigned === peer) r.chunk.assigned = undefined
      // every block of it came before the peer went (its batch's end did not): nothing to ask again
      if (!r.chunk.done && !r.chunk.job.finished && received(r.chunk)) r.chunk.done = true
      else if (failed) r.chunk.tried.add(peer)
    }
  }

  /** Blocks ready for the application, in order, each once; and ranges that finished. */
  drain(): { readonly blocks: Array<Delivery>; readonly outcomes: Array<RangeOutcome> } {
    const blocks: Array<Delivery> = []
    for (const job of [...this.jobs]) {
      while (job.next < job.chunks.length) {
        const chunk = job.chunks[job.next]!
        for (const p of chunk.pending.splice(0)) {
          blocks.push({ rangeId: job.id, peer: p.peer, block: p.block, index: job.released++ })
          job.bytes += p.block.bytes.length
        }
        if (!chunk.done) break
        job.next++
      }
      if (job.next === job.chunks.length) {
        job.finished = true
        this.jobs.splice(this.jobs.indexOf(job), 1)
        this.outcomes.push({ _tag: "Fetched", rangeId: job.id, from: job.from, to: job.to, blocks: job.released, bytes: job.bytes })
      }
    }
    return { blocks, outcomes: this.outcomes.splice(0) }
  }
}
