/**
 * `npm run fuzz [-- --runs N] [-- --only NAME,...] [-- --seed S]`: runs every fuzz target
 * (packages/core/test/fuzz/targets.ts) N times (default 100 000), prints each one's time and the
 * outcomes its inputs reached, and writes fuzz/results.json. Exits 1 if any property fails, printing
 * fast-check's counterexample and seed to replay it.
 */
import "../bench/sources.ts"
import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import * as fc from "fast-check"
import { tallies, targets } from "../packages/core/test/fuzz/targets.ts"
import { vectorsAvailable } from "../packages/core/test/utils/vectors.ts"

const argv = process.argv.slice(2)
const opt = (name: string) => {
  const i = argv.indexOf(`--${name}`)
  return i >= 0 ? argv[i + 1] : undefined
}
const runs = Number(opt("runs") ?? 100_000)
const only = opt("only")?.split(",")
const seed = opt("seed") === undefined ? Date.now() | 0 : Number(opt("seed"))
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..")
const gc = (globalThis as { gc?: () => void }).gc
/** Heap in use after a full GC (MB), when node runs with --expose-gc (npm run fuzz does). */
const heapMB = () => {
  gc?.()
  return process.memoryUsage().heapUsed / 2 ** 20
}

// an unhandled rejection or uncaught exception anywhere fails the run (the invariant is: never one)
let unhandled = 0
process.on("unhandledRejection", (e) => {
  unhandled++
  process.stdout.write(`UNHANDLED REJECTION: ${String(e)}\n`)
})
process.on("uncaughtException", (e) => {
  unhandled++
  process.stdout.write(`UNCAUGHT EXCEPTION: ${String(e)}\n`)
})

const results: Array<Record<string, unknown>> = []
let failed = false
for (const target of targets) {
  if (only !== undefined && !only.includes(target.name)) continue
  if (target.needsVectors === true && !vectorsAvailable) {
    process.stdout.write(`# ${target.name}: skipped, it needs the shared vectors (../shared/vectors is absent)\n`)
    continue
  }
  process.stdout.write(`# ${target.name}: ${target.checks}\n`)
  const started = performance.now()
  const rssBefore = process.memoryUsage().rss
  const heapBefore = heapMB()
  const details = await fc.check(target.property() as fc.IAsyncProperty<unknown>, { numRuns: runs, seed })
  const seconds = (performance.now() - started) / 1000
  const outcomes = Object.fromEntries([...(tallies.get(target.name) ?? new Map()).entries()].sort((a, b) => b[1] - a[1]))
  const rssAfter = process.memoryUsage().rss
  const heapAfter = heapMB()
  results.push({ target: target.name, checks: target.checks, runs: details.numRuns, failed: details.failed, seed, seconds, outcomes, rssMB: [rssBefore / 2 ** 20, rssAfter / 2 ** 20], heapAfterGcMB: gc === undefined ? undefined : [heapBefore, heapAfter] })
  process.stdout.write(`  ${details.numRuns} cases in ${seconds.toFixed(1)} s, ${details.failed ? "FAILED" : "passed"}; rss ${(rssBefore / 2 ** 20).toFixed(0)} -> ${(rssAfter / 2 ** 20).toFixed(0)} MB${gc === undefined ? "" : `; heap after GC ${heapBefore.toFixed(1)} -> ${heapAfter.toFixed(1)} MB`}\n`)
  for (const [k, v] of Object.entries(outcomes)) process.stdout.write(`    ${v}\t${k}\n`)
  if (details.failed) {
    failed = true
    process.stdout.write(`${fc.defaultReportMessage(details)}\n`)
  }
}
const out = { unhandled, command: `npm run fuzz${argv.length > 0 ? ` -- ${argv.join(" ")}` : ""}`, date: new Date().toISOString(), node: process.version, runs, seed, results }
fs.writeFileSync(path.join(root, "fuzz", "results.json"), JSON.stringify(out, null, 2) + "\n")
process.stdout.write(`unhandled rejections or exceptions: ${unhandled}\nwrote fuzz/results.json\n`)
process.exit(failed || unhandled > 0 ? 1 : 0)
