/**
 * What chain-sync (node-to-node, headers) and local chain-sync (node-to-client, whole blocks) share:
 * the table of their eight messages, where only MsgRollForward's content (and so its JSON) differs,
 * so each module passes that entry's field in; the state machine's moves; and the states' names
 * (each module gives their limits).
 *
 * @internal
 */
import { Point, PointSchema, Tip, TipSchema } from "../Common.ts"
import type { Channel } from "../../Primitives.ts"
import type { Agency, StateSpec } from "../Protocol.ts"
import * as M from "./messages.ts"

const point = M.F.of(PointSchema, Point, Point.toJson)
const tip = M.F.of(TipSchema, Tip, Tip.toJson)

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

/** The states of a chain-sync protocol. */
export type State = "Idle" | "CanAwait" | "MustReply" | "Intersect" | "Done"

/** Which side of the node each chain-sync protocol serves (the `mode` of MsgRollForward's JSON). */
const modes = { "chain-sync": "node-to-node", "local-chain-sync": "node-to-client" } as const

/**
 * A chain-sync protocol: its name, channel and limits, its states' agency, byte limits and timeouts,
 * and MsgRollForward's `[2, content, tip]` field with that content's JSON (after `mode` and `tip`).
 */
export const protocol = <const P extends keyof typeof modes, const K extends string, const F extends M.Field<any>>(spec: {
  readonly name: P
  readonly channel: Channel
  readonly ingressLimit: number
  readonly maxInFlight: number
  readonly states: Readonly<Record<State, StateSpec | Agency>>
  readonly content: readonly [K, F]
  readonly contentJson: (content: F["schema"]["Type"]) => Record<string, unknown>
}) => {
  const { content: [key, field], contentJson, ...machine } = spec
  const mode = modes[spec.name]
  return M.protocol({
    ...machine,
    messages: [
      M.msg(0, "MsgRequestNext", "requestNext", []),
      M.msg(1, "MsgAwaitReply", "awaitReply", []),
      M.msg(2, "MsgRollForward", "rollForward", [[key, field], ["tip", tip]], {
        json: (m) => ({ mode, tip: Tip.toJson(m.tip), ...contentJson(m[key]) })
      }),
      M.msg(3, "MsgRollBackward", "rollBackward", [["point", point], ["tip", tip]]),
      M.msg(4, "MsgFindIntersect", "findIntersect", [["points", M.F.list(PointSchema, "points", Point, Point.toJson)]]),
      M.msg(5, "MsgIntersectFound", "intersectFound", [["point", point], ["tip", tip]]),
      M.msg(6, "MsgIntersectNotFound", "intersectNotFound", [["tip", tip]]),
      M.msg(7, "MsgDone", "done", [])
    ],
    initialState: "Idle",
    transitions
  })
}
