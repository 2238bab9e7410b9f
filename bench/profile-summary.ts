/**
 * Top functions of V8 .cpuprofile files: `node bench/profile-summary.ts FILE... [--top 25] [--skip MS]
 * [--by-file | --inclusive]`. By default self time per function; with `--by-file`, self time summed per
 * source file instead, idle time left out (a native function counts as `native:NAME`); with
 * `--inclusive`, the time of the samples each function is on the stack of (each counted once a
 * sample), idle and `(program)` left out. `--skip MS` leaves out the first MS milliseconds of samples
 * (a process's start and its warm-up rounds).
 */
import * as fs from "node:fs"

const args = process.argv.slice(2)
const option = (name: string): string | undefined => {
  const at = args.indexOf(name)
  return at >= 0 ? args[at + 1] : undefined
}
const top = Number(option("--top") ?? 25)
const skip = Number(option("--skip") ?? 0) * 1000
const byFile = args.includes("--by-file")
const inclusive = args.includes("--inclusive")
const files = args.filter((a, i) => !a.startsWith("--") && args[i - 1] !== "--top" && args[i - 1] !== "--skip")

interface Node {
  readonly id: number
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number }
  readonly children?: ReadonlyArray<number>
}

for (const file of files) {
  const profile = JSON.parse(fs.readFileSync(file, "utf8")) as { nodes: Array<Node>; samples: Array<number>; timeDeltas: Array<number> }
  const byId = new Map(profile.nodes.map((n) => [n.id, n]))
  const parent = new Map<number, number>()
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id)
  const urlOf = (n: Node) => n.callFrame.url.replace(/^file:\/\/\/work\/main\//, "").replace(/.*node_modules\//, "")
  const functionOf = (n: Node) => `${n.callFrame.functionName || "(anonymous)"} ${urlOf(n)}:${n.callFrame.lineNumber + 1}`
  const times = new Map<string, number>()
  let total = 0
  let at = 0
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0
    at += dt
    if (at < skip) return
    const n = byId.get(id)!
    const name = n.callFrame.functionName
    if ((byFile || inclusive) && name === "(idle)") return
    if (inclusive && name === "(program)") return
    total += dt
    if (inclusive) {
      const seen = new Set<string>()
      for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
        const key = functionOf(byId.get(cur)!)
        if (seen.has(key)) continue
        seen.add(key)
        times.set(key, (times.get(key) ?? 0) + dt)
      }
      return
    }
    const url = urlOf(n)
    const key = !byFile ? functionOf(n) : url !== "" ? url : name.startsWith("(") ? name : `native:${name}`
    times.set(key, (times.get(key) ?? 0) + dt)
  })
  const how = inclusive ? "inclusive, idle left out" : byFile ? "idle left out, by file" : "self"
  process.stdout.write(`\n${file}: ${(total / 1000).toFixed(0)} ms sampled${skip > 0 ? ` after the first ${skip / 1000} ms` : ""} (${how})\n`)
  for (const [key, t] of [...times].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    process.stdout.write(`${((100 * t) / total).toFixed(1).padStart(5)}%  ${key}\n`)
  }
}
