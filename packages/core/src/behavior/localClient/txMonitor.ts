/**
 * The client's local tx-monitor: `MonitorAcquire`, `MonitorRelease`, `NextTx`, `HasTx`, `GetSizes`
 * and `GetMeasures` each send one message, and the node's answers come back as `MempoolAcquired`,
 * `NextTx`, `HasTx`, `MempoolSizes` and `MempoolMeasures`.
 *
 * @internal
 */
import * as LocalTxMonitor from "../../protocol/LocalTxMonitor.ts"
import type { LocalClientCommand } from "../LocalClient.ts"
import type { ClientSpec } from "./context.ts"

/** The commands of local tx-monitor. */
type Command = Extract<
  LocalClientCommand,
  { readonly _tag: "MonitorAcquire" | "MonitorRelease" | "NextTx" | "HasTx" | "GetSizes" | "GetMeasures" }
>

/** Local tx-monitor's client side as data (the composition makes it with `protocolClient`). */
export const spec: ClientSpec<LocalTxMonitor.Message, Command> = {
  name: "local-tx-monitor",
  protocol: LocalTxMonitor.protocol,
  commands: {
    MonitorAcquire: () => LocalTxMonitor.make.acquire(),
    MonitorRelease: () => LocalTxMonitor.make.release(),
    NextTx: () => LocalTxMonitor.make.nextTx(),
    HasTx: (command) => LocalTxMonitor.make.hasTx(command.txId),
    GetSizes: () => LocalTxMonitor.make.getSizes(),
    GetMeasures: () => LocalTxMonitor.make.getMeasures()
  },
  events: ["MempoolAcquired", "NextTx", "HasTx", "MempoolSizes", "MempoolMeasures"],
  onReply: (ctx, conn, m) => {
    const peer = conn.peer
    switch (m._tag) {
      case "MsgAcquired":
        return ctx.emit({ _tag: "MempoolAcquired", peer, slot: m.slot })
      case "MsgReplyNextTx":
        return ctx.emit({ _tag: "NextTx", peer, tx: m.tx })
      case "MsgReplyHasTx":
        return ctx.emit({ _tag: "HasTx", peer, value: m.value })
      case "MsgReplyGetSizes":
        return ctx.emit({
          _tag: "MempoolSizes",
          peer,
          capacityInBytes: m.capacityInBytes,
          sizeInBytes: m.sizeInBytes,
          numberOfTxs: m.numberOfTxs
        })
      case "MsgReplyGetMeasures":
        return ctx.emit({ _tag: "MempoolMeasures", peer, txCount: m.txCount, measures: m.measures })
      default:
        return
    }
  }
}
