/**
 * `network2 fetch HOST:PORT --from SLOT.HASH --to SLOT.HASH [--out FILE]`: fetches a block range from
 * one peer; each block is checked to link to the one before it. The blocks go to `FILE` one after
 * another (each the CBOR `[blockTag, block]` as received, the layout of a node's chunk file), and one
 * line per block is printed.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import { Initiator, type PeerId } from "@pallas-network2/core"
import { Point } from "@pallas-network2/core/protocol/Common"

/**
 * The initiator configuration for one fetch: the peer is hot at once.
 *
 * @category constructors
 * @since 0.1.0
 */
export const initiatorConfig = (options: { readonly magic: number }): Initiator.InitiatorConfig => ({
  networkMagic: options.magic,
  targets: { known: 1, established: 1, active: 1 },
  churnInterval: undefined,
  backoff: { base: "1 second", max: "5 seconds" }
})

/**
 * What a fetch ended with.
 *
 * @category models
 * @since 0.1.0
 */
export type FetchReport =
  | { readonly _tag: "Fetched"; readonly blocks: number; readonly bytes: number }
  | { readonly _tag: "Failed"; readonly reason: string; readonly blocks: number; readonly bytes: number }

/**
 * Fetches `from`..`to` from `peer` through the initiator manager in context, handing each block to
 * `onBlock` in order. A peer that refuses the handshake or is banned ends the fetch.
 *
 * @category flows
 * @since 0.1.0
 */
export const run = Effect.fnUntraced(function*(options: {
  readonly peer: PeerId
  readonly from: Point
  readonly to: Point
  readonly onBlock: (block: Initiator.ReceivedBlock, peer: PeerId) => Effect.Effect<void>
}) {
  const manager = yield* Initiator.InitiatorManager
  yield* manager.execute(Initiator.InitiatorCommand.IncludePeer(options.peer))
  let blocks = 0
  let bytes = 0
  let report: FetchReport | undefined
  let asked = false
  yield* manager.events.pipe(
    Stream.mapEffect((e) => {
      switch (e._tag) {
        case "PeerPromoted":
          if (e.to === "hot" && !asked) {
            asked = true
            return manager.execute(Initiator.InitiatorCommand.FetchRange(options.from, options.to))
          }
          return Effect.void
        case "BlockReceived":
          blocks++
          bytes += e.block.bytes.length
          return options.onBlock(e.block, e.peer)
        case "RangeFetched":
          report = { _tag: "Fetched", blocks, bytes }
          return Effect.void
        case "RangeFailed":
          report = { _tag: "Failed", reason: e.reason, blocks, bytes }
          return Effect.void
        case "HandshakeResult":
          if (e.result._tag === "Refused") report = { _tag: "Failed", reason: `handshake refused: ${e.result.reason}`, blocks, bytes }
          return Effect.void
        case "PeerBanned":
          report = { _tag: "Failed", reason: e.reason, blocks, bytes }
          return Effect.void
        default:
          return Effect.void
      }
    }),
    Stream.takeUntil(() => report !== undefined),
    Stream.runDrain
  )
  return report ?? ({ _tag: "Failed", reason: "the event stream ended", blocks, bytes } as FetchReport)
})

/**
 * Parses a `SLOT.HASH` point argument.
 *
 * @category parsing
 * @since 0.1.0
 */
export const parsePoint = (text: string): Point | undefined => {
  const p = Point.parse(text)
  return p === undefined || p._tag === "Origin" ? undefined : p
}
