/**
 * Observability over real sockets on 127.0.0.1:
 * - `network2 follow --metrics 127.0.0.1:0` (a child process) syncs a generated chain from a responder
 *   in this process; its /metrics endpoint, parsed by the registry's Prometheus text parser, shows the
 *   counters moving, and its bytes per mini-protocol equal what the responder counted the other way.
 * - The initiator and a responder in this process export through `Observability.layerOtlp` to an OTLP
 *   receiver on node:http: the spans arrive with their parents, the metrics, and the logs carry the peer.
 */
import { assert, describe, it } from "@effect/vitest"
import { type Block, ChainSource, GeneratedChain, Observability, PeerId } from "@pallas-network2/core"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Metric from "effect/Metric"
import * as References from "effect/References"
import * as http from "node:http"
import type * as net from "node:net"
import parsePrometheus, { type Family } from "parse-prometheus-text-format"
import * as DemoCommand from "../src/commands/DemoCommand.ts"
import { spawn, waitForOutput } from "./support/process.ts"

const MAGIC = 42

/** A responder on a free loopback port serving `blocks`, its metrics in `registry`. */
const responder = (blocks: ReadonlyArray<Block.ChainBlock>, registry: Metric.MetricRegistry) =>
  Effect.flatMap(ChainSource.makeMemory(blocks, "generated"), (chain) => Effect.map(DemoCommand.startResponder(chain, MAGIC), (r) => r.port)).pipe(
    Effect.provideService(Metric.MetricRegistry, registry)
  )

const value = (families: ReadonlyArray<Family>, name: string, labels: Record<string, string> = {}): number => {
  const family = families.find((f) => f.name === name)
  if (family === undefined) return 0
  let sum = 0
  for (const m of family.metrics) {
    if (Object.entries(labels).every(([k, v]) => m.labels?.[k] === v)) sum += Number(m.value ?? m.count ?? 0)
  }
  return sum
}

/** `network2_bytes_total` of a registry, as `protocol/direction` -> bytes. */
const bytesOf = (registry: Metric.MetricRegistry) =>
  Effect.map(Metric.snapshot.pipe(Effect.provideService(Metric.MetricRegistry, registry)), (all) => {
    const out: Record<string, number> = {}
    for (const s of all) {
      if (s.id !== "network2_bytes_total") continue
      const key = `${s.attributes?.["protocol"]}/${s.attributes?.["direction"]}`
      out[key] = (out[key] ?? 0) + Number((s.state as { readonly count: number }).count)
    }
    return out
  })

const scrape = (url: string) => Effect.promise(() => fetch(url).then((r) => r.text()))

