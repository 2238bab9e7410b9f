/**
 * Metrics, traces and logs of the stack, through Effect's own modules: every figure is an
 * `effect/Metric` in the current `Metric.MetricRegistry`, every connection runs in a span
 * (`network2.connection`, with `network2.handshake`, `network2.chainsync.intersect`,
 * `network2.blockfetch.range` and `network2.localstatequery.query` below it), and the connection's
 * logs carry the peer as the `peer` annotation. Exporters come from `effect/observability`:
 * {@link layerOtlp} (OTLP over HTTP, JSON) and {@link prometheusText} (the Prometheus text format;
 * `@pallas-network2/node/PrometheusServer` serves it over HTTP). docs/OBSERVABILITY.md lists every
 * metric with its labels.
 *
 * On the hot path a metric update is one counter add on a series built when the connection opens
 * (never a label set per message); the gauges of bytes waiting are read when scraped.
 *
 * @since 0.1.0
 */
import * as Config from "effect/Config"
import * as Context from "effect/Context"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as FetchHttpClient from "effect/http/FetchHttpClient"
import * as Layer from "effect/Layer"
import * as Metric from "effect/Metric"
import * as Option from "effect/Option"
import { Otlp, type OtlpExporter, OtlpSerialization, PrometheusMetrics } from "effect/observability"

const readEnv = (name: string): string | undefined =>
  (globalThis as { readonly process?: { readonly env?: Record<string, string | undefined> } }).process?.env?.[name]

/**
 * Whether connections update the stack's metrics (default true; `NETWORK2_METRICS=off` in the
 * environment turns it off). Read once when a connection opens.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Observability } from "@pallas-network2/core"
 * const quiet = <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.provideService(self, Observability.MetricsEnabled, false)
 * ```
 *
 * @category references
 * @since 0.1.0
 */
export const MetricsEnabled: Context.Reference<boolean> = Context.Reference<boolean>(
  "@pallas-network2/core/Observability/MetricsEnabled",
  { defaultValue: () => readEnv("NETWORK2_METRICS") !== "off" }
)

/**
 * The peer a connection's fiber serves (set by the connection pool; `undefined` elsewhere). The
 * per-peer series are labelled with it.
 *
 * @category references
 * @since 0.1.0
 */
export const CurrentPeer: Context.Reference<string | undefined> = Context.Reference<string | undefined>(
  "@pallas-network2/core/Observability/CurrentPeer",
  { defaultValue: () => undefined }
)

// ---- metric definitions (the unlabelled families; series carry the labels in docs/OBSERVABILITY.md)

const secondsBuckets = Metric.exponentialBoundaries({ start: 0.0005, factor: 2, count: 16 })

/**
 * Open connections (gauge), label `direction` (`inbound`, `outbound`).
 *
 * @category metrics
 * @since 0.1.0
 */
export const connectionsOpen = Metric.gauge("network2_connections_open", { description: "connections open now" })
/**
 * Connections opened (counter), label `direction`.
 *
 * @category metrics
 * @since 0.1.0
 */
export const connectionsOpened = Metric.counter("network2_connections_opened_total", {
  description: "connections opened (bearer up)",
  incremental: true
})
/**
 * Connections closed (counter), label `reason`: `clean` (the peer closed), `local` (we closed it),
 * `transport`, `violation`, `mux`, `decode`, `other`.
 *
 * @category metrics
 * @since 0.1.0
 */
export const connectionsClosed = Metric.counter("network2_connections_closed_total", {
  description: "connections closed, by reason",
  incremental: true
})
/**
 * Dials that never gave a connection (counter).
 *
 * @category metrics
 * @since 0.1.0
 */
export const connectFailures = Metric.counter("network2_connect_failures_total", {
  description: "dials that failed before a connection was up",
  incremental: true
})
/**
 * Handshakes finished (counter), labels `outcome` (`accepted`, `refused`, `query`) and `version`
 * (the accepted version; empty otherwise).
 *
 * @category metrics
 * @since 0.1.0
 */
export const handshakes = Metric.counter("network2_handshakes_total", {
  description: "handshakes finished, by outcome and version",
  incremental: true
})
/**
 * Bytes on the wire (counter), labels `protocol` (the mini-protocol) and `direction` (`in`,
 * `out`): each segment's payload plus its 8-byte header.
 *
 * @category metrics
 * @since 0.1.0
 */
export const bytes = Metric.counter("network2_bytes_total", {
  description: "segment bytes (header and payload) per mini-protocol and direction",
  incremental: true
})
/**
 * Whole messages (counter), labels `protocol` and `direction`.
 *
 * @category metrics
 * @since 0.1.0
 */
export const messages = Metric.counter("network2_messages_total", {
  description: "messages per mini-protocol and direction",
  incremental: true
})
/**
 * Protocol violations that closed a connection (counter), labels `protocol` (`mux` for a segment
 * fault) and `kind` (the violation's kind, or the mux error's reason).
 *
 * @category metrics
 * @since 0.1.0
 */
