/**
 * The benchmarks: `npm run bench` (full) or `npm run bench -- --quick` (a small version, under a
 * minute). Writes bench/results.json. Plain Node processes, no test runner.
 *
 *   1. mux throughput: responder process streaming the real chunk repeated vs raw node:net
 *   2. block-fetch blocks/s of the real chunk: project's initiator vs @harmoniclabs client
 *   3. chain-sync headers/s, pipelined and one at a time
 *   4. scale: 1 000 node-to-node connections from one process to one responder process
 *   5. codecs: messages/s per protocol's vectors, beside cbor-x
 *   6. reassembly: CPU per byte of a message in 1-byte segments vs full segments (no socket)
 *
 * Options: --quick, --only 1,2,3,4,5,6
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { Block } from "@pallas-network2/core"
import { machine, runScenario, type Scenario, type ScenarioResult } from "./harness.ts"
import { rawThroughput } from "./scenarios/raw.ts"
import { chainSyncHeaders, initiatorBlocks, MAGIC, muxThroughput } from "./scenarios/stack.ts"
import { harmonicBlocks } from "./scenarios/harmonic.ts"
import { codecScenarios } from "./scenarios/codecs.ts"
import { reassemblyScenarios } from "./scenarios/reassembly.ts"
import { type ScaleFigures, scaleRun } from "./scenarios/scale.ts"
import { chunkPath, root, shared, spawnWithPort, waitExit } from "./scenarios/util.ts"

const argv = process.argv.slice(2)
const quick = argv.includes("--quick")
const onlyAt = argv.indexOf("--only")
const only = onlyAt >= 0 ? new Set(argv[onlyAt + 1]!.split(",")) : undefined
const want = (id: string) => only === undefined || only.has(id)

const runs = quick ? 2 : 5
const warmup = 1
const muxBytes = quick ? 40e6 : 200e6
const headers = quick ? 10_000 : 100_000

const results: Array<ScenarioResult> = []
const failures: Array<{ scenario: string; side: string; error: string; runs: number }> = []

/** A side that records its failure instead of stopping the run (its figure is NaN). */
const guarded = (scenario: string, side: string, run: () => Promise<number>) => async () => {
  try {
    return await run()
  } catch (e) {
    const full = e instanceof Error ? e.message : String(e)
    // some clients put whole hex dumps in their messages: keep the report readable
    const error = full.length > 300 ? `${full.slice(0, 300)}... (${full.length} characters)` : full
    const seen = failures.find((f) => f.scenario === scenario && f.side === side)
    if (seen === undefined) failures.push({ scenario, side, error, runs: 1 })
    else seen.runs++
    process.stderr.write(`  FAILED ${side}: ${error}\n`)
    return Number.NaN
  }
}

const medianOf = (xs: ReadonlyArray<number>): number => {
  if (xs.length === 0) return Number.NaN
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2
}

const withResponder = async <A>(args: ReadonlyArray<string>, f: (port: number) => Promise<A>): Promise<A> => {
  const { child, line } = await spawnWithPort("bench/scenarios/responder-process.ts", args)
  try {
    return await f(Number(line))
  } finally {
    child.kill("SIGTERM")
    await waitExit(child)
  }
}

const chunkBytes = new Uint8Array(fs.readFileSync(chunkPath))
const chunkBlocks = Block.splitChunk(chunkBytes).map(Block.parse)

if (want("1")) {
  await withResponder(["mux", chunkPath, String(muxBytes)], async (port) => {
    const scenario: Scenario = {
      id: "1-mux-throughput",
      title: `mux throughput: ${muxBytes / 1e6} MB of the real chunk's blocks (one RequestRange, segments of 12 288, every MsgBlock decoded) vs the same bytes on a raw node:net socket, both between two processes`,
      unit: "MB/s",
      goal: "within 2x of the raw socket",
      sides: [
        { name: "network2 stack (TcpInterface + Responder, block-fetch)", run: guarded("1", "network2", () => muxThroughput(port, muxBytes)) },
        { name: "raw node:net socket", run: guarded("1", "raw", () => rawThroughput(chunkPath, muxBytes)) }
      ]
    }
    results.push(await runScenario(scenario, runs, warmup))
  })
}

