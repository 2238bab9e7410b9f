/**
 * `network2 follow HOST:PORT... [--magic N] [--from origin|tip|SLOT.HASH]`: follows the chain from one
 * or more peers and prints each roll forward and roll backward as it comes, with the best tip.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import { Initiator, type PeerId } from "@pallas-network2/core"
import { Point } from "@pallas-network2/core/protocol/Common"

/**
 * Parses `--from`: `origin`, `tip` or `SLOT.HASH`.
 *
 * @category parsing
 * @since 0.1.0
 */
export const parseStart = (text: string): Initiator.SyncStart | undefined => {
  if (text === "origin") return Initiator.SyncStart.origin
  if (text === "tip") return Initiator.SyncStart.tip
  const p = Point.parse(text)
  return p === undefined ? undefined : Initiator.SyncStart.points([p])
}

/**
 * The initiator configuration for following: every peer given is hot.
 *
 * @category constructors
 * @since 0.1.0
 */
export const initiatorConfig = (options: { readonly magic: number; readonly peers: number }): Initiator.InitiatorConfig => ({
  networkMagic: options.magic,
  targets: { known: Math.max(1, options.peers), established: Math.max(1, options.peers), active: Math.max(1, options.peers) },
  churnInterval: undefined
})

/**
 * One event as a JSON line value (`undefined` for events `follow` does not print).
 *
 * @category encoding
 * @since 0.1.0
 */
export const eventJson = (e: Initiator.InitiatorEvent): Record<string, unknown> | undefined => {
  switch (e._tag) {
    case "HeaderReceived":
      return {
        event: "rollForward",
        peer: e.peer,
        blockNo: e.blockNo,
        point: Point.toJson(e.point),
        era: e.header.era,
        tip: { blockNo: e.tip.blockNo, point: Point.toJson(e.tip.point) }
      }
    case "RolledBack":
      return { event: "rollBackward", peer: e.peer, point: Point.toJson(e.point), tip: { blockNo: e.tip.blockNo, point: Point.toJson(e.tip.point) } }
    case "TipChanged":
      return { event: "bestTip", peer: e.peer, blockNo: e.blockNo, point: Point.toJson(e.point) }
    case "IntersectionFound":
      return { event: "intersection", peer: e.peer, point: Point.toJson(e.point), tip: e.tip.blockNo }
    case "IntersectionNotFound":
      return { event: "noIntersection", peer: e.peer, tip: e.tip.blockNo }
    case "HandshakeResult":
      return { event: "handshake", peer: e.peer, result: e.result._tag, version: e.result._tag === "Accepted" ? e.result.version : null }
    case "PeerBanned":
    case "ConnectFailed":
      return { event: e._tag, peer: e.peer, reason: e.reason }
    case "PeerDemoted":
      return { event: e._tag, peer: e.peer, from: e.from, to: e.to, reason: e.reason }
    default:
      return undefined
  }
}

/**
 * One event as a readable line (`undefined` for events `follow` does not print).
 *
 * @category encoding
 * @since 0.1.0
 */
export const eventText = (e: Initiator.InitiatorEvent): string | undefined => {
  switch (e._tag) {
    case "HeaderReceived":
      return `${e.peer}  forward  ${String(e.blockNo).padStart(9)}  ${Point.toString(e.point)}  (tip ${e.tip.blockNo})`
    case "RolledBack":
      return `${e.peer}  backward ${Point.toString(e.point)}  (tip ${e.tip.blockNo})`
    case "TipChanged":
    case "IntersectionFound":
    case "IntersectionNotFound":
    case "HandshakeResult":
    case "PeerBanned":
    case "ConnectFailed":
    case "PeerDemoted":
      return Initiator.describeEvent(e)
    default:
      return undefined
  }
}

/**
 * Follows from `peers` through the initiator manager in context, calling `print` for each event
 * worth printing; stops after `limit` roll forwards when given.
 *
 * @category flows
 * @since 0.1.0
 */
export const run = Effect.fnUntraced(function*(options: {
  readonly peers: ReadonlyArray<PeerId>
  readonly start: Initiator.SyncStart
  readonly limit?: number | undefined
  readonly print: (e: Initiator.InitiatorEvent) => Effect.Effect<void>
}) {
  const manager = yield* Initiator.InitiatorManager
  for (const p of options.peers) yield* manager.execute(Initiator.InitiatorCommand.IncludePeer(p))
  yield* manager.execute(Initiator.InitiatorCommand.StartSync(options.start))
  let forwards = 0
  const limit = options.limit
  yield* manager.events.pipe(
    Stream.tap((e) => options.print(e)),
    Stream.takeUntil((e) => e._tag === "HeaderReceived" && limit !== undefined && ++forwards >= limit),
    Stream.runDrain
  )
})