export const protocolViolations = Metric.counter("network2_protocol_violations_total", {
  description: "protocol violations that closed a connection, by protocol and kind",
  incremental: true
})
/**
 * Peers banned by the initiator (counter).
 *
 * @category metrics
 * @since 0.1.0
 */
export const bans = Metric.counter("network2_bans_total", { description: "peers banned", incremental: true })
/**
 * The initiator's peers (gauge), label `temperature` (`cold`, `warm`, `hot`, `banned`).
 *
 * @category metrics
 * @since 0.1.0
 */
export const peers = Metric.gauge("network2_peers", { description: "the initiator's peers by temperature" })
/**
 * Keep-alive round trips in seconds (histogram).
 *
 * @category metrics
 * @since 0.1.0
 */
export const keepAliveRtt = Metric.histogram("network2_keepalive_rtt_seconds", {
  description: "keep-alive round-trip time",
  boundaries: secondsBuckets
})
/**
 * Chain-sync headers received (counter; `MsgRollForward`).
 *
 * @category metrics
 * @since 0.1.0
 */
export const chainSyncHeaders = Metric.counter("network2_chainsync_headers_total", {
  description: "chain-sync roll forwards received",
  incremental: true
})
/**
 * Chain-sync roll backwards received (counter).
 *
 * @category metrics
 * @since 0.1.0
 */
export const chainSyncRollbacks = Metric.counter("network2_chainsync_rollbacks_total", {
  description: "chain-sync roll backwards received",
  incremental: true
})
/**
 * The initiator's best tip: block number (gauge).
 *
 * @category metrics
 * @since 0.1.0
 */
export const tipBlockNumber = Metric.gauge("network2_tip_block_number", { description: "best tip block number" })
/**
 * The initiator's best tip: slot (gauge).
 *
 * @category metrics
 * @since 0.1.0
 */
export const tipSlot = Metric.gauge("network2_tip_slot", { description: "best tip slot" })
/**
 * Blocks received by block-fetch (counter).
 *
 * @category metrics
 * @since 0.1.0
 */
export const blockFetchBlocks = Metric.counter("network2_blockfetch_blocks_total", {
  description: "blocks received by block-fetch",
  incremental: true
})
/**
 * Block bytes received by block-fetch (counter; the blocks' CBOR).
 *
 * @category metrics
 * @since 0.1.0
 */
export const blockFetchBytes = Metric.counter("network2_blockfetch_bytes_total", {
  description: "block bytes received by block-fetch",
  incremental: true
})
/**
 * Seconds from a `MsgRequestRange` written to its `MsgBatchDone` or `MsgNoBlocks` (histogram).
 *
 * @category metrics
 * @since 0.1.0
 */
export const blockFetchRangeSeconds = Metric.histogram("network2_blockfetch_range_seconds", {
  description: "block-fetch latency per range (request written to batch done)",
  boundaries: secondsBuckets
})
/**
 * Local state queries answered (counter), label `outcome` (`result`, `failure`).
 *
 * @category metrics
 * @since 0.1.0
 */
export const stateQueries = Metric.counter("network2_localstatequery_queries_total", {
  description: "local-state-query queries answered",
  incremental: true
})
/**
 * Bytes received but not yet handed on, over all connections (gauge; read when scraped).
 *
 * @category metrics
 * @since 0.1.0
 */
export const ingressBytesWaiting = Metric.gauge("network2_ingress_bytes_waiting", {
  description: "bytes received and not yet delivered, over all connections"
})
/**
 * Bytes queued for writing, over all connections (gauge; read when scraped).
 *
 * @category metrics
 * @since 0.1.0
 */
export const egressBacklogBytes = Metric.gauge("network2_egress_backlog_bytes", {
  description: "bytes waiting to be written, over all connections"
})
/**
 * Bytes on the wire per peer (counter), labels `peer` and `direction`.
 *
 * @category metrics
 * @since 0.1.0
 */
export const peerBytes = Metric.counter("network2_peer_bytes_total", {
  description: "segment bytes per peer and direction",
  incremental: true
})
/**
 * Blocks received per peer (counter), label `peer`.
 *
 * @category metrics
 * @since 0.1.0
 */
export const peerBlocks = Metric.counter("network2_peer_blocks_total", {
  description: "blocks received per peer",
  incremental: true
})
/**
 * The last round trip measured to a peer in seconds (gauge), label `peer`: the handshake's, then
 * each keep-alive's.
 *
 * @category metrics
 * @since 0.1.0
 */
export const peerRtt = Metric.gauge("network2_peer_rtt_seconds", { description: "last round trip to the peer" })

// ---- reading

/**
 * One peer's figures, read from the per-peer series.
 *
 * @category models
 * @since 0.1.0
 */
export interface PeerFigures {
  readonly peer: string
  readonly blocks: number
  readonly bytesIn: number
  readonly bytesOut: number
  /** Seconds; `undefined` before the first round trip. */
  readonly rtt: number | undefined
}

