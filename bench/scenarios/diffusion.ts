/**
 * Scenario 7, diffusion: how long a new block takes from its producer to the relay's followers.
 *
 * - the upstream, in this process: the Responder over TCP serving a generated chain held in memory
 *   (what `serve --live` serves), a block appended every BLOCK_MS, the time of each append noted;
 * - one relay: `network2 relay --peer <upstream> --db <tmp> --per-ip-limit ...`, its own process;
 * - FOLLOWERS downstream followers: one process (diffusion-followers.ts) holding that many node-to-node
 *   connections to the relay over loopback TCP, each following chain-sync at the tip.
 *
 * For each block after the warm-up and each follower: the milliseconds from the append upstream to
 * the follower's MsgRollForward of that block (the relay gets the header, fetches and stores the
 * block, then announces it). Times are performance.timeOrigin + performance.now() in each process
 * (the same machine clock).
 *
 * Run alone: node --conditions=@pallas-network2/source bench/scenarios/diffusion.ts [FOLLOWERS] [BLOCKS] [BLOCK_MS]
 */
import "../sources.ts"
import { startResponder } from "@pallas-network2/cli/commands/DemoCommand"
import { type Block, ChainSource, GeneratedChain } from "@pallas-network2/core"
import * as Effect from "effect/Effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { json, lineChild, root, runAlone, sleep, stopChild } from "./util.ts"

const MAGIC = 764824073
const clock = () => performance.timeOrigin + performance.now()

/** One run's figures (milliseconds). */
export interface DiffusionFigures {
  readonly followers: number
  readonly blocks: number
  /** Over every (block, follower): median, 90th percentile, max. */
  readonly median: number
  readonly p90: number
  readonly max: number
  /** Per block, the time until the last follower had it; the median over the blocks. */
  readonly lastFollowerMedian: number
  /** Arrivals expected but not seen (a follower that never got a block). */
  readonly missing: number
}

const quantile = (xs: ReadonlyArray<number>, q: number): number => {
  if (xs.length === 0) return Number.NaN
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]!
}

/** The upstream in this process: a Responder over a memory chain on a free port, until `close`. */
const startUpstream = async (initial: ReadonlyArray<Block.ChainBlock>) => {
  const program = Effect.gen(function*() {
    const chain = yield* ChainSource.makeMemory(initial)
    return { chain, port: (yield* startResponder(chain, MAGIC)).port }
  })
  let release: () => void = () => {}
  const released = new Promise<void>((r) => (release = r))
  const ready = new Promise<{ chain: ChainSource.MemoryChain; port: number }>((resolve, reject) => {
    Effect.runPromise(Effect.scoped(Effect.gen(function*() {
      resolve(yield* program)
      yield* Effect.promise(() => released)
    }))).catch(reject)
  })
  const up = await ready
  return { ...up, close: release }
}

/** Runs scenario 7 once: FOLLOWERS followers, BLOCKS measured blocks (after 3 of warm-up) one every BLOCK_MS. */
export const diffusionRun = async (followers: number, blocks: number, blockMs: number): Promise<DiffusionFigures> => {
  const initialCount = 10
  const warmup = 3
  // bodies of up to 64 000 bytes, as `serve` generates by default
  const chain = GeneratedChain.generate({ blocks: initialCount + warmup + blocks, maxBodySize: 64_000, minBodySize: 1000 })
  const up = await startUpstream(chain.slice(0, initialCount))
  const db = fs.mkdtempSync(path.join(os.tmpdir(), "bench-diffusion-"))
  const relay = lineChild(path.join(root, "packages/cli/bin/network2.js"), [
    "relay", "--db", db, "--peer", `127.0.0.1:${up.port}`, "--port", "0", "--magic", String(MAGIC),
    "--per-ip-limit", String(followers + 10), "--hard-limit", String(followers + 50), "--soft-limit", String(followers + 40)
  ], { stdout: "log" })
  let downstream: ReturnType<typeof lineChild> | undefined
  try {
    const listening = await relay.waitFor(/listening on 127\.0\.0\.1:(\d+)/, 30_000)
    const relayPort = Number(listening[1])
    downstream = lineChild("bench/scenarios/diffusion-followers.ts", [String(relayPort), String(followers), String(initialCount - 1)])
    json(await downstream.next(120_000))
    const produced = new Map<number, number>()
    for (const b of chain.slice(initialCount)) {
      await sleep(blockMs)
      produced.set(b.blockNo, clock())
      await Effect.runPromise(up.chain.append(b))
    }
    const last = chain[chain.length - 1]!.blockNo
    downstream.child.stdin!.write(`report ${last}\n`)
    const report = json(await downstream.next(30_000)) as { arrivals: Record<string, ReadonlyArray<number>>; missing: number }
    const all: Array<number> = []
    const lastPerBlock: Array<number> = []
    let missing = 0
    for (const b of chain.slice(initialCount + warmup)) {
      const at = produced.get(b.blockNo)!
      const got = (report.arrivals[String(b.blockNo)] ?? []).map((t) => t - at)
      missing += followers - got.length
      all.push(...got)
      if (got.length > 0) lastPerBlock.push(Math.max(...got))
    }
    return {
      followers,
      blocks,
      median: quantile(all, 0.5),
      p90: quantile(all, 0.9),
      max: Math.max(...all),
      lastFollowerMedian: quantile(lastPerBlock, 0.5),
      missing
    }
  } finally {
    if (downstream !== undefined) await stopChild(downstream.child, "quit")
    await stopChild(relay.child, "SIGINT")
    up.close()
    fs.rmSync(db, { recursive: true, force: true })
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [n, b, ms] = process.argv.slice(2).map(Number)
  runAlone(() => diffusionRun(n || 100, b || 20, ms || 500))
}