describe("metrics over real sockets", () => {
  it.live("follow --metrics: the scrape parses, the counters move, bytes per mini-protocol match the responder's", () =>
    Effect.gen(function*() {
      const blocks = GeneratedChain.generate({ blocks: 3000, seed: 3, maxBodySize: 200 })
      const registry: Metric.MetricRegistry = new Map()
      const port = yield* responder(blocks, registry)
      const proc = yield* spawn(["follow", `127.0.0.1:${port}`, "--magic", String(MAGIC), "--from", "origin", "--metrics", "127.0.0.1:0"])
      yield* waitForOutput(proc, /metrics: http:\/\/\S+\/metrics/)
      const url = /metrics: (http:\/\/\S+\/metrics)/.exec(proc.log())![1]!
      // scrape while it syncs, until every header arrived
      const seen: Array<number> = []
      let families: Array<Family> = []
      for (let i = 0; i < 400; i++) {
        families = parsePrometheus(yield* scrape(url))
        seen.push(value(families, "network2_chainsync_headers_total"))
        // the tip gauge follows the behavior's TipChanged event, a step after the header counter
        if (seen[seen.length - 1] === blocks.length && value(families, "network2_tip_block_number") === blocks.length - 1) break
        yield* Effect.sleep("50 millis")
      }
      assert.strictEqual(seen[seen.length - 1], blocks.length, `headers seen: ${seen.join(",")}\n${proc.log().slice(-2000)}`)
      for (let i = 1; i < seen.length; i++) assert.isTrue(seen[i]! >= seen[i - 1]!, "a counter never goes back")
      assert.isTrue(seen.length >= 2 && seen[0]! < blocks.length, `the counters moved between scrapes: ${seen.join(",")}`)
      // the scrape has the families, labelled
      const family = (name: string) => families.find((f) => f.name === name)
      assert.strictEqual(family("network2_bytes_total")?.type, "COUNTER")
      assert.strictEqual(family("network2_keepalive_rtt_seconds") === undefined || family("network2_keepalive_rtt_seconds")!.type === "HISTOGRAM", true)
      assert.strictEqual(value(families, "network2_connections_opened_total", { direction: "outbound" }), 1)
      assert.strictEqual(value(families, "network2_connections_open", { direction: "outbound" }), 1)
      assert.strictEqual(value(families, "network2_handshakes_total", { outcome: "accepted" }), 1)
      assert.isTrue(value(families, "network2_chainsync_rollbacks_total") >= 1, "the first answer rolls back to the origin")
      assert.isTrue(value(families, "network2_messages_total", { protocol: "chain-sync", direction: "in" }) >= blocks.length + 1)
      assert.strictEqual(value(families, "network2_peers", { temperature: "hot" }), 1)
      assert.strictEqual(value(families, "network2_tip_block_number"), blocks.length - 1)
      assert.strictEqual(value(families, "network2_tip_slot"), blocks[blocks.length - 1]!.slot)
      assert.isDefined(family("network2_ingress_bytes_waiting"))
      assert.isDefined(family("network2_egress_backlog_bytes"))
      assert.isTrue(value(families, "network2_peer_bytes_total", { peer: `127.0.0.1:${port}`, direction: "in" }) > 0)
      // bytes per mini-protocol and direction equal what the responder counted the other way (at
      // rest: a keep-alive in flight is waited out)
      let mine: Record<string, number> = {}
      let theirs: Record<string, number> = {}
      const flip = (k: string) => k.endsWith("/in") ? k.replace(/\/in$/, "/out") : k.replace(/\/out$/, "/in")
      const matches = () => Object.keys(mine).length > 0 && Object.entries(mine).every(([k, n]) => (theirs[flip(k)] ?? 0) === n)
      for (let i = 0; i < 40; i++) {
        const fams = parsePrometheus(yield* scrape(url))
        mine = {}
        for (const m of fams.find((f) => f.name === "network2_bytes_total")?.metrics ?? []) {
          mine[`${m.labels!["protocol"]}/${m.labels!["direction"]}`] = Number(m.value)
        }
        theirs = yield* bytesOf(registry)
        if (matches()) break
        yield* Effect.sleep("100 millis")
      }
      assert.isTrue(matches(), `follower ${JSON.stringify(mine)} vs responder ${JSON.stringify(theirs)}`)
      for (const p of ["handshake", "chain-sync"]) assert.isTrue((mine[`${p}/in`] ?? 0) > 0 && (mine[`${p}/out`] ?? 0) > 0, p)
      assert.isTrue(mine["chain-sync/in"]! > 3000 * 8)
    }).pipe(Effect.scoped), { timeout: 90_000 })
})

interface Received {
  readonly traces: Array<any>
  readonly metrics: Array<any>
  readonly logs: Array<any>
}