if (want("2")) {
  await withResponder(["chunk", chunkPath], async (port) => {
    const first = Block.pointOf(chunkBlocks[0]!)
    const last = Block.pointOf(chunkBlocks[chunkBlocks.length - 1]!)
    const scenario: Scenario = {
      id: "2-block-fetch",
      title: `block-fetch of the real chunk 01285 (${chunkBlocks.length} blocks, ${(chunkBytes.length / 1e6).toFixed(1)} MB) from a responder process`,
      unit: "blocks/s",
      goal: "at least as fast as the independent client",
      sides: [
        { name: "network2 initiator (as network2 demo)", run: guarded("2", "network2", () => initiatorBlocks(port, chunkBlocks)) },
        {
          name: "@harmoniclabs/ouroboros-miniprotocols-ts 0.0.4",
          run: guarded("2", "harmonic", () => harmonicBlocks(port, MAGIC, first, last, chunkBlocks.length))
        }
      ]
    }
    results.push(await runScenario(scenario, runs, warmup))
  })
}

if (want("3")) {
  await withResponder(["generated", String(headers)], async (port) => {
    const scenario: Scenario = {
      id: "3-chain-sync",
      title: `chain-sync of ${headers} headers (generated chain, bodies <= 200 bytes) over loopback TCP from a responder process`,
      unit: "headers/s",
      goal: "pipelining well above one-at-a-time",
      sides: [
        { name: "pipelined (200 RequestNext in flight)", run: guarded("3", "pipelined", () => chainSyncHeaders(port, headers, 200)) },
        { name: "one at a time", run: guarded("3", "unpipelined", () => chainSyncHeaders(port, headers, 1)) }
      ]
    }
    results.push(await runScenario(scenario, runs, warmup))
  })
}

if (want("4")) {
  const connections = quick ? 200 : 1000
  const keepAliveMs = 1000
  const measureMs = quick ? 2000 : 10_000
  const title = `${connections} node-to-node connections from one client process (ConnectionPool, as under TcpInterface) to one responder process on 127.0.0.1: handshake, chain-sync until MsgAwaitReply at the tip, then a keep-alive per connection every ${keepAliveMs} ms (10x the reference's 10 s), event-loop delay over ${measureMs / 1000} s; fresh processes each run, no warm-up`
  process.stderr.write(`\n# 4-scale: ${title}\n`)
  const runsOf: Array<ScaleFigures> = []
  for (let r = 0; r < runs; r++) {
    try {
      const f = await scaleRun(connections, keepAliveMs, measureMs)
      runsOf.push(f)
      process.stderr.write(`  run ${r + 1}: ${JSON.stringify(f)}\n`)
    } catch (e) {
      const error = e instanceof Error ? e.message : String(e)
      failures.push({ scenario: "4", side: `run ${r + 1}`, error, runs: 1 })
      process.stderr.write(`  FAILED run ${r + 1}: ${error}\n`)
    }
  }
  const figures = (
    id: string,
    unit: string,
    goal: string,
    sides: ReadonlyArray<[string, (f: ScaleFigures) => number]>
  ): ScenarioResult => {
    const ss = sides.map(([name, pick]) => {
      const xs = runsOf.map(pick)
      return { name, runs: xs, median: medianOf(xs), min: Math.min(...xs), max: Math.max(...xs) }
    })
    // the full description once, on the first of the four
    return { id, title: id === "4-scale-establish" ? title : "the same runs", unit, goal, sides: ss, ratios: [], extra: { connections, keepAliveMs, measureMs } }
  }
  const kb = (x: number) => x / 1024
  results.push(figures("4-scale-establish", "s", "(no goal set) time until every connection waits at the tip", [
    [`time to establish ${connections} (connect, handshake, chain-sync to the tip)`, (f) => f.establishSeconds]
  ]))
  results.push(figures("4-scale-memory", "KB/connection", "under 64 KB per connection", [
    ["client: heap + external after GC", (f) => kb(f.clientHeapPerConnection)],
    ["responder: heap + external after GC", (f) => kb(f.responderHeapPerConnection)],
    ["client: RSS", (f) => kb(f.clientRssPerConnection)],
    ["responder: RSS", (f) => kb(f.responderRssPerConnection)],
    ["client: RSS once V8 gave back its spare pages", (f) => kb(f.clientRssReleasedPerConnection)],
    ["responder: RSS once V8 gave back its spare pages", (f) => kb(f.responderRssReleasedPerConnection)]
  ]))
  results.push(figures("4-scale-lag", "ms", "event-loop delay p99 under 20 ms", [
    ["client: event-loop delay p99", (f) => f.clientLagP99],
    ["responder: event-loop delay p99", (f) => f.responderLagP99],
    ["client: event-loop delay max", (f) => f.clientLagMax],
    ["responder: event-loop delay max", (f) => f.responderLagMax]
  ]))
  results.push(figures("4-scale-keepalive", "answers/s", "(no goal set) shows the keep-alives flowed while the delay was measured", [
    ["keep-alive answers received by the client, every cookie checked", (f) => f.keepAlivesAnswered / (measureMs / 1000)]
  ]))
}