/**
 * The per-peer figures in the current registry, in peer order.
 *
 * @category reading
 * @since 0.1.0
 */
export const peerFigures: Effect.Effect<ReadonlyArray<PeerFigures>> = Effect.map(Metric.snapshot, (all) => {
  const by = new Map<string, { blocks: number; bytesIn: number; bytesOut: number; rtt: number | undefined }>()
  const of = (peer: string) => {
    let f = by.get(peer)
    if (f === undefined) by.set(peer, f = { blocks: 0, bytesIn: 0, bytesOut: 0, rtt: undefined })
    return f
  }
  for (const s of all) {
    const peer = s.attributes?.["peer"]
    if (peer === undefined) continue
    const state = s.state as { readonly count?: number; readonly value?: number }
    if (s.id === peerBlocks.id) of(peer).blocks += state.count ?? 0
    else if (s.id === peerBytes.id) {
      if (s.attributes?.["direction"] === "in") of(peer).bytesIn += state.count ?? 0
      else of(peer).bytesOut += state.count ?? 0
    } else if (s.id === peerRtt.id) of(peer).rtt = state.value
  }
  return [...by].map(([peer, f]) => ({ peer, ...f })).sort((a, b) => a.peer.localeCompare(b.peer, "en", { numeric: true }))
})

/**
 * Every metric of the current registry in the Prometheus text format (version 0.0.4).
 *
 * @category exporters
 * @since 0.1.0
 */
export const prometheusText: Effect.Effect<string> = PrometheusMetrics.format()

// ---- OTLP

/**
 * Options of {@link layerOtlp}.
 *
 * @category models
 * @since 0.1.0
 */
export interface OtlpOptions {
  /** The collector's base URL; signals go to `/v1/traces`, `/v1/metrics` and `/v1/logs` below it. */
  readonly baseUrl: string
  /** `service.name` (default `OTEL_SERVICE_NAME`, else `network2`). */
  readonly serviceName?: string | undefined
  /** How often each signal is sent (default: effect's, 5 s for traces and logs, 10 s for metrics). */
  readonly exportInterval?: Duration.Input | undefined
}

/**
 * Traces, metrics and logs sent to an OTLP collector over HTTP as JSON (effect/observability's
 * exporters over `fetch`). What is buffered is sent when the layer's scope closes.
 *
 * @example
 * ```ts
 * import { Effect, Layer } from "effect"
 * import { Observability } from "@pallas-network2/core"
 * declare const program: Effect.Effect<void>
 * const traced = program.pipe(Effect.provide(Observability.layerOtlp({ baseUrl: "http://127.0.0.1:4318" })))
 * ```
 *
 * @category layers
 * @since 0.1.0
 */
export const layerOtlp = (options: OtlpOptions): Layer.Layer<OtlpExporter.Flusher> =>
  Otlp.layerJson({
    baseUrl: options.baseUrl,
    resource: { serviceName: options.serviceName ?? readEnv("OTEL_SERVICE_NAME") ?? "network2" },
    ...(options.exportInterval === undefined ? {} : {
      tracerExportInterval: options.exportInterval,
      metricsExportInterval: options.exportInterval,
      loggerExportInterval: options.exportInterval
    })
  }).pipe(Layer.provide(FetchHttpClient.layer))

/**
 * OTLP over HTTP (JSON) configured by the standard variables: `OTEL_EXPORTER_OTLP_ENDPOINT` alone
 * sends all three signals there (as the OpenTelemetry SDKs' default `otlp` exporters do), named by
 * `OTEL_SERVICE_NAME`; with any of `OTEL_TRACES_EXPORTER`, `OTEL_METRICS_EXPORTER`,
 * `OTEL_LOGS_EXPORTER` set, effect/observability's reading of every variable applies (per-signal
 * endpoints, headers, intervals). `OTEL_SDK_DISABLED=true` or no endpoint: nothing is sent.
 *
 * @category layers
 * @since 0.1.0
 */
export const layerOtlpFromEnv: Layer.Layer<OtlpExporter.Flusher> = Layer.unwrap(
  Effect.gen(function*() {
    const endpoint = yield* Config.option(Config.String("OTEL_EXPORTER_OTLP_ENDPOINT"))
    const disabled = yield* Config.Boolean("OTEL_SDK_DISABLED").pipe(Config.withDefault(false))
    const chosen = yield* Config.all([
      Config.option(Config.String("OTEL_TRACES_EXPORTER")),
      Config.option(Config.String("OTEL_METRICS_EXPORTER")),
      Config.option(Config.String("OTEL_LOGS_EXPORTER"))
    ])
    if (!disabled && Option.isSome(endpoint) && chosen.every(Option.isNone)) return layerOtlp({ baseUrl: endpoint.value })
    return Otlp.layerFromConfig().pipe(Layer.provide(Layer.merge(OtlpSerialization.layerJson, FetchHttpClient.layer)))
  }).pipe(Effect.orDie)
)
