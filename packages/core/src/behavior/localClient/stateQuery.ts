/**
 * The client's local state query: `Acquire`, `ReAcquire`, `Query` and `Release` each send one
 * message, and the node's answers come back as `Acquired`, `AcquireFailed` and `QueryResult` (the
 * result's exact bytes).
 *
 * @internal
 */
import * as LocalStateQuery from "../../protocol/LocalStateQuery.ts"
import type { LocalClientCommand } from "../LocalClient.ts"
import type { ClientSpec } from "./context.ts"

/** The commands of local state query. */
type Command = Extract<LocalClientCommand, { readonly _tag: "Acquire" | "ReAcquire" | "Query" | "Release" }>

/** Local state query's client side as data (the composition makes it with `protocolClient`). */
export const spec: ClientSpec<LocalStateQuery.Message, Command> = {
  name: "local-state-query",
  protocol: LocalStateQuery.protocol,
  commands: {
    Acquire: (command) => LocalStateQuery.make.acquire(command.target),
    ReAcquire: (command) => LocalStateQuery.make.reAcquire(command.target),
    Query: (command) => LocalStateQuery.make.query(command.query),
    Release: () => LocalStateQuery.make.release()
  },
  events: ["Acquired", "AcquireFailed", "QueryResult"],
  onReply: (ctx, conn, m) => {
    const peer = conn.peer
    switch (m._tag) {
      case "MsgAcquired":
        return ctx.emit({ _tag: "Acquired", peer })
      case "MsgFailure":
        return ctx.emit({ _tag: "AcquireFailed", peer, failure: m.failure === 0 ? "PointTooOld" : "PointNotOnChain" })
      case "MsgResult":
        return ctx.emit({ _tag: "QueryResult", peer, result: m.result })
      default:
        return
    }
  }
}
