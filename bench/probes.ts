/**
 * Small probes behind figures in docs/BENCHMARKS.md ("The data path per batch"), each a one-line
 * result, CPU time by process.cpuUsage:
 *
 *   node --conditions=@pallas-network2/source bench/probes.ts gen
 *     an inline `Effect.gen(function*() {...})` per call against a hoisted `Effect.fnUntraced`,
 *     `Effect.flatMap` and `Effect.sync` (ns a call, 300 000 calls each)
 *   node --conditions=@pallas-network2/source bench/probes.ts encode
 *     `ChainSync.protocol.encode` of a roll-forward of a generated header (ns a message)
 *   node --conditions=@pallas-network2/source bench/probes.ts rounds HEADERS ONE [ROUNDS]
 *     one responder process, ROUNDS (6) rounds of HEADERS pipelined (200 in flight) then ONE one at a
 *     time (headers/s, CPU µs a header of each side); the later rounds are the warm figures
 *   node --conditions=@pallas-network2/source bench/probes.ts chain-sync HEADERS WINDOW [LOW]
 *     scenario 3's client against a responder process, three runs (headers/s, CPU µs a header); with
 *     LOW, the requests are topped up to WINDOW only when those in flight fell to LOW (the
 *     initiator's marks: 300 200), else at every answer
 */
import "./sources.ts"
import { GeneratedChain, Protocols } from "@pallas-network2/core"
import * as Effect from "effect/Effect"
import { chainSyncHeaders } from "./scenarios/stack.ts"
import { spawnWithPort, waitExit } from "./scenarios/util.ts"

const nsPer = (calls: number, f: () => void): number => {
  const t = process.cpuUsage()
  f()
  const d = process.cpuUsage(t)
  return ((d.user + d.system) * 1000) / calls
}

const [what, a, b, c] = process.argv.slice(2)
if (what === "gen") {
  const N = 300_000
  const run = (make: (n: number) => Effect.Effect<number>) => {
    const all = (n: number) => Effect.gen(function*() { for (let i = 0; i < n; i++) yield* make(i) })
    Effect.runSync(all(20_000))
    return nsPer(N, () => Effect.runSync(all(N))).toFixed(0)
  }
  const hoisted = Effect.fnUntraced(function*(n: number) {
    const x = yield* Effect.succeed(n)
    return yield* Effect.sync(() => x + 1)
  })
  console.log(`inline Effect.gen ${run((n) => Effect.gen(function*() {
    const x = yield* Effect.succeed(n)
    return yield* Effect.sync(() => x + 1)
  }))} ns, hoisted Effect.fnUntraced ${run(hoisted)} ns, flatMap ${run((n) => Effect.flatMap(Effect.succeed(n), (x) => Effect.sync(() => x + 1)))} ns, Effect.sync ${run((n) => Effect.sync(() => n + 1))} ns a call`)
} else if (what === "encode") {
  const { ChainSync } = Protocols
  const blocks = GeneratedChain.generate({ blocks: 50, seed: 1, maxBodySize: 200 })
  const messages = blocks.map((blk) => ChainSync.make.rollForward(blk.header as never, { point: { _tag: "Origin" }, blockNo: 1 } as never))
  const N = 300_000
  let bytes = 0
  for (let i = 0; i < 20_000; i++) bytes += ChainSync.protocol.encode(messages[i % messages.length]!).length
  const ns = nsPer(N, () => {
    for (let i = 0; i < N; i++) bytes += ChainSync.protocol.encode(messages[i % messages.length]!).length
  })
  console.log(`encode a chain-sync roll-forward (${ChainSync.protocol.encode(messages[0]!).length} bytes): ${ns.toFixed(0)} ns (${bytes > 0})`)
} else if (what === "chain-sync") {
  const headers = Number(a ?? 5000)
  const window = Number(b ?? 1)
  const { child, line } = await spawnWithPort("bench/scenarios/responder-process.ts", ["generated", String(headers)])
  try {
    for (let i = 0; i < 3; i++) {
      const r = await chainSyncHeaders(child, "responder", Number(line), headers, window, c === undefined ? window - 1 : Number(c))
      console.log(`run ${i + 1}: ${r.value.toFixed(0)} headers/s, CPU client ${r.cpu.client!.toFixed(1)} / responder ${r.cpu.responder!.toFixed(1)} µs a header`)
    }
  } finally {
    child.kill("SIGTERM")
    await waitExit(child)
  }
} else if (what === "rounds") {
  const headers = Number(a ?? 100_000)
  const one = Number(b ?? 20_000)
  const { child, line } = await spawnWithPort("bench/scenarios/responder-process.ts", ["generated", String(headers)])
  try {
    for (let i = 0; i < Number(c ?? 6); i++) {
      const p = await chainSyncHeaders(child, "responder", Number(line), headers, 200)
      const o = await chainSyncHeaders(child, "responder", Number(line), one, 1)
      console.log(`round ${i + 1}: pipelined ${p.value.toFixed(0)} headers/s (CPU ${p.cpu.client!.toFixed(1)} / ${p.cpu.responder!.toFixed(1)} µs), one at a time ${o.value.toFixed(0)} (CPU ${o.cpu.client!.toFixed(1)} / ${o.cpu.responder!.toFixed(1)} µs)`)
    }
  } finally {
    child.kill("SIGTERM")
    await waitExit(child)
  }
} else {
  console.log("bench/probes.ts gen | encode | chain-sync HEADERS WINDOW [LOW] | rounds HEADERS ONE [ROUNDS]")
  process.exitCode = 2
}
