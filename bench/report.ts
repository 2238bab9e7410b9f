/**
 * Writes the figures part of docs/BENCHMARKS.md from bench/results.json (or results.quick.json):
 * `node bench/report.ts [bench/results.json]`. The text between the FIGURES markers is replaced; the
 * rest of the document (analysis, profile) is left as written.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import type { ScenarioResult } from "./harness.ts"
import { root } from "./scenarios/util.ts"

const source = process.argv[2] ?? path.join(root, "bench", "results.json")
const data = JSON.parse(fs.readFileSync(source, "utf8")) as {
  command: string
  runsPerSide: number
  warmup: number
  date: string
  machine: { cores: number; cpu: string; memoryGiB: number; node: string; platform: string }
  results: Array<ScenarioResult>
  failures: Array<{ scenario: string; side: string; error: string; runs?: number }>
  runs?: Record<string, string>
}

/** Whether the goal is met, or the gap and its cause. */
const verdict = (r: ScenarioResult): string => {
  const ratio = (i: number) => r.ratios[i]?.ratio ?? Number.NaN
  if (r.id.endsWith("-cpu")) return "reported (see \"What each side costs per block and per header\")"
  if (r.id.startsWith("1-")) {
    const part = (name: string, x: number, goal: number) =>
      Number.isNaN(x) ? `${name}: failed` : x >= goal ? `${name}: met (${x.toFixed(2)} of raw)` : `${name}: gap (${x.toFixed(2)} of raw, goal ${goal})`
    const parts = [part("whole stack", ratio(0), 0.5)]
    if (r.ratios.length >= 3) parts.push(part("our responder alone", ratio(1), 0.6), part("our client alone", ratio(2), 0.6))
    return `${parts.join("; ")}; a fixed CPU cost per block on each side (see "What each side costs per block and per header")`
  }
  if (r.id.startsWith("2-")) {
    const x = ratio(0)
    if (Number.isNaN(x)) return "independent client failed (see failures)"
    return x >= 3
      ? `met (${x.toFixed(2)}x the independent client, both from the replayer)`
      : `gap: ${x.toFixed(2)}x the independent client from the replayer, goal 3x`
  }
  if (r.id.startsWith("3-")) {
    const pipelined = r.sides[0]?.median ?? 0
    const first = pipelined >= 50_000
      ? `pipelined: met (${Math.round(pipelined)} headers/s)`
      : `pipelined: gap (${Math.round(pipelined)} of the 50 000 headers/s goal)`
    if (r.ratios.length < 3) return `${first}; pipelining ${ratio(0).toFixed(1)}x`
    const single = ratio(2)
    const second = single >= 0.5
      ? `one at a time: met (${single.toFixed(2)} of the ping-pong)`
      : `one at a time: gap (${single.toFixed(2)} of the plain-socket ping-pong one at a time, goal 0.5)`
    return `${first}; ${second}; per-message CPU on both sides (see "What each side costs per block and per header")`
  }
  if (r.id === "4-scale-memory") {
    const heap = Math.max(r.sides[0]?.median ?? Number.NaN, r.sides[1]?.median ?? Number.NaN)
    const rss = Math.max(r.sides[2]?.median ?? Number.NaN, r.sides[3]?.median ?? Number.NaN)
    const released = Math.max(r.sides[4]?.median ?? Number.NaN, r.sides[5]?.median ?? Number.NaN)
    const heapVerdict = heap < 64
      ? `heap: met (${heap.toFixed(1)} KB at most)`
      : `heap: gap (${heap.toFixed(1)} KB, goal 64 KB; about 12 fibers and 7 queues per connection, see "Scale")`
    const releasedVerdict = Number.isNaN(released)
      ? ""
      : released < 64 ? `; RSS once V8 gave back its spare pages: met (${released.toFixed(1)} KB)` : `; RSS once V8 gave back its spare pages: gap (${released.toFixed(1)} KB, goal 64 KB)`
    return rss < 64
      ? `${heapVerdict}; RSS: met`
      : `${heapVerdict}; RSS after a normal GC: gap (${Math.round(rss)} KB): V8 keeps the heap pages the burst of handshakes needed (see "Scale")${releasedVerdict}`
  }
  if (r.id === "4-scale-lag") {
    const worst = Math.max(r.sides[0]?.median ?? Number.NaN, r.sides[1]?.median ?? Number.NaN)
    return worst < 20 ? `met (p99 ${worst.toFixed(1)} ms at most)` : `gap: p99 ${worst.toFixed(1)} ms, goal 20 ms`
  }
  if (r.id === "4-scale-establish" || r.id === "4-scale-keepalive") return "no goal; reported"
  if (r.id.startsWith("5-")) {
    const x = ratio(1)
    return `decode ${x.toFixed(2)}x of cbor-x's generic decode (no goal set); ours also checks the message shape and keeps exact bytes`
  }
  return ""
}