if (want("5")) {
  for (const s of codecScenarios(path.join(shared, "vectors"), quick ? 150 : 500)) {
    results.push(await runScenario(s, runs, warmup))
  }
}

if (want("6")) {
  for (const s of reassemblyScenarios(quick)) results.push(await runScenario(s, runs, warmup))
}

const out = {
  command: `npm run bench${argv.length > 0 ? ` -- ${argv.join(" ")}` : ""}`,
  quick,
  runsPerSide: runs,
  warmup,
  date: new Date().toISOString(),
  machine: machine(),
  results,
  failures
}
const file = path.join(root, "bench", quick ? "results.quick.json" : "results.json")
// with --only, the other scenarios' results already in the file are kept (each keeps its own date)
if (only !== undefined && fs.existsSync(file)) {
  const previous = JSON.parse(fs.readFileSync(file, "utf8")) as typeof out & { runs?: Record<string, string> }
  const fresh = new Set(results.map((r) => r.id))
  const kept = previous.results.filter((r) => !fresh.has(r.id))
  const dates = { ...(previous.runs ?? Object.fromEntries(previous.results.map((r) => [r.id, `${previous.command} at ${previous.date}`]))) }
  for (const r of results) dates[r.id] = `${out.command} at ${out.date}`
  // the header keeps the whole run's command and date; the rerun scenarios are listed in `runs`
  Object.assign(out, { command: previous.command, date: previous.date, runsPerSide: previous.runsPerSide, results: [...kept, ...results].sort((a, b) => a.id.localeCompare(b.id, "en", { numeric: true })), runs: dates, failures: [...previous.failures.filter((f) => !fresh.has(f.scenario) && ![...fresh].some((id) => id.startsWith(`${f.scenario}-`))), ...failures] })
}
fs.writeFileSync(file, JSON.stringify(out, null, 2) + "\n")
for (const r of results) {
  const sides = r.sides.map((s) => `${s.name} ${s.median.toFixed(1)}`).join(" | ")
  const ratios = r.ratios.map((x) => x.ratio.toFixed(2)).join(", ")
  process.stdout.write(`${r.id}: ${sides} ${r.unit}${ratios === "" ? "" : `; ratio ${ratios}`}\n`)
}
for (const f of failures) process.stdout.write(`FAILED ${f.scenario} ${f.side}: ${f.error}\n`)
process.stdout.write(`wrote ${path.relative(root, file)}\n`)
process.exit(0)
