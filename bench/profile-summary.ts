/**
 * Top self-time functions of V8 .cpuprofile files: `node bench/profile-summary.ts FILE... [--top 25]`;
 * with `--by-file`, self time summed per source file instead, idle time left out (a native function
 * counts as `native:NAME`).
 */
import * as fs from "node:fs"

const args = process.argv.slice(2)
const topAt = args.indexOf("--top")
const top = topAt >= 0 ? Number(args[topAt + 1]) : 25
const byFile = args.includes("--by-file")
const files = args.filter((a, i) => a !== "--top" && a !== "--by-file" && (topAt < 0 || i !== topAt + 1))

interface Node {
  readonly id: number
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number }
  readonly hitCount?: number
}

for (const file of files) {
  const profile = JSON.parse(fs.readFileSync(file, "utf8")) as { nodes: Array<Node>; samples: Array<number>; timeDeltas: Array<number> }
  const byId = new Map(profile.nodes.map((n) => [n.id, n]))
  const self = new Map<string, number>()
  let total = 0
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0
    const n = byId.get(id)!
    const url = n.callFrame.url.replace(/^file:\/\/\/work\/main\//, "").replace(/.*node_modules\//, "")
    const name = n.callFrame.functionName
    if (byFile && name === "(idle)") return
    const key = !byFile
      ? `${name || "(anonymous)"} ${url}:${n.callFrame.lineNumber + 1}`
      : url !== "" ? url : name.startsWith("(") ? name : `native:${name}`
    self.set(key, (self.get(key) ?? 0) + dt)
    total += dt
  })
  process.stdout.write(`\n${file}: ${(total / 1000).toFixed(0)} ms sampled${byFile ? " (idle left out), by file" : ""}\n`)
  for (const [key, t] of [...self].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    process.stdout.write(`${((100 * t) / total).toFixed(1).padStart(5)}%  ${key}\n`)
  }
}
