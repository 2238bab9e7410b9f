/**
 * The independent client's node-to-client side (`@harmoniclabs/ouroboros-miniprotocols-ts` 0.0.4)
 * on a Unix socket, driven from Effect: handshake, chain-sync in node-to-client mode, state query,
 * tx monitor and tx submission. Every answer is also kept as the segment payloads the multiplexer
 * received per mini-protocol, read with the project's own CBOR decoder.
 */
import { Cbor as HCbor } from "@harmoniclabs/cbor"
import {
  ChainSyncClient,
  ChainSyncIntersectFound,
  ChainSyncRollForward,
  HandshakeAcceptVersion,
  HandshakeClient,
  HandshakeQueryReply,
  HandshakeRefuse,
  LocalStateQueryClient,
  LocalTxSubmitClient,
  MiniProtocol,
  type Multiplexer,
  TxMonitorClient,
  TxMonitorReplyGetSizes
} from "@harmoniclabs/ouroboros-miniprotocols-ts"
import { Cbor } from "@pallas-network2/core"
import type { Point } from "@pallas-network2/core/protocol/Common"
import * as Effect from "effect/Effect"
import * as net from "node:net"
import { multiplexer } from "./harmonicClient.ts"

/** A node-to-client multiplexer on the Unix socket, closed with the scope; payloads kept per protocol. */
export const connect = (socketPath: string) =>
  multiplexer("node-to-client", () => net.connect({ path: socketPath }), (mplexer, socket) => {
    let closed = false
    socket.on("close", () => {
      closed = true
    })
    const payloads = new Map<number, Array<Uint8Array>>()
    for (const p of [MiniProtocol.Handshake, MiniProtocol.LocalChainSync, MiniProtocol.LocalStateQuery, MiniProtocol.LocalTxMonitor, MiniProtocol.LocalTxSubmission]) {
      payloads.set(p, [])
      mplexer.on(p, (payload: Uint8Array) => {
        payloads.get(p)!.push(Uint8Array.from(payload))
      })
    }
    return { payloads, isClosed: () => closed }
  })

/**
 * Its own handshake client: it proposes node-to-client v16 to v19 with the version data
 * `[magic, true]` whatever `query` it is given (its VersionData's clone turns `query: false` into
 * true), so the node answers with its version table and closes. Returns what came back.
 */
export const handshakeOwn = (mplexer: Multiplexer, magic: number) =>
  Effect.promise(() => {
    const client = new HandshakeClient(mplexer)
    return client.propose({ networkMagic: magic, query: false } as never).then((reply) => {
      client.terminate()
      if (reply instanceof HandshakeAcceptVersion) return { _tag: "Accept", version: Number(reply.versionNumber) } as const
      if (reply instanceof HandshakeRefuse) return { _tag: "Refuse" } as const
      if (reply instanceof HandshakeQueryReply) return { _tag: "QueryReply", versions: Object.keys(reply.versionTable).map(Number) } as const
      return { _tag: "Other" } as const
    })
  })

/**
 * Writes `bytes` on a mini-protocol through its multiplexer and returns the next payload received on
 * that protocol (read with our decoder), within 10 s.
 */
export const exchange = (
  conn: { readonly mplexer: Multiplexer; readonly payloads: Map<number, Array<Uint8Array>> },
  protocol: number,
  bytes: Uint8Array
) =>
  Effect.gen(function*() {
    const seen = conn.payloads.get(protocol)!.length
    conn.mplexer.send(bytes, { hasAgency: true, protocol } as never)
    while (conn.payloads.get(protocol)!.length === seen) yield* Effect.sleep("5 millis")
    return conn.payloads.get(protocol)![seen]!
  }).pipe(Effect.timeout("10 seconds"))

/**
 * The handshake its client means to send (v16 to v19, `[magic, false]`), written through its
 * multiplexer: the verdict `[1, version, data]` / `[2, reason]` read with our decoder.
 */
