/**
 * The client side of scenario 4, in its own process: one ConnectionPool (the stack under
 * TcpInterface) holding N node-to-node connections to one responder process on 127.0.0.1. Each
 * connection handshakes, follows chain-sync until the responder says MsgAwaitReply (waiting at the
 * tip), then sends a keep-alive every KEEPALIVE_MS (staggered) and checks each answer's cookie.
 *
 * Usage: node --expose-gc bench/scenarios/scale-client.ts PORT CONNECTIONS KEEPALIVE_MS
 *
 * Prints one JSON line when every connection waits at the tip:
 *   {"establishMs", "heapBefore", "heapAfter", "rssBefore", "rssAfter", "connections"}
 * then answers stdin lines: `lag` (event-loop delay since the last `lag`, keep-alives answered
 * meanwhile and the RSS now, as JSON), `quit`.
 *
 * Diagnostics (environment): SCALE_HANDSHAKE_ONLY=1 counts a connection ready at the handshake (no
 * chain-sync); SCALE_MEMORY_DETAIL=1 prints, at each measurement, memoryUsage, V8's heap statistics and
 * spaces and the count of anonymous 256 kB mappings (V8's pages, /proc/self/smaps), after two GCs and
 * again after a last-resort GC;
 * SCALE_HEAP_SNAPSHOT=DIR writes heap snapshots before connecting and once all are ready.
 */
import { Protocols } from "@pallas-network2/core"
import type { PeerId } from "@pallas-network2/core"
import * as Effect from "effect/Effect"
import * as fs from "node:fs"
import * as v8 from "node:v8"
import { monitorEventLoopDelay } from "node:perf_hooks"
import { commandLoop, poolClients, runSide } from "./poolClient.ts"

const { ChainSync, KeepAlive } = Protocols
const [portArg, countArg, intervalArg] = process.argv.slice(2)
const count = Number(countArg)
const keepAliveMs = Number(intervalArg)

const gc = (globalThis as { gc?: () => void }).gc
/**
 * Heap and RSS after two full GCs, then RSS again after a last-resort GC, which also makes V8 give back
 * the heap pages it keeps for reuse after a burst (what a low-memory notification does).
 */
const memory = () => {
  gc?.()
  gc?.()
  const m = process.memoryUsage()
  const detail = process.env.SCALE_MEMORY_DETAIL ? memoryDetail() : undefined
  ;(gc as unknown as ((o: object) => void) | undefined)?.({ type: "major", execution: "sync", flavor: "last-resort" })
  const rssReleased = process.memoryUsage().rss
  if (detail !== undefined) process.stderr.write(`client memory after two GCs: ${detail}\nthen after a last-resort GC: ${memoryDetail()}\n`)
  return { heap: m.heapUsed + m.external + m.arrayBuffers, rss: m.rss, rssReleased }
}

const mb = (n: number) => Math.round(n / 2 ** 20)
/** memoryUsage, V8's heap statistics and spaces, and the anonymous 256 kB mappings in smaps (Linux). */
const memoryDetail = (): string => {
  let pages = "smaps unreadable"
  try {
    const smaps = fs.readFileSync("/proc/self/smaps", "utf8")
    let count = 0
    let residentKb = 0
    let inPage = false
    for (const line of smaps.split("\n")) {
      const range = /^([0-9a-f]+)-([0-9a-f]+) \S+ \S+ \S+ \S+\s*$/.exec(line)
      if (range !== null) {
        inPage = parseInt(range[2]!, 16) - parseInt(range[1]!, 16) === 256 * 1024
        if (inPage) count++
      } else if (/^[0-9a-f]+-[0-9a-f]+ /.test(line)) inPage = false
      else if (inPage && line.startsWith("Rss:")) residentKb += Number(line.split(/\s+/)[1])
    }
    pages = `${count} anonymous 256 kB mappings, ${Math.round(residentKb / 1024)} MB of them resident`
  } catch {}
  return `memoryUsage (MB) ${JSON.stringify(Object.fromEntries(Object.entries(process.memoryUsage()).map(([k, v]) => [k, mb(v)])))}; ` +
    `V8 heap statistics (MB) ${JSON.stringify(Object.fromEntries(Object.entries(v8.getHeapStatistics()).map(([k, v]) => [k, mb(Number(v))])))}; ` +
    `V8 spaces [name, size, used] (MB) ${JSON.stringify(v8.getHeapSpaceStatistics().map((x) => [x.space_name, mb(x.space_size), mb(x.space_used_size)]))}; ${pages}`
}