/** An OTLP/HTTP JSON receiver on a free loopback port. */
const receiver = Effect.acquireRelease(
  Effect.callback<{ readonly url: string; readonly got: Received; readonly server: http.Server }>((resume) => {
    const got: Received = { traces: [], metrics: [], logs: [] }
    const server = http.createServer((req, res) => {
      let body = ""
      req.on("data", (d) => (body += d.toString()))
      req.on("end", () => {
        const json = JSON.parse(body)
        if (req.url === "/v1/traces") got.traces.push(json)
        else if (req.url === "/v1/metrics") got.metrics.push(json)
        else if (req.url === "/v1/logs") got.logs.push(json)
        res.writeHead(200, { "content-type": "application/json" }).end("{}")
      })
    })
    server.listen(0, "127.0.0.1", () => resume(Effect.succeed({ url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`, got, server })))
  }),
  ({ server }) =>
    Effect.callback<void>((resume) => {
      server.close(() => resume(Effect.void))
    })
)

const attr = (attributes: ReadonlyArray<{ readonly key: string; readonly value: Record<string, unknown> }> | undefined, key: string) => {
  const a = attributes?.find((x) => x.key === key)
  return a === undefined ? undefined : Object.values(a.value)[0]
}

describe("OTLP over real sockets", () => {
  it.live("spans with their parents, metrics and logs with the peer reach an OTLP/HTTP receiver", () =>
    Effect.gen(function*() {
      const { got, url } = yield* receiver
      const blocks = GeneratedChain.generate({ blocks: 200, seed: 4, maxBodySize: 2000 })
      yield* Effect.gen(function*() {
        const port = yield* responder(blocks, new Map())
        const summary = yield* DemoCommand.syncFrom([PeerId.tcp("127.0.0.1", port)], blocks, { networkMagic: MAGIC })
        assert.isTrue(summary.ok, summary.problems.join("; "))
        // the demo's per-peer table, from the same metrics
        const table = DemoCommand.peerTable(yield* Observability.peerFigures, [PeerId.tcp("127.0.0.1", port)])
        assert.strictEqual(table.rows[0]!.blocks, blocks.length)
        assert.isTrue(table.rows[0]!.bytesIn > blocks.reduce((n, b) => n + b.bytes.length, 0))
        assert.isTrue(table.rows[0]!.bytesOut > 0 && table.rows[0]!.rttMs !== null)
        assert.match(table.text, new RegExp(`127\\.0\\.0\\.1:${port} +${blocks.length} `))
        return port
      }).pipe(
        Effect.scoped,
        // the exporter's scope closes after the connections': what is buffered is sent then
        Effect.provide(Layer.mergeAll(
          Observability.layerOtlp({ baseUrl: url, serviceName: "network2-test", exportInterval: "200 millis" }),
          Layer.succeed(References.MinimumLogLevel, "Debug")
        )),
        Effect.provideService(Metric.MetricRegistry, new Map())
      )
      const spans = got.traces.flatMap((t) => t.resourceSpans.flatMap((r: any) => r.scopeSpans.flatMap((s: any) => s.spans)))
      const named = (name: string) => spans.filter((s: any) => s.name === name)
      const connections = named("network2.connection")
      assert.isTrue(connections.length >= 2, `connection spans: ${spans.map((s: any) => s.name).join(",")}`)
      const ids = new Set(connections.map((s: any) => s.spanId))
      for (const child of ["network2.handshake", "network2.chainsync.intersect", "network2.blockfetch.range"]) {
        const xs = named(child)
        assert.isTrue(xs.length >= 1, `${child} exported`)
        for (const s of xs) assert.isTrue(ids.has(s.parentSpanId), `${child} is a child of a connection span`)
      }
      const outbound = connections.find((s: any) => attr(s.attributes, "network2.direction") === "outbound")
      assert.isDefined(outbound)
      const peer = attr(outbound.attributes, "network2.peer") as string
      assert.match(peer, /^127\.0\.0\.1:\d+$/)
      const handshake = named("network2.handshake").find((s: any) => s.parentSpanId === outbound.spanId)
      assert.strictEqual(attr(handshake.attributes, "network2.handshake.outcome"), "accepted")
      assert.strictEqual(
        got.traces[0].resourceSpans[0].resource.attributes.find((a: any) => a.key === "service.name").value.stringValue,
        "network2-test"
      )
      // metrics
      const metrics = got.metrics.flatMap((m) => m.resourceMetrics.flatMap((r: any) => r.scopeMetrics.flatMap((s: any) => s.metrics)))
      const bytes = metrics.filter((m: any) => m.name === "network2_bytes_total")
      assert.isTrue(bytes.length >= 1, `metrics: ${[...new Set(metrics.map((m: any) => m.name))].join(",")}`)
      const points = bytes.flatMap((m: any) => m.sum.dataPoints)
      assert.isTrue(points.some((p: any) => attr(p.attributes, "protocol") === "block-fetch" && Number(p.asInt ?? p.asDouble) > 0))
      assert.isTrue(metrics.some((m: any) => m.name === "network2_blockfetch_range_seconds" && m.histogram !== undefined))
      // logs, annotated with the peer
      const records = got.logs.flatMap((l) => l.resourceLogs.flatMap((r: any) => r.scopeLogs.flatMap((s: any) => s.logRecords)))
      const withPeer = records.filter((r: any) => attr(r.attributes, "peer") === peer)
      assert.isTrue(withPeer.some((r: any) => JSON.stringify(r.body).includes("connection opened")), JSON.stringify(records.slice(0, 3)))
      assert.isTrue(withPeer.some((r: any) => JSON.stringify(r.body).includes("connection closed")))
      assert.isTrue(withPeer.every((r: any) => typeof r.spanId === "string"), "logs carry their connection's span")
    }).pipe(Effect.scoped), { timeout: 60_000 })
})

describe("follow --otlp, OTEL_EXPORTER_OTLP_ENDPOINT and --log-format (a process)", () => {
  it.live("the flag and the standard variables send spans and logs with the peer; --log-format json logs on stderr", () =>
    Effect.gen(function*() {
      const { got, url } = yield* receiver
      const blocks = GeneratedChain.generate({ blocks: 100, seed: 5, maxBodySize: 200 })
      const port = yield* responder(blocks, new Map())
      const peer = `127.0.0.1:${port}`
      const byFlag = yield* spawn(["follow", peer, "--magic", String(MAGIC), "--from", "origin", "--limit", "50", "--otlp", url, "--log-format", "json"])
      assert.strictEqual(yield* byFlag.exited, 0, byFlag.log())
      const lines = byFlag.log().split("\n").filter((l) => l.startsWith("{") && l.includes("connection opened"))
      assert.isTrue(lines.length >= 1, byFlag.log().slice(-1500))
      assert.strictEqual(JSON.parse(lines[0]!).annotations.peer, peer)
      const spansOf = () => got.traces.flatMap((t) => t.resourceSpans.flatMap((r: any) => r.scopeSpans.flatMap((s: any) => s.spans)))
      const serviceOf = (t: any) => t.resourceSpans[0].resource.attributes.find((a: any) => a.key === "service.name").value.stringValue
      assert.isTrue(spansOf().some((s: any) => s.name === "network2.connection" && attr(s.attributes, "network2.peer") === peer))
      assert.strictEqual(serviceOf(got.traces[0]), "network2")
      const logs = got.logs.flatMap((l) => l.resourceLogs.flatMap((r: any) => r.scopeLogs.flatMap((s: any) => s.logRecords)))
      assert.isTrue(logs.some((r: any) => attr(r.attributes, "peer") === peer))
      // the standard variables instead of the flag
      const traces = got.traces.length
      process.env["OTEL_EXPORTER_OTLP_ENDPOINT"] = url
      process.env["OTEL_SERVICE_NAME"] = "network2-by-env"
      const byEnv = yield* spawn(["follow", peer, "--magic", String(MAGIC), "--from", "origin", "--limit", "50"]).pipe(
        Effect.ensuring(Effect.sync(() => {
          delete process.env["OTEL_EXPORTER_OTLP_ENDPOINT"]
          delete process.env["OTEL_SERVICE_NAME"]
        }))
      )
      assert.strictEqual(yield* byEnv.exited, 0, byEnv.log())
      assert.isTrue(got.traces.length > traces)
      assert.isTrue(got.traces.slice(traces).some((t) => serviceOf(t) === "network2-by-env"))
    }).pipe(Effect.scoped), { timeout: 60_000 })
})
