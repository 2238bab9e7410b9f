/**
 * What a process allocates, and where, garbage included: as a preload (`--import`), the inspector's
 * sampling heap profiler with the objects collected by minor and major GCs kept, sampling every 512
 * bytes from HEAP_SAMPLE_FROM to HEAP_SAMPLE_TO ms after the start (defaults 3 500 and 5 500), the
 * profile written to HEAP_SAMPLE_OUT (default /tmp/heap-sample.json). Run as a script, it sums a
 * profile's sampled bytes by the allocating function:
 * `node --import ./bench/heap-sample.ts --conditions=@pallas-network2/source bench/probes.ts answer 20000 10`
 * then `node bench/heap-sample.ts /tmp/heap-sample.json [TOP]` (docs/BENCHMARKS.md, item 43).
 */
import * as fs from "node:fs"
import { Session } from "node:inspector/promises"
import { pathToFileURL } from "node:url"

interface Node {
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number }
  readonly selfSize: number
  readonly children: ReadonlyArray<Node>
}

const summarise = (file: string, top: number): void => {
  const { head } = JSON.parse(fs.readFileSync(file, "utf8")) as { head: Node }
  const bytes = new Map<string, number>()
  let total = 0
  const walk = (node: Node) => {
    const f = node.callFrame
    const name = `${f.functionName || "(anonymous)"} ${f.url.replace(/.*\/(packages|node_modules)\//, "")}:${f.lineNumber + 1}`
    if (node.selfSize > 0) {
      bytes.set(name, (bytes.get(name) ?? 0) + node.selfSize)
      total += node.selfSize
    }
    for (const child of node.children) walk(child)
  }
  walk(head)
  console.log(`${(total / 1e6).toFixed(1)} MB sampled`)
  for (const [name, n] of [...bytes].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    console.log(`${(100 * n / total).toFixed(1).padStart(5)}% ${name}`)
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  summarise(process.argv[2]!, Number(process.argv[3] ?? 30))
} else {
  const session = new Session()
  session.connect()
  await session.post("HeapProfiler.enable")
  const from = Number(process.env.HEAP_SAMPLE_FROM ?? 3_500)
  const to = Number(process.env.HEAP_SAMPLE_TO ?? 5_500)
  setTimeout(() => {
    void session.post("HeapProfiler.startSampling", {
      samplingInterval: 512,
      includeObjectsCollectedByMajorGC: true,
      includeObjectsCollectedByMinorGC: true
    })
  }, from).unref()
  setTimeout(async () => {
    const { profile } = await session.post("HeapProfiler.stopSampling")
    fs.writeFileSync(process.env.HEAP_SAMPLE_OUT ?? "/tmp/heap-sample.json", JSON.stringify(profile))
    process.stderr.write("heap sample written\n")
  }, to).unref()
}
