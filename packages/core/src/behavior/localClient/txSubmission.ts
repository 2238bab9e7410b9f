/**
 * The client's local tx-submission: `SubmitTx` sends one transaction, and the node's answer comes
 * back as `TxAccepted` or `TxRejected` (the reason's exact bytes).
 *
 * @internal
 */
import * as LocalTxSubmission from "../../protocol/LocalTxSubmission.ts"
import type { LocalClientCommand } from "../LocalClient.ts"
import type { ClientSpec } from "./context.ts"

/** The command of local tx-submission. */
type Command = Extract<LocalClientCommand, { readonly _tag: "SubmitTx" }>

/** Local tx-submission's client side as data (the composition makes it with `protocolClient`). */
export const spec: ClientSpec<LocalTxSubmission.Message, Command> = {
  name: "local-tx-submission",
  protocol: LocalTxSubmission.protocol,
  commands: { SubmitTx: (command) => LocalTxSubmission.make.submitTx(command.tx) },
  events: ["TxAccepted", "TxRejected"],
  onReply: (ctx, conn, m) => {
    if (m._tag === "MsgAcceptTx") return ctx.emit({ _tag: "TxAccepted", peer: conn.peer })
    if (m._tag === "MsgRejectTx") return ctx.emit({ _tag: "TxRejected", peer: conn.peer, reason: m.reason, era: m.era })
  }
}
