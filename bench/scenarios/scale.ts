/**
 * Scenario 4, one run: a fresh responder process (`responder-process.ts scale`) and a fresh client
 * process (`scale-client.ts`) with N connections. Measures the time until every connection waits at
 * the tip, the memory each side gained per connection (heap + external after a GC, and RSS), and the
 * event-loop delay of both sides over `measureMs` while keep-alives flow.
 */
import { json, lineChild, runAlone, sleep, stopChild } from "./util.ts"

/** One run's figures. */
export interface ScaleFigures {
  readonly establishSeconds: number
  readonly clientHeapPerConnection: number
  readonly clientRssPerConnection: number
  readonly responderHeapPerConnection: number
  readonly responderRssPerConnection: number
  /** RSS gained per connection once V8 gave back its spare heap pages (a last-resort GC). */
  readonly clientRssReleasedPerConnection: number
  readonly responderRssReleasedPerConnection: number
  /** RSS gained per connection at the end of the keep-alive window (memory the burst left behind returned or not). */
  readonly clientRssAfterWindowPerConnection: number
  readonly responderRssAfterWindowPerConnection: number
  readonly clientLagP99: number
  readonly responderLagP99: number
  readonly clientLagMax: number
  readonly responderLagMax: number
  readonly keepAlivesAnswered: number
}

/** Runs scenario 4 once. */
export const scaleRun = async (connections: number, keepAliveMs: number, measureMs: number): Promise<ScaleFigures> => {
  const nodeArgs = ["--expose-gc", ...(process.env.SCALE_NODE_FLAGS ?? "").split(" ").filter((f) => f !== "")]
  const responder = lineChild("bench/scenarios/responder-process.ts", ["scale", "20"], { nodeArgs, stderr: "inherit" })
  let client: ReturnType<typeof lineChild> | undefined
  try {
    const port = Number(await responder.next(30_000))
    await sleep(500) // let start-up garbage settle before the baseline
    const r0 = json(await responder.ask("mem"))
    client = lineChild("bench/scenarios/scale-client.ts", [String(port), String(connections), String(keepAliveMs)], { nodeArgs, stderr: "inherit" })
    const established = json(await client.next(120_000))
    if (established.connections !== connections) throw new Error(`${established.connections} of ${connections} connections`)
    const r1 = json(await responder.ask("mem"))
    await responder.ask("lag")
    await client.ask("lag")
    await sleep(measureMs)
    const rLag = json(await responder.ask("lag"))
    const cLag = json(await client.ask("lag"))
    if (cLag.keepAlivesAnswered === 0) throw new Error("no keep-alive was answered")
    return {
      establishSeconds: established.establishMs / 1000,
      clientHeapPerConnection: (established.heapAfter - established.heapBefore) / connections,
      clientRssPerConnection: (established.rssAfter - established.rssBefore) / connections,
      responderHeapPerConnection: (r1.heap - r0.heap) / connections,
      responderRssPerConnection: (r1.rss - r0.rss) / connections,
      clientRssReleasedPerConnection: (established.rssReleasedAfter - established.rssReleasedBefore) / connections,
      responderRssReleasedPerConnection: (r1.rssReleased - r0.rssReleased) / connections,
      clientRssAfterWindowPerConnection: (cLag.rss - established.rssBefore) / connections,
      responderRssAfterWindowPerConnection: (rLag.rss - r0.rss) / connections,
      clientLagP99: cLag.p99,
      responderLagP99: rLag.p99,
      clientLagMax: cLag.max,
      responderLagMax: rLag.max,
      keepAlivesAnswered: cLag.keepAlivesAnswered
    }
  } finally {
    if (client !== undefined) await stopChild(client.child, "quit")
    await stopChild(responder.child, "SIGTERM")
  }
}

// run alone: node bench/scenarios/scale.ts [CONNECTIONS] [KEEPALIVE_MS] [MEASURE_MS]
if (import.meta.url === `file://${process.argv[1]}`) {
  const [n, k, m] = process.argv.slice(2).map(Number)
  runAlone(() => scaleRun(n || 1000, k || 1000, m || 5000))
}