const fmt = (n: number) => Number.isNaN(n) ? "failed" : n >= 100 ? Math.round(n).toLocaleString("en-US") : n.toFixed(2)

const lines: Array<string> = []
lines.push(`Command: \`${data.command}\` (${data.runsPerSide} runs per side, sides alternating A B A B after ${data.warmup} warm-up round), ${data.date}.`)
const reruns = Object.entries(data.runs ?? {}).filter(([, run]) => run !== `${data.command} at ${data.date}`)
if (reruns.length > 0) {
  lines.push("")
  lines.push(`Rerun alone since (\`--only\`; the other rows are from the command above): ${reruns.map(([id, run]) => `${id} by \`${run}\``).join("; ")}.`)
}
const longer = data.results.filter((r) => r.warmupRounds !== undefined && r.warmupRounds !== data.warmup)
if (longer.length > 0) {
  lines.push("")
  lines.push(`Warm-up rounds other than the header's: ${longer.map((r) => `${r.id} after ${r.warmupRounds}`).join("; ")} (docs/BENCHMARKS.md, item 43).`)
}
lines.push("")
lines.push(
  `Machine: ${data.machine.cores} cores, ${data.machine.cpu}, ${data.machine.memoryGiB} GiB, Node ${data.machine.node}, ${data.machine.platform} (shared with other work: figures vary run to run).`
)
lines.push("")
lines.push("| scenario | side | unit | median | min | max | ratio (first side / this side, or this side / the side named) | goal met or gap |")
lines.push("|---|---|---|---:|---:|---:|---:|---|")
for (const r of data.results) {
  const first = r.sides[0]?.name
  r.sides.forEach((s, i) => {
    // a ratio of the first side sits on the other side's row; any other on its own side's row, naming the other
    const ratio = r.ratios.flatMap((x) =>
      x.of === first && x.to === s.name ? [x.ratio.toFixed(2)] : x.of !== first && x.of === s.name ? [`${x.ratio.toFixed(2)} (this / ${x.to})`] : []
    ).join("; ")
    lines.push(`| ${i === 0 ? `${r.id}: ${r.title}` : ""} | ${s.name} | ${r.unit} | ${fmt(s.median)} | ${fmt(s.min)} | ${fmt(s.max)} | ${ratio} | ${i === 0 ? verdict(r) : ""} |`)
  })
}
if (data.failures.length > 0) {
  lines.push("")
  lines.push("Failures:")
  lines.push("")
  for (const f of data.failures) {
    const error = f.error.length > 300 ? `${f.error.slice(0, 300)}...` : f.error
    lines.push(`- scenario ${f.scenario}, ${f.side}${f.runs !== undefined ? ` (${f.runs} run${f.runs === 1 ? "" : "s"} failed; the median is over the others)` : ""}: \`${error}\``)
  }
}

const docPath = path.join(root, "docs", "BENCHMARKS.md")
const begin = `<!-- FIGURES ${path.basename(source)} BEGIN -->`
const end = `<!-- FIGURES ${path.basename(source)} END -->`
const block = `${begin}\n${lines.join("\n")}\n${end}`
let doc = fs.existsSync(docPath) ? fs.readFileSync(docPath, "utf8") : "# Benchmarks\n"
const at = doc.indexOf(begin)
doc = at >= 0 ? doc.slice(0, at) + block + doc.slice(doc.indexOf(end) + end.length) : `${doc.trimEnd()}\n\n${block}\n`
fs.writeFileSync(docPath, doc)
process.stdout.write(`wrote ${path.relative(root, docPath)} from ${path.relative(root, source)}\n`)
