/**
 * An independent client for the serve tests: `@harmoniclabs/ouroboros-miniprotocols-ts` (0.0.4), a
 * third-party TypeScript implementation of the Ouroboros mini-protocols, driven from Effect. Its
 * answers are read back with the project's own CBOR decoder so the bytes can be compared exactly.
 */
import * as Effect from "effect/Effect"
import * as net from "node:net"
import {
  BlockFetchBlock,
  BlockFetchClient,
  ChainSyncClient,
  ChainSyncIntersectFound,
  ChainSyncRollBackwards,
  ChainSyncRollForward,
  HandshakeAcceptVersion,
  HandshakeClient,
  HandshakeRefuse,
  Multiplexer
} from "@harmoniclabs/ouroboros-miniprotocols-ts"
import { Cbor } from "@pallas-network2/core"
import { type Point, WrappedBlock, WrappedHeader } from "@pallas-network2/core/protocol/Common"

/** The message of every `error` the multiplexer or a client emits, in order. */
export const errorsOf = (emitter: { on(event: "error", listener: (e: Error) => void): unknown }): Array<string> => {
  const errors: Array<string> = []
  emitter.on("error", (e) => {
    errors.push(e.message)
  })
  return errors
}

/**
 * A multiplexer on the socket `open` gives, its errors kept, with what `keep` adds (called at once,
 * before any byte can arrive); closed with the scope.
 */
export const multiplexer = <A extends object = {}>(
  protocolType: "node-to-node" | "node-to-client",
  open: () => net.Socket,
  keep: (mplexer: Multiplexer, socket: net.Socket) => A = () => ({}) as A
) =>
  Effect.acquireRelease(
    Effect.sync(() => {
      const socket = open()
      const mplexer = new Multiplexer({ protocolType, connect: () => socket as never })
      return { ...keep(mplexer, socket), mplexer, errors: errorsOf(mplexer) }
    }),
    ({ mplexer }) => Effect.sync(() => mplexer.close())
  )

/** A multiplexer on a TCP connection to 127.0.0.1:port, closed with the scope. */
export const connect = (port: number) => multiplexer("node-to-node", () => net.connect({ host: "127.0.0.1", port }))

/**
 * Proposes the client's own table (node-to-node v7 to v14, all with this version data; query off, so
 * the server accepts instead of replying with its table) and returns what came back.
 */
export const handshake = (mplexer: Multiplexer, magic: number) =>
  Effect.promise(() => {
    const client = new HandshakeClient(mplexer)
    return client.propose({ networkMagic: magic, initiatorOnlyDiffusionMode: false, peerSharing: false, query: false }).then((reply) => {
      client.terminate()
      if (reply instanceof HandshakeAcceptVersion) {
        return { _tag: "Accept", version: Number(reply.versionNumber) } as const
      }
      if (reply instanceof HandshakeRefuse) return { _tag: "Refuse", reply } as const
      return { _tag: "Other", reply } as const
    })
  })

const toChainPoint = (p: Point) =>
  p._tag === "Origin" ? {} : { blockHeader: { slotNumber: p.slot, hash: p.hash } }

/** The message's own bytes, decoded by the project's decoder. */
const fields = (bytes: Uint8Array | undefined): ReadonlyArray<Cbor.Value> => {
  if (bytes === undefined) throw new Error("the client kept no bytes of the message")
  return Cbor.decode(bytes) as ReadonlyArray<Cbor.Value>
}

/** What one chain-sync answer was. */
export type SyncStep =
  | { readonly _tag: "RollForward"; readonly header: WrappedHeader; readonly tipBlockNo: number }
  | { readonly _tag: "RollBackward"; readonly slot: number | undefined }

/** A chain-sync client on the multiplexer. */
export const chainSync = (mplexer: Multiplexer) => {
  const client = new ChainSyncClient(mplexer)
  return {
    errors: errorsOf(client),
    findIntersect: (points: ReadonlyArray<Point>) =>
      Effect.promise(() => client.findIntersect(points.map(toChainPoint) as never)).pipe(
        Effect.map((reply) => reply instanceof ChainSyncIntersectFound)
      ),
    requestNext: Effect.promise(() => client.requestNext()).pipe(
      Effect.map((reply): SyncStep => {
        if (reply instanceof ChainSyncRollForward) {
          const f = fields(reply.cborBytes)
          return { _tag: "RollForward", header: WrappedHeader.fromCbor(f[1]!), tipBlockNo: Number(reply.tip.blockNo) }
        }
        const back = reply as ChainSyncRollBackwards
        const slot = back.point.blockHeader?.slotNumber
        return { _tag: "RollBackward", slot: slot === undefined ? undefined : Number(slot) }
      })
    ),
    done: Effect.sync(() => client.done())
  }
}

/** A block-fetch client on the multiplexer: a range as the block bytes received, or `undefined` for NoBlocks. */
export const blockFetch = (mplexer: Multiplexer) => {
  const client = new BlockFetchClient(mplexer)
  return {
    errors: errorsOf(client),
    requestRange: (from: Point, to: Point) =>
      Effect.promise(() => client.requestRange(toChainPoint(from) as never, toChainPoint(to) as never)).pipe(
        Effect.map((reply) =>
          Array.isArray(reply)
            ? reply.map((b: BlockFetchBlock) => WrappedBlock.fromCbor(fields(b.cborBytes)[1]!).bytes)
            : undefined
        )
      ),
    done: Effect.sync(() => client.done())
  }
}
