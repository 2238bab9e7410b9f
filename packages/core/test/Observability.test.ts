/**
 * The stack's metrics over the in-memory network: a fault is counted by kind with the close reason,
 * the open-connection gauge comes back to zero, and `MetricsEnabled = false` leaves no series.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Metric from "effect/Metric"
import * as Queue from "effect/Queue"
import * as Tracer from "effect/Tracer"
import { ChainSource, GeneratedChain, LocalClient, LocalNode, LocalServer, Observability, PeerId, TestInterface } from "../src/index.ts"
import type { Message } from "../src/index.ts"
import { clientAndServer } from "./utils/emulation.ts"

const series = Effect.map(Metric.snapshot, (all) => {
  const out: Record<string, number> = {}
  for (const s of all) {
    if (!s.id.startsWith("network2_")) continue
    const labels = Object.entries(s.attributes ?? {}).map(([k, v]) => `${k}=${v}`).join(",")
    const state = s.state as { readonly count?: number; readonly value?: number }
    out[`${s.id}{${labels}}`] = state.count ?? state.value ?? 0
  }
  return out
})

/** A client connects to a listening server, then sends a server's message: its own side closes it. */
const wrongDirection = Effect.gen(function*() {
  const { client, events, server } = yield* clientAndServer("10.0.7.1", "10.0.7.2")
  yield* client.dispatch({ _tag: "Connect", peer: server })
  assert.strictEqual((yield* Queue.take(events))._tag, "Connected")
  const rollForward = { protocol: "chain-sync", _tag: "MsgRollForward" } as Message
  yield* client.dispatch({ _tag: "Send", peer: server, message: rollForward })
  while ((yield* Queue.take(events))._tag !== "Disconnected") {
    // the Error event comes first
  }
  return server
})

describe("Observability metrics", () => {
  it.live("a fault: counted by kind, the close reason, the open gauge back to zero", () =>
    Effect.gen(function*() {
      yield* wrongDirection
      // the server side ends when the client's bearer closes
      let got: Record<string, number> = {}
      for (let i = 0; i < 100; i++) {
        got = yield* series
        if (got["network2_connections_open{direction=inbound}"] === 0) break
        yield* Effect.sleep("10 millis")
      }
      assert.strictEqual(got["network2_connections_opened_total{direction=outbound}"], 1)
      assert.strictEqual(got["network2_connections_opened_total{direction=inbound}"], 1)
      assert.strictEqual(got["network2_connections_open{direction=outbound}"], 0)
      assert.strictEqual(got["network2_connections_open{direction=inbound}"], 0)
      assert.strictEqual(got["network2_connections_closed_total{reason=mux}"], 1)
      assert.strictEqual(got["network2_protocol_violations_total{protocol=mux,kind=WrongDirection}"], 1)
      assert.strictEqual(got["network2_ingress_bytes_waiting{}"], 0)
      assert.strictEqual(got["network2_egress_backlog_bytes{}"], 0)
      const text = yield* Observability.prometheusText
      assert.include(text, "# TYPE network2_protocol_violations_total counter")
      assert.include(text, `network2_protocol_violations_total{protocol="mux",kind="WrongDirection"} 1`)
    }).pipe(Effect.scoped, Effect.provide(TestInterface.SimNetwork.layer), Effect.provideService(Metric.MetricRegistry, new Map())), 10_000)

  it.live("MetricsEnabled = false: no network2 series at all", () =>
    Effect.gen(function*() {
      yield* wrongDirection
      assert.deepStrictEqual(yield* series, {})
    }).pipe(
      Effect.scoped,
      Effect.provide(TestInterface.SimNetwork.layer),
      Effect.provideService(Observability.MetricsEnabled, false),
      Effect.provideService(Metric.MetricRegistry, new Map())
    ), 10_000)
})

describe("Observability spans", () => {
  it.live("a state query: a span under its connection's, the query counted", () => {
    const spans: Array<Tracer.NativeSpan> = []
    const tracer = Tracer.make({
      span: (options) => {
        const span = new Tracer.NativeSpan(options)
        spans.push(span)
        return span
      }
    })
    return Effect.gen(function*() {
      const server = PeerId.tcp("10.0.8.1", 3001)
      const chain = yield* ChainSource.makeMemory(GeneratedChain.generate({ blocks: 10, seed: 2 }))
      yield* Layer.build(
        LocalServer.layerManager({ networkMagic: 2 }).pipe(
          Layer.provideMerge(Layer.succeed(ChainSource.ChainSource, chain)),
          Layer.provideMerge(TestInterface.layer({ address: server, listen: true, protocols: LocalClient.protocols }))
        )
      )
      const node = Context.get(
        yield* Layer.build(
          LocalNode.layer({ peer: server, networkMagic: 2 }).pipe(
            Layer.provide(TestInterface.layer({ address: PeerId.tcp("10.0.8.2", 40000), protocols: LocalClient.protocols }))
          )
        ),
        LocalNode.LocalNode
      )
      const tip = yield* node.queryTip
      assert.strictEqual(tip.blockNo, 9)
      const queries = spans.filter((s) => s.name === "network2.localstatequery.query")
      assert.isTrue(queries.length >= 1, spans.map((s) => s.name).join(","))
      const connection = spans.find((s) => s.name === "network2.connection" && s.attributes.get("network2.direction") === "outbound")!
      for (const q of queries) {
        assert.strictEqual(q.parent._tag === "Some" ? q.parent.value.spanId : undefined, connection.spanId)
        assert.strictEqual(q.status._tag, "Ended")
        assert.strictEqual(q.attributes.get("network2.peer"), server)
      }
      const got = yield* series
      assert.strictEqual(got["network2_localstatequery_queries_total{outcome=result}"], queries.length)
    }).pipe(
      Effect.scoped,
      Effect.provide(TestInterface.SimNetwork.layer),
      Effect.provideService(Tracer.Tracer, tracer),
      Effect.provideService(Metric.MetricRegistry, new Map())
    )
  }, 10_000)
})