interface Peer {
  readonly id: PeerId
  atTip: boolean
  cookie: number
  outstanding: boolean
}

const program = Effect.gen(function*() {
  let answered = 0
  const clients = yield* poolClients<Peer>({
    port: Number(portArg),
    count,
    prefix: "scale",
    make: (id) => ({ id, atTip: false, cookie: 0, outstanding: false }),
    onMessage: (p, m, _at, { fail, reached, send }) => {
      switch (m._tag) {
        case "MsgAcceptVersion":
          if (!process.env.SCALE_HANDSHAKE_ONLY) return send(p.id, ChainSync.make.requestNext())
          p.atTip = true
          return reached
        case "MsgRollBackward":
        case "MsgRollForward":
          return p.atTip ? Effect.void : send(p.id, ChainSync.make.requestNext())
        case "MsgAwaitReply":
          p.atTip = true
          return reached
        case "MsgKeepAliveResponse":
          p.outstanding = false
          answered++
          return m.cookie === p.cookie ? Effect.void : fail(`${p.id}: cookie ${m.cookie} for ${p.cookie}`)
        default:
          return Effect.void
      }
    }
  })
  const { peers, pool, send } = clients

  const before = memory()
  if (process.env.SCALE_HEAP_SNAPSHOT) v8.writeHeapSnapshot(`${process.env.SCALE_HEAP_SNAPSHOT}/before.heapsnapshot`)
  const establishMs = yield* clients.connectAll
  const after = memory()
  if (process.env.SCALE_HEAP_SNAPSHOT) v8.writeHeapSnapshot(`${process.env.SCALE_HEAP_SNAPSHOT}/after.heapsnapshot`)

  // keep-alives: every connection once per interval, spread over the interval
  const list = [...peers.values()]
  let next = 0
  const tick = Math.max(1, Math.floor(keepAliveMs / count))
  const perTick = Math.max(1, Math.round(count / (keepAliveMs / tick)))
  yield* Effect.forkScoped(Effect.forever(Effect.gen(function*() {
    for (let k = 0; k < perTick; k++) {
      const p = list[next]!
      next = (next + 1) % list.length
      if (p.outstanding) continue
      p.cookie = (p.cookie + 1) & 0xffff
      p.outstanding = true
      yield* send(p.id, KeepAlive.make.keepAlive(p.cookie))
    }
    yield* Effect.sleep(tick)
  })))

  process.stdout.write(JSON.stringify({
    establishMs,
    heapBefore: before.heap,
    heapAfter: after.heap,
    rssBefore: before.rss,
    rssAfter: after.rss,
    rssReleasedBefore: before.rssReleased,
    rssReleasedAfter: after.rssReleased,
    connections: (yield* pool.connections).length
  }) + "\n")

  const lag = monitorEventLoopDelay({ resolution: 1 })
  lag.enable()
  yield* commandLoop((line) => {
    if (line !== "lag") return
    process.stdout.write(JSON.stringify({
      p50: lag.percentile(50) / 1e6,
      p99: lag.percentile(99) / 1e6,
      max: lag.max / 1e6,
      keepAlivesAnswered: answered,
      rss: process.memoryUsage().rss,
      connections: peers.size
    }) + "\n")
    lag.reset()
    answered = 0
  })
}).pipe(Effect.scoped)

runSide(program)
