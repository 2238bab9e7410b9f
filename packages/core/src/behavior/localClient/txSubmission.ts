/**
 * The client's local tx-submission: `SubmitTx` sends one transaction, and the node's answer comes
 * back as `TxAccepted` or `TxRejected` (the reason's exact bytes).
 *
 * @internal
 */
import * as LocalTxSubmission from "../../protocol/LocalTxSubmission.ts"
import type { LocalClientCommand } from "../LocalClient.ts"
import {
  type ClientContext,
  type ClientSpec,
  type CommandTable,
  messageOf,
  protocolClient,
  type ProtocolClient
} from "./context.ts"

/** The command of local tx-submission. */
type Command = Extract<LocalClientCommand, { readonly _tag: "SubmitTx" }>

/** The message each command sends. */
const commands: CommandTable<Command, LocalTxSubmission.Message> = { SubmitTx: (command) => LocalTxSubmission.make.submitTx(command.tx) }

/** Local tx-submission's client side as data. */
export const spec: ClientSpec<LocalTxSubmission.Message, Command> = {
  name: "local-tx-submission",
  protocol: LocalTxSubmission.protocol,
  commands,
  toMessage: (command) => messageOf(commands, command._tag, command),
  events: ["TxAccepted", "TxRejected"],
  onReply: (ctx, conn, m) => {
    if (m._tag === "MsgAcceptTx") return ctx.emit({ _tag: "TxAccepted", peer: conn.peer })
    if (m._tag === "MsgRejectTx") return ctx.emit({ _tag: "TxRejected", peer: conn.peer, reason: m.reason, era: m.era })
  }
}

/** Makes local tx-submission's client side. */
export const make = (ctx: ClientContext): ProtocolClient<LocalTxSubmission.Message, Command> => protocolClient(ctx, spec)
