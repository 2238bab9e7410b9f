/**
 * `network2 follow HOST:PORT... [--magic N] [--from origin|tip|SLOT.HASH] [--limit N] [--keep-trying]`:
 * follows the chain from one or more peers and prints each roll forward and roll backward as it comes,
 * with the best tip; says when no peer is left (every one banned) and ends then unless `--keep-trying`.
 *
 * @since 0.1.0
 */
import * as Clock from "effect/Clock"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
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
export const initiatorConfig = (options: {
  readonly magic: number
  readonly peers: number
  /** How long a peer that broke the protocol stays banned (the initiator's default: 30 minutes). */
  readonly banDuration?: Duration.Input | undefined
}): Initiator.InitiatorConfig => ({
  networkMagic: options.magic,
  targets: { known: Math.max(1, options.peers), established: Math.max(1, options.peers), active: Math.max(1, options.peers) },
  churnInterval: undefined,
  ...(options.banDuration !== undefined ? { banDuration: options.banDuration } : {})
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
 * What `follow` says about its peers besides the chain: every peer it knows is banned (and when the
 * first ban ends), or a ban has ended and the peer is dialled again.
 *
 * @category models
 * @since 0.1.0
 */
export type FollowNotice =
  | {
    readonly _tag: "NoPeerLeft"
    readonly banned: ReadonlyArray<{ readonly peer: PeerId; readonly reason: string; readonly until: number }>
    readonly keepTrying: boolean
  }
  | { readonly _tag: "Retrying"; readonly peer: PeerId }

/**
 * A notice as a readable line.
 *
 * @category encoding
 * @since 0.1.0
 */
export const noticeText = (n: FollowNotice, now: number): string => {
  switch (n._tag) {
    case "NoPeerLeft": {
      const next = Math.min(...n.banned.map((b) => b.until))
      const each = n.banned.map((b) => `${b.peer} (${b.reason})`).join(", ")
      return n.keepTrying
        ? `no peer left: every peer is banned: ${each}; --keep-trying: retrying when the first ban ends, in ${Math.max(0, Math.round((next - now) / 1000))} s`
        : `no peer left: every peer is banned: ${each}`
    }
    case "Retrying":
      return `${n.peer} ban over: retrying`
  }
}

/**
 * A notice as a JSON line value.
 *
 * @category encoding
 * @since 0.1.0
 */
export const noticeJson = (n: FollowNotice): Record<string, unknown> => {
  switch (n._tag) {
    case "NoPeerLeft":
      return {
        event: "noPeerLeft",
        keepTrying: n.keepTrying,
        banned: n.banned.map((b) => ({ peer: b.peer, reason: b.reason, until: new Date(b.until).toISOString() }))
      }
    case "Retrying":
      return { event: "retrying", peer: n.peer }
  }
}

/**
 * How a follow ended: the roll-forward limit was reached (or the event stream ended), or every peer
 * was banned and `keepTrying` was off.
 *
 * @category models
 * @since 0.1.0
 */
export type FollowEnd =
  | { readonly _tag: "Done"; readonly forwards: number }
  | { readonly _tag: "NoPeerLeft"; readonly forwards: number; readonly reasons: ReadonlyArray<string> }

/**
 * Follows from `peers` through the initiator manager in context, calling `print` for each event
 * worth printing; stops after `limit` roll forwards when given. When every peer it knows (those given
 * and those discovered) is banned it calls `notice` and, unless `keepTrying`, ends with `NoPeerLeft`;
 * with `keepTrying` it says when each ban ends and the peer is dialled again.
 *
 * @category flows
 * @since 0.1.0
 */
export const run = Effect.fnUntraced(function*(options: {
  readonly peers: ReadonlyArray<PeerId>
  readonly start: Initiator.SyncStart
  readonly limit?: number | undefined
  readonly keepTrying?: boolean | undefined
  readonly print: (e: Initiator.InitiatorEvent) => Effect.Effect<void>
  readonly notice?: ((n: FollowNotice) => Effect.Effect<void>) | undefined
}) {
  const manager = yield* Initiator.InitiatorManager
  for (const p of options.peers) yield* manager.execute(Initiator.InitiatorCommand.IncludePeer(p))
  yield* manager.execute(Initiator.InitiatorCommand.StartSync(options.start))
  const notice = options.notice ?? (() => Effect.void)
  const keepTrying = options.keepTrying ?? false
  const known = new Set<PeerId>(options.peers)
  const banned = new Map<PeerId, { readonly reason: string; readonly until: number }>()
  let forwards = 0
  let allBanned = false
  let gaveUp = false
  const limit = options.limit
  const onEvent = (e: Initiator.InitiatorEvent): Effect.Effect<void, never, Scope.Scope> => {
    switch (e._tag) {
      case "PeerDiscovered":
        known.add(e.peer)
        return Effect.void
      case "HeaderReceived":
        forwards++
        banned.delete(e.peer)
        allBanned = false
        return Effect.void
      case "HandshakeResult":
      case "PeerPromoted":
        banned.delete(e.peer)
        allBanned = false
        return Effect.void
      case "PeerBanned": {
        banned.set(e.peer, { reason: e.reason, until: e.until })
        if (allBanned || [...known].some((p) => !banned.has(p))) return Effect.void
        allBanned = true
        gaveUp = !keepTrying
        const list = [...banned].map(([peer, b]) => ({ peer, ...b }))
        const say = notice({ _tag: "NoPeerLeft", banned: list, keepTrying })
        if (!keepTrying) return say
        // say when each ban ends (the initiator dials the peer again then)
        return Effect.andThen(
          say,
          Effect.forEach(list, (b) =>
            Effect.forkScoped(
              Clock.currentTimeMillis.pipe(
                Effect.flatMap((now) => Effect.sleep(Math.max(0, b.until - now))),
                Effect.andThen(Effect.suspend(() => {
                  if (banned.get(b.peer)?.until !== b.until) return Effect.void
                  // the ban is over: the peer is dialled again, and a new ban is news again
                  banned.delete(b.peer)
                  allBanned = false
                  return notice({ _tag: "Retrying", peer: b.peer })
                }))
              )
            ), { discard: true })
        )
      }
      default:
        return Effect.void
    }
  }
  yield* manager.events.pipe(
    Stream.tap((e) => Effect.andThen(options.print(e), onEvent(e))),
    Stream.takeUntil(() => gaveUp || (limit !== undefined && forwards >= limit)),
    Stream.runDrain
  )
  return gaveUp
    ? ({ _tag: "NoPeerLeft", forwards, reasons: [...banned].map(([p, b]) => `${p}: ${b.reason}`) } as FollowEnd)
    : ({ _tag: "Done", forwards } as FollowEnd)
})
