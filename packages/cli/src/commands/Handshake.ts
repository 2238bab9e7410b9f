/**
 * `network2 handshake HOST:PORT [--magic N] [--query]`: proposes node-to-node versions to one peer and
 * prints the negotiated version and data, or the reason it refused; with `--query`, the peer's whole
 * version table.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import { Initiator, type PeerId } from "@pallas-network2/core"
import { versionDataJson as dataJson } from "@pallas-network2/core/protocol/Handshake"

/**
 * The result of a handshake run.
 *
 * @category models
 * @since 0.1.0
 */
export type HandshakeReport =
  | { readonly _tag: "Result"; readonly result: Initiator.HandshakeOutcome }
  | { readonly _tag: "Failed"; readonly reason: string }

/**
 * The initiator configuration for a single handshake (one peer, never hot, no retries to speak of).
 *
 * @category constructors
 * @since 0.1.0
 */
export const initiatorConfig = (options: { readonly magic: number; readonly query: boolean }): Initiator.InitiatorConfig => ({
  networkMagic: options.magic,
  query: options.query,
  targets: { known: 1, established: 1, active: 0 },
  churnInterval: undefined,
  backoff: { base: "10 seconds", max: "10 seconds" }
})

/**
 * Runs the handshake with `peer` through the initiator manager in context: the first handshake
 * result, or the first connection failure.
 *
 * @category flows
 * @since 0.1.0
 */
export const run = Effect.fnUntraced(function*(peer: PeerId) {
  const manager = yield* Initiator.InitiatorManager
  yield* manager.execute(Initiator.InitiatorCommand.IncludePeer(peer))
  const first = yield* manager.events.pipe(
    Stream.filter((e) => e._tag === "HandshakeResult" || e._tag === "ConnectFailed" || e._tag === "PeerBanned"),
    Stream.take(1),
    Stream.runHead
  )
  if (first._tag === "None") return { _tag: "Failed", reason: "no answer" } as HandshakeReport
  const e = first.value
  if (e._tag === "HandshakeResult") return { _tag: "Result", result: e.result } as HandshakeReport
  return { _tag: "Failed", reason: e._tag === "ConnectFailed" || e._tag === "PeerBanned" ? e.reason : "no answer" } as HandshakeReport
})

const versionDataJson = (d: Initiator.VersionData | undefined) => (d === undefined ? null : dataJson(d))

/**
 * A report as a JSON value.
 *
 * @category encoding
 * @since 0.1.0
 */
export const toJson = (peer: PeerId, report: HandshakeReport): Record<string, unknown> => {
  if (report._tag === "Failed") return { peer, ok: false, error: report.reason }
  const r = report.result
  switch (r._tag) {
    case "Accepted":
      return { peer, ok: true, accepted: { version: r.version, data: versionDataJson(r.data) } }
    case "Refused":
      return { peer, ok: false, refused: r.reason }
    case "Queried":
      return {
        peer,
        ok: true,
        versions: [...r.versions].map(([version, data]) => ({ version, data: versionDataJson(data) }))
      }
  }
}

/**
 * A report as readable lines.
 *
 * @category encoding
 * @since 0.1.0
 */
export const toText = (peer: PeerId, report: HandshakeReport): string => {
  if (report._tag === "Failed") return `${peer}: ${report.reason}`
  const r = report.result
  const data = (d: Initiator.VersionData | undefined) =>
    d === undefined
      ? ""
      : `magic ${d.networkMagic}, ${d.initiatorOnlyDiffusionMode ? "initiator-only" : "duplex"}, peer-sharing ${
        (d.peerSharing ?? 0) > 0 ? "on" : "off"
      }, query ${d.query}${d.perasSupport === undefined ? "" : `, peras ${d.perasSupport}`}`
  switch (r._tag) {
    case "Accepted":
      return `${peer}: accepted node-to-node v${r.version} (${data(r.data)})`
    case "Refused":
      return `${peer}: refused: ${r.reason}`
    case "Queried":
      return [`${peer}: supports ${r.versions.size} versions`, ...[...r.versions].map(([v, d]) => `  v${v}: ${data(d)}`)].join("\n")
  }
}


/**
 * Why a report answers a question we did not ask, if it does: a version table (MsgQueryReply) when we
 * proposed without `query`.
 *
 * @category utils
 * @since 0.1.0
 */
export const unasked = (report: HandshakeReport, query: boolean): string | undefined =>
  report._tag === "Result" && report.result._tag === "Queried" && !query
    ? `the peer replied with its version table (MsgQueryReply), which we did not ask for (no --query)`
    : undefined
