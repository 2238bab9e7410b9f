/**
 * The stand-in's local tx-monitor: a client acquires a snapshot of the mempool (with the tip's slot)
 * and reads it: the next transaction, whether it holds one, its sizes and measures. Acquiring again
 * while holding a snapshot waits for the mempool to change. A read with no snapshot closes the client.
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import * as FiberMap from "effect/FiberMap"
import * as Stream from "effect/Stream"
import * as Cbor from "../../cbor/Cbor.ts"
import type { PeerId } from "../../Primitives.ts"
import * as LocalTxMonitor from "../../protocol/LocalTxMonitor.ts"
import type { MempoolSnapshot } from "../LocalServer.ts"
import { type Connection, ignoreSent, nothing, requests, type ServerContext, type SubBehavior } from "./context.ts"

/** The local tx-monitor requests the stand-in reads. */
type Request = Extract<
  LocalTxMonitor.Message,
  { readonly _tag: "MsgAcquire" | "MsgRelease" | "MsgDone" | "MsgNextTx" | "MsgHasTx" | "MsgGetSizes" | "MsgGetMeasures" }
>

/** One client's hold on the mempool. */
interface Held {
  /** The snapshot acquired, with the tip's slot then. */
  readonly snapshot: MempoolSnapshot & { readonly slot: number }
  /** The index of the transaction the next MsgNextTx returns. */
  nextIndex: number
}

/** Local tx-monitor's server side. */
export type TxMonitorServer = SubBehavior<Request>

/** Makes local tx-monitor's server side. */
export const make = (ctx: ServerContext): TxMonitorServer => {
  const { chain, mempool } = ctx
  /** By client: the snapshot it holds (absent: none). */
  const held = new Map<PeerId, Held>()
  const monitorKey = (conn: Connection) => `${conn.peer}/monitor`

  const takeSnapshot = Effect.fnUntraced(function*(conn: Connection) {
    const snap = yield* mempool.snapshot
    const tip = yield* chain.tip
    const snapshot = { ...snap, slot: tip.point._tag === "Origin" ? 0 : tip.point.slot }
    held.set(conn.peer, { snapshot, nextIndex: 0 })
    ctx.send(conn, LocalTxMonitor.make.acquired(snapshot.slot))
  })

  /** Acquires a snapshot; while one is held, waits for the mempool to change first. */
  const acquire = Effect.fnUntraced(function*(conn: Connection) {
    const version = held.get(conn.peer)?.snapshot.version
    if (version === undefined) return yield* takeSnapshot(conn)
    if ((yield* mempool.snapshot).version !== version) return yield* takeSnapshot(conn)
    yield* FiberMap.run(
      ctx.fibers,
      monitorKey(conn),
      mempool.changes.pipe(
        Stream.filter((v) => v !== version),
        Stream.take(1),
        Stream.runDrain,
        Effect.andThen(ctx.locked(Effect.suspend(() =>
          ctx.connections.get(conn.peer) === conn && conn.closing === undefined ? takeSnapshot(conn) : Effect.void
        )))
      )
    )
  })

  /** Answers a read of the held snapshot; with none held, closes the client. */
  const read = (conn: Connection, m: Extract<Request, { readonly _tag: "MsgNextTx" | "MsgHasTx" | "MsgGetSizes" | "MsgGetMeasures" }>) => {
    const h = held.get(conn.peer)
    if (h === undefined) return ctx.close(conn, `local tx-monitor: ${m._tag} with no snapshot`)
    const snap = h.snapshot
    switch (m._tag) {
      case "MsgNextTx": {
        const entry = snap.txs[h.nextIndex]
        if (entry !== undefined) h.nextIndex++
        return ctx.send(conn, LocalTxMonitor.make.replyNextTx(entry?.tx))
      }
      case "MsgHasTx": {
        const hex = Cbor.toHex(m.txId)
        return ctx.send(conn, LocalTxMonitor.make.replyHasTx(snap.txs.some((t) => Cbor.toHex(t.txId) === hex)))
      }
      case "MsgGetSizes":
        return ctx.send(conn, LocalTxMonitor.make.replyGetSizes(snap.capacityInBytes, snap.sizeInBytes, snap.txs.length))
      case "MsgGetMeasures":
        return ctx.send(conn, LocalTxMonitor.make.replyGetMeasures(snap.txs.length, [
          { name: "transaction_bytes", size: snap.sizeInBytes, capacity: snap.capacityInBytes }
        ]))
    }
  }

  return {
    protocol: "local-tx-monitor",
    isRequest: requests<LocalTxMonitor.Message>()(
      "local-tx-monitor",
      ["MsgAcquire", "MsgRelease", "MsgDone", "MsgNextTx", "MsgHasTx", "MsgGetSizes", "MsgGetMeasures"]
    ),
    connected: nothing,
    disconnected: (conn) =>
      Effect.suspend(() => {
        held.delete(conn.peer)
        return FiberMap.remove(ctx.fibers, monitorKey(conn))
      }),
    onMessage: (conn, m) => {
      switch (m._tag) {
        case "MsgAcquire":
          return acquire(conn)
        case "MsgRelease":
        case "MsgDone":
          return Effect.sync(() => held.delete(conn.peer))
        default:
          return Effect.sync(() => read(conn, m))
      }
    },
    onSent: ignoreSent,
    view: () => undefined
  }
}
