/**
 * The initiator's block-fetch client side: the ranges the application asks for are planned over the
 * hot peers whose candidate chains hold them (see the {@link FetchPlanner}), asked again elsewhere
 * when a peer fails, and delivered as `BlockReceived` once each and in order, then `RangeFetched` or
 * `RangeFailed`. A block that is not proven or not the one asked for bans the peer that sent it.
 *
 * @internal
 */
import type { PeerId } from "../../Primitives.ts"
import * as BlockFetch from "../../protocol/BlockFetch.ts"
import type { InitiatorCommand } from "../Initiator.ts"
import { endedInFailure, ignore, type InitiatorContext, still, type SubBehavior } from "./context.ts"
import { pointKey } from "./chainView.ts"
import { FetchPlanner, type FetchStep, receiveBlock } from "./fetchPlanner.ts"

/** The block-fetch answers the client side reads. */
type Answer = Extract<BlockFetch.Message, { readonly _tag: "MsgStartBatch" | "MsgNoBlocks" | "MsgBlock" | "MsgBatchDone" }>

/** The command that asks for a range of blocks. */
type Command = Extract<InitiatorCommand, { readonly _tag: "FetchRange" }>

/** The block-fetch client side; `view` is the number of requests in flight to the peer. */
export interface BlockFetchBehavior extends SubBehavior<Answer, Command, number> {
  /** Hands waiting chunks to the hot peers that hold them (nothing when no range waits). */
  readonly schedule: () => void
}

/** Makes the block-fetch client side. */
export const make = (ctx: InitiatorContext): BlockFetchBehavior => {
  const s = ctx.settings
  const planner = new FetchPlanner({ chunkBlocks: s.chunkBlocks, maxInFlightPerPeer: s.maxInFlightPerPeer })
  let rangeCounter = 0

  /** Whether the peer's candidate chain holds the block (or starts at it). */
  const holds = (peer: PeerId, key: string): boolean => {
    const f = ctx.chain.fragment(peer)
    return f !== undefined && (f.has(key) || pointKey(f.anchor) === key)
  }

  /** Emits the blocks ready for the application, in order, and the ranges that ended. */
  const drain = () => {
    const { blocks, outcomes } = planner.drain()
    for (const d of blocks) {
      ctx.peers.useful(d.peer)
      ctx.emit({
        _tag: "BlockReceived",
        peer: d.peer,
        rangeId: d.rangeId,
        index: d.index,
        block: {
          point: { _tag: "Specific", slot: d.block.slot, hash: d.block.hash },
          blockNo: d.block.blockNo,
          prevHash: d.block.prevHash,
          bytes: d.block.bytes
        }
      })
    }
    for (const o of outcomes) {
      ctx.emit(o._tag === "Fetched"
        ? { _tag: "RangeFetched", rangeId: o.rangeId, from: o.from, to: o.to, blocks: o.blocks, bytes: o.bytes }
        : { _tag: "RangeFailed", rangeId: o.rangeId, from: o.from, to: o.to, reason: o.reason })
    }
  }

  const schedule = () => {
    if (planner.active === 0) return
    const hot = ctx.peers.at("hot")
      .filter((r) => ctx.connections.get(r.peer)?.closing === undefined)
      .map((r) => ({ peer: r.peer, rtt: r.rtt }))
    for (const req of planner.schedule(hot, holds)) ctx.send(req.peer, BlockFetch.make.requestRange(req.from, req.to))
    drain()
  }

  /** What the planner makes of an answer. */
  const step = (peer: PeerId, m: Answer): FetchStep => {
    switch (m._tag) {
      case "MsgStartBatch":
        return planner.onStartBatch(peer)
      case "MsgNoBlocks":
        return planner.onNoBlocks(peer)
      case "MsgBatchDone":
        return planner.onBatchDone(peer)
      case "MsgBlock": {
        // proven (readable, body matching its header) before the planner checks its point
        const block = receiveBlock(m.block.bytes)
        return "_tag" in block ? block : planner.onBlock(peer, block)
      }
    }
  }

  return {
    ...still,
    protocol: "block-fetch",
    isAnswer: (m): m is Answer =>
      m.protocol === "block-fetch" &&
      (m._tag === "MsgStartBatch" || m._tag === "MsgNoBlocks" || m._tag === "MsgBlock" || m._tag === "MsgBatchDone"),
    governed: schedule,
    disconnected: (conn) => planner.onPeerGone(conn.peer, endedInFailure(conn)),
    onMessage: (conn, m) => {
      const result = step(conn.peer, m)
      if (result._tag === "Fault") {
        planner.onPeerGone(conn.peer, true)
        ctx.ban(conn.peer, `block-fetch: ${result.detail}`)
      }
      if (m._tag === "MsgBlock") drain()
      else schedule()
    },
    onSent: ignore,
    onCommand: (command) => {
      const id = command.id ?? ++rangeCounter
      const failed = planner.add(id, command.from, command.to, ctx.chain.path(command.from, command.to))
      if (failed === undefined) return schedule()
      ctx.emit({
        _tag: "RangeFailed",
        rangeId: id,
        from: failed.from,
        to: failed.to,
        reason: failed._tag === "Failed" ? failed.reason : ""
      })
    },
    view: (peer) => planner.inFlightTo(peer),
    schedule
  }
}