export const handshake = (conn: { readonly mplexer: Multiplexer; readonly payloads: Map<number, Array<Uint8Array>> }, magic: number) => {
  const table = new Map<Cbor.Value, Cbor.Value>([16, 17, 18, 19].map((v) => [v | 0x8000, [magic, false]]))
  return Effect.map(exchange(conn, MiniProtocol.Handshake, Cbor.encode([0, table])), (p) => Cbor.decode(p))
}

const toChainPoint = (p: Point) => (p._tag === "Origin" ? {} : { blockHeader: { slotNumber: p.slot, hash: p.hash } })

/** Its chain-sync client (node-to-client mode: whole blocks): each roll forward's block bytes. */
export const chainSync = (mplexer: Multiplexer) => {
  const client = new ChainSyncClient(mplexer)
  return {
    findIntersect: (points: ReadonlyArray<Point>) =>
      Effect.promise(() => client.findIntersect(points.map(toChainPoint) as never)).pipe(
        Effect.map((reply) => reply instanceof ChainSyncIntersectFound)
      ),
    /** The block's `[tag, block]` bytes of a roll forward (out of its tag 24), or `undefined` for a roll-back. */
    requestNext: Effect.promise(() => client.requestNext()).pipe(
      Effect.map((reply) => {
        if (!(reply instanceof ChainSyncRollForward)) return undefined
        const f = Cbor.decode(reply.cborBytes!) as ReadonlyArray<Cbor.Value>
        const wrapped = f[1]
        return wrapped instanceof Cbor.Tag && wrapped.tag === 24 ? (wrapped.value as Uint8Array) : undefined
      })
    ),
    done: Effect.sync(() => client.done())
  }
}

/** Its state-query client: acquire a point (or the tip), a query given as our bytes, the result's bytes. */
export const stateQuery = (mplexer: Multiplexer) => {
  const client = new LocalStateQueryClient(mplexer)
  return {
    acquire: (point: Point) => Effect.promise(() => client.acquire(toChainPoint(point) as never)),
    query: (query: Uint8Array) =>
      Effect.promise(() => client.query(HCbor.parse(Cbor.toHex(query)), 10_000)).pipe(
        Effect.map((r) => Uint8Array.from(HCbor.encode(r.result).toBuffer()))
      ),
    currentEra: Effect.promise(() => client.requestCurrentEra(10_000)),
    release: Effect.sync(() => client.release()),
    done: Effect.sync(() => client.done())
  }
}

/**
 * Its tx-monitor client. Its `acquire()` and `getSizes()` both encode `[3]` (MsgRelease in the CDDL;
 * MsgAcquire is `[1]`, MsgGetSizes `[9]`); `nextTx` (`[5]`) and `hasTx` (`[7, id]`) are as the CDDL
 * says, but its reply decoders expect a bare tx (not the era-wrapped one) and its `hasTx` promise does
 * not settle: their answers are read from the payloads.
 */
export const txMonitor = (mplexer: Multiplexer) => {
  const client = new TxMonitorClient(mplexer)
  return {
    acquire: Effect.tryPromise(() => client.acquire()).pipe(Effect.timeout("3 seconds"), Effect.exit),
    nextTx: Effect.tryPromise(() => client.nextTx()).pipe(Effect.timeout("3 seconds"), Effect.exit),
    hasTx: (id: Uint8Array) => Effect.tryPromise(() => client.hasTx(id)).pipe(Effect.timeout("3 seconds"), Effect.exit)
  }
}

/** Its decoder of MsgReplyGetSizes. */
export const readSizes = (payload: Uint8Array) => TxMonitorReplyGetSizes.fromCbor(Cbor.toHex(payload))

/** Its tx-submission client (it sends `[0, bytes]`: the transaction without the era wrapping). */
export const txSubmit = (mplexer: Multiplexer) => {
  const client = new LocalTxSubmitClient(mplexer)
  return { submit: (tx: Uint8Array) => Effect.tryPromise(() => client.submit(tx)).pipe(Effect.timeout("3 seconds"), Effect.exit) }
}
