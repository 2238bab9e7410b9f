/**
 * The client's local chain-sync: `FindIntersect` and `RequestNext` each send one message, and the
 * node's answers come back as `IntersectFound`, `IntersectNotFound`, `RollForward` (a whole block,
 * read with {@link readBlock}), `RollBackward` and `AwaitReply`. A block that cannot be read closes
 * the connection.
 *
 * @internal
 */
import * as Block from "../../chain/Block.ts"
import { blockTagOf } from "../../protocol/Common.ts"
import * as LocalChainSync from "../../protocol/LocalChainSync.ts"
import type { LocalBlock, LocalClientCommand } from "../LocalClient.ts"
import type { ClientSpec } from "./context.ts"

/** The commands of local chain-sync. */
type Command = Extract<LocalClientCommand, { readonly _tag: "FindIntersect" | "RequestNext" }>

/** Reads a block delivered by local chain-sync; throws `Block.BlockError` on bytes that are not a block. */
export const readBlock = (bytes: Uint8Array): LocalBlock => {
  const b = Block.parse(bytes)
  return { era: b.header.era, tag: blockTagOf(bytes), slot: b.slot, hash: b.hash, blockNo: b.blockNo, prevHash: b.prevHash, bytes }
}

/** Local chain-sync's client side as data (the composition makes it with `protocolClient`). */
export const spec: ClientSpec<LocalChainSync.Message, Command> = {
  name: "local-chain-sync",
  protocol: LocalChainSync.protocol,
  commands: {
    FindIntersect: (command) => LocalChainSync.make.findIntersect(command.points),
    RequestNext: () => LocalChainSync.make.requestNext()
  },
  events: ["IntersectFound", "IntersectNotFound", "RollForward", "RollBackward", "AwaitReply"],
  onReply: (ctx, conn, m) => {
    const peer = conn.peer
    switch (m._tag) {
      case "MsgRollForward": {
        let block: LocalBlock
        try {
          block = readBlock(m.block.bytes)
        } catch (e) {
          return ctx.close(conn, `local chain-sync: the node sent a block that cannot be read: ${e instanceof Error ? e.message : String(e)}`)
        }
        return ctx.emit({ _tag: "RollForward", peer, block, tip: m.tip })
      }
      case "MsgRollBackward":
        return ctx.emit({ _tag: "RollBackward", peer, point: m.point, tip: m.tip })
      case "MsgAwaitReply":
        return ctx.emit({ _tag: "AwaitReply", peer })
      case "MsgIntersectFound":
        return ctx.emit({ _tag: "IntersectFound", peer, point: m.point, tip: m.tip })
      case "MsgIntersectNotFound":
        return ctx.emit({ _tag: "IntersectNotFound", peer, tip: m.tip })
      default:
        return
    }
  }
}
