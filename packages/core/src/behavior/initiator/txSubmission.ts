/**
 * The initiator's tx-submission2 client side: the application's transactions wait in one bounded pool;
 * on each hot peer MsgInit starts the protocol, and the server's requests for ids and transactions
 * are answered from the pool within that peer's window (`TxRequested` for each transaction asked
 * for); a blocking request waits for the next `SubmitTx`. A request that breaks the window rules bans
 * the peer.
 *
 * @internal
 */
import type { PeerId } from "../../Primitives.ts"
import { EraTx } from "../../protocol/Common.ts"
import * as TxSubmission2 from "../../protocol/TxSubmission2.ts"
import type { InitiatorCommand } from "../Initiator.ts"
import { type Connection, ignore, type InitiatorContext, still, type SubBehavior } from "./context.ts"
import { TxClient, type TxReply, TxPool } from "./txClient.ts"

/** The server's requests the client side answers. */
type Answer = Extract<TxSubmission2.Message, { readonly _tag: "MsgRequestTxIds" | "MsgRequestTxs" }>

/** The command that offers a transaction to the peers. */
type Command = Extract<InitiatorCommand, { readonly _tag: "SubmitTx" }>

/** The tx-submission2 client side. */
export type TxSubmissionBehavior = SubBehavior<Answer, Command>

/** Makes the tx-submission2 client side. */
export const make = (ctx: InitiatorContext): TxSubmissionBehavior => {
  const s = ctx.settings
  const pool = new TxPool(s.poolCapacity)
  /** Each peer's window of announced ids, from its promotion (or the server's first request). */
  const clients = new Map<PeerId, TxClient>()

  const clientOf = (peer: PeerId): TxClient => {
    let client = clients.get(peer)
    if (client === undefined) clients.set(peer, client = new TxClient(pool, s.maxUnacked))
    return client
  }

  const answer = (conn: Connection, reply: TxReply) => {
    switch (reply._tag) {
      case "ReplyTxIds":
        return ctx.send(conn.peer, TxSubmission2.make.replyTxIds(reply.ids.map(([txId, size]) => ({ txId, size }))))
      case "ReplyTxs":
        for (const id of reply.requested) ctx.emit({ _tag: "TxRequested", peer: conn.peer, txId: id })
        return ctx.send(conn.peer, TxSubmission2.make.replyTxs(reply.txs))
      case "Wait":
        return
      case "Violation":
        return ctx.ban(conn.peer, `tx-submission2: ${reply.detail}`)
    }
  }

  return {
    ...still,
    protocol: "tx-submission2",
    isAnswer: (m): m is Answer => m.protocol === "tx-submission2" && (m._tag === "MsgRequestTxIds" || m._tag === "MsgRequestTxs"),
    promoted: (conn) => {
      if (clients.has(conn.peer)) return
      clientOf(conn.peer)
      ctx.send(conn.peer, TxSubmission2.make.init())
    },
    disconnected: (conn) => {
      clients.delete(conn.peer)
    },
    onMessage: (conn, m) => {
      const client = clientOf(conn.peer)
      answer(conn, m._tag === "MsgRequestTxIds" ? client.requestTxIds(m.blocking, m.ack, m.req) : client.requestTxs(m.txIds))
    },
    onSent: ignore,
    onCommand: (command) => {
      const id = command.txId ?? EraTx.txId(command.tx)
      if (pool.add(id, command.tx) === undefined) return
      for (const conn of ctx.connections.values()) {
        const reply = clients.get(conn.peer)?.submitted()
        if (reply !== undefined) answer(conn, reply)
      }
    },
    view: () => undefined
  }
}
