/**
 * What chain-sync (node-to-node, headers) and local chain-sync (node-to-client, whole blocks) share:
 * the table of their eight messages, where only MsgRollForward's content (and so its JSON) differs,
 * so each module passes that entry's fields in; and the state machine's moves.
 *
 * @internal
 */
import { Point, PointSchema, Tip, TipSchema } from "../Common.ts"
import type { ProtocolName } from "../../Message.ts"
import * as M from "./messages.ts"

const point = M.F.of(PointSchema, Point, Point.toJson)
const tip = M.F.of(TipSchema, Tip, Tip.toJson)

/** The message table of a chain-sync protocol; `content` is MsgRollForward's `[2, content, tip]` field. */
export const table = <const P extends ProtocolName, const K extends string, const F extends M.Field<any>>(
  protocol: P,
  content: readonly [K, F],
  rollForwardJson: (m: M.Values<readonly [readonly [K, F], readonly ["tip", typeof tip]]>) => Record<string, unknown>
) =>
  M.table(protocol, [
    M.msg(0, "MsgRequestNext", "requestNext", []),
    M.msg(1, "MsgAwaitReply", "awaitReply", []),
    M.msg(2, "MsgRollForward", "rollForward", [content, ["tip", tip]], { json: rollForwardJson }),
    M.msg(3, "MsgRollBackward", "rollBackward", [["point", point], ["tip", tip]]),
    M.msg(4, "MsgFindIntersect", "findIntersect", [["points", M.F.list(PointSchema, "points", Point, Point.toJson)]]),
    M.msg(5, "MsgIntersectFound", "intersectFound", [["point", point], ["tip", tip]]),
    M.msg(6, "MsgIntersectNotFound", "intersectNotFound", [["tip", tip]]),
    M.msg(7, "MsgDone", "done", [])
  ])

/** The chain-sync state machine's moves, shared by node-to-node chain-sync and local chain-sync. */
export const transitions = [
  { from: "Idle", message: "MsgRequestNext", to: "CanAwait" },
  { from: "Idle", message: "MsgFindIntersect", to: "Intersect" },
  { from: "Idle", message: "MsgDone", to: "Done" },
  { from: "CanAwait", message: "MsgAwaitReply", to: "MustReply" },
  { from: "CanAwait", message: "MsgRollForward", to: "Idle" },
  { from: "CanAwait", message: "MsgRollBackward", to: "Idle" },
  { from: "MustReply", message: "MsgRollForward", to: "Idle" },
  { from: "MustReply", message: "MsgRollBackward", to: "Idle" },
  { from: "Intersect", message: "MsgIntersectFound", to: "Idle" },
  { from: "Intersect", message: "MsgIntersectNotFound", to: "Idle" }
] as const
