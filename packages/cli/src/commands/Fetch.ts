/**
 * `network2 fetch HOST:PORT --from SLOT.HASH --to SLOT.HASH [--out FILE] [--timeout 60s]`: fetches a
 * block range from one peer, within a deadline; each block is checked to link to the one before it. The blocks go to `FILE` one after
 * another (each the CBOR `[blockTag, block]` as received, the layout of a node's chunk file), and one
 * line per block is printed.
 *
 * @since 0.1.0
 */
import type * as Duration from "effect/Duration"
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
 * What a fetch ended with. `TimedOut`: the deadline passed; `waitingFor` says on what.
 *
 * @category models
 * @since 0.1.0
 */
export type FetchReport =
  | { readonly _tag: "Fetched"; readonly blocks: number; readonly bytes: number }
  | { readonly _tag: "Failed"; readonly reason: string; readonly blocks: number; readonly bytes: number }
  | {
    readonly _tag: "TimedOut"
    readonly waitingFor: string
    readonly attempts: number
    readonly blocks: number
    readonly bytes: number
  }

/** What we wait for, from the initiator's view of the peer. */
const waitingFor = (state: Initiator.InitiatorPeerState | undefined, asked: boolean, blocks: number): string => {
  if (asked) return blocks === 0 ? "the first block" : `the next block (${blocks} received)`
  if (state === undefined) return "a connection"
  if (state.temperature === "banned") return `the ban to end (${state.banReason ?? "banned"})`
  switch (state.phase) {
    case "connecting":
      return "the TCP connection"
    case "handshaking":
      return "the peer's handshake reply"
    case "idle":
      return "the next attempt"
    default:
      return "the peer to become hot"
  }
}

/**
 * Fetches `from`..`to` from `peer` through the initiator manager in context, handing each block to
 * `onBlock` in order. A peer that refuses the handshake or is banned ends the fetch; `say` is told
 * each attempt (a dial, its failure and the retry, the handshake, the request). With `timeout`, the
 * fetch ends as `TimedOut` at the deadline, saying what it was waiting for.
 *
 * @category flows
 * @since 0.1.0
 */
export const run = Effect.fnUntraced(function*(options: {
  readonly peer: PeerId
  readonly from: Point
  readonly to: Point
  readonly onBlock: (block: Initiator.ReceivedBlock, peer: PeerId) => Effect.Effect<void>
  readonly say?: ((line: string) => Effect.Effect<void>) | undefined
  readonly timeout?: Duration.Input | undefined
}) {
  const manager = yield* Initiator.InitiatorManager
  const behavior = yield* Initiator.InitiatorBehavior
  const say = options.say ?? (() => Effect.void)
  const peer = options.peer
  let blocks = 0
  let bytes = 0
  let attempts = 1
  let report: FetchReport | undefined
  let asked = false
  yield* say(`attempt 1: connecting to ${peer}`)
  yield* manager.execute(Initiator.InitiatorCommand.IncludePeer(peer))
  const drain = manager.events.pipe(
    Stream.mapEffect((e) => {
      switch (e._tag) {
        case "ConnectFailed":
          attempts++
          return say(`attempt ${attempts - 1} failed: ${e.reason}; attempt ${attempts} in ${Math.round(e.retryIn)} ms`)
        case "PeerPromoted":
          if (e.to === "hot" && !asked) {
            asked = true
            return Effect.andThen(
              say(`${peer} is hot: asking for ${Point.toString(options.from)} .. ${Point.toString(options.to)}`),
              manager.execute(Initiator.InitiatorCommand.FetchRange(options.from, options.to))
            )
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
          if (e.result._tag === "Refused") {
            report = { _tag: "Failed", reason: `handshake refused: ${e.result.reason}`, blocks, bytes }
            return Effect.void
          }
          return e.result._tag === "Accepted" ? say(`attempt ${attempts}: handshake accepted, v${e.result.version}`) : Effect.void
        case "PeerBanned":
          report = { _tag: "Failed", reason: `${e.peer} banned: ${e.reason}`, blocks, bytes }
          return Effect.void
        default:
          return Effect.void
      }
    }),
    Stream.takeUntil(() => report !== undefined),
    Stream.runDrain
  )
  if (options.timeout === undefined) yield* drain
  else {
    const done = yield* Effect.timeoutOption(drain, options.timeout)
    if (done._tag === "None" && report === undefined) {
      const peers = yield* behavior.peers
      return {
        _tag: "TimedOut",
        waitingFor: waitingFor(peers.get(peer), asked, blocks),
        attempts,
        blocks,
        bytes
      } as FetchReport
    }
  }
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
