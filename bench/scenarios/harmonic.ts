/**
 * Scenario 2, the independent side: `@harmoniclabs/ouroboros-miniprotocols-ts` (as in
 * packages/cli/test/support/harmonicClient.ts) fetching the whole chunk with one RequestRange,
 * `repeat` times one after the other.
 */
import {
  BlockFetchClient,
  HandshakeAcceptVersion,
  HandshakeClient,
  Multiplexer,
  VersionData
} from "@harmoniclabs/ouroboros-miniprotocols-ts"
import type * as cp from "node:child_process"
import * as net from "node:net"
import type { Point } from "@pallas-network2/core/protocol/Common"
import type { Measured } from "../harness.ts"
import { CpuWindow } from "./util.ts"

const toChainPoint = (p: Point) => p._tag === "Origin" ? {} : { blockHeader: { slotNumber: p.slot, hash: p.hash } }

/** blocks/s for fetching `from`..`to` (`count` blocks) `repeat` times, and the CPU per block of each process. */
export const harmonicBlocks = async (
  server: cp.ChildProcess,
  serverName: string,
  port: number,
  magic: number,
  from: Point,
  to: Point,
  count: number,
  repeat: number,
  timeoutMillis = 20_000
): Promise<Measured> => {
  const errors: Array<string> = []
  const mplexer = new Multiplexer({
    protocolType: "node-to-node",
    connect: () => net.connect({ host: "127.0.0.1", port }) as never
  })
  mplexer.on("error", (e: Error) => {
    errors.push(e.message)
  })
  try {
    const hs = new HandshakeClient(mplexer)
    // its own version table (n2n 7-14) with this version data, query off (a table object of VersionData is not accepted by 0.0.4)
    const reply = await hs.propose(
      new VersionData({ networkMagic: magic, initiatorOnlyDiffusionMode: false, peerSharing: false, query: false })
    )
    hs.terminate()
    if (!(reply instanceof HandshakeAcceptVersion)) throw new Error(`harmonic handshake: ${reply?.constructor?.name}`)
    const client = new BlockFetchClient(mplexer)
    client.on("error", (e: Error) => {
      errors.push(e.message)
    })
    const cpu = new CpuWindow(server)
    await cpu.begin()
    const started = performance.now()
    for (let r = 0; r < repeat; r++) {
      const blocks = await withTimeout(client.requestRange(toChainPoint(from) as never, toChainPoint(to) as never), timeoutMillis, errors)
      if (!Array.isArray(blocks)) throw new Error(`harmonic requestRange answered ${String(blocks?.constructor?.name)}; errors: ${errors.join("; ")}`)
      if (blocks.length !== count) throw new Error(`harmonic: ${blocks.length} of ${count} blocks; errors: ${errors.join("; ")}`)
    }
    const seconds = (performance.now() - started) / 1000
    const used = await cpu.end()
    client.done()
    const blocks = count * repeat
    return { value: blocks / seconds, cpu: { client: used.local / blocks, [serverName]: used.remote / blocks } }
  } finally {
    mplexer.close()
  }
}

const withTimeout = <A>(p: Promise<A>, millis: number, errors: Array<string>): Promise<A> =>
  new Promise<A>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`harmonic: no answer in ${millis} ms; errors: ${errors.join("; ") || "none"}`)), millis)
    p.then((a) => {
      clearTimeout(t)
      resolve(a)
    }, (e) => {
      clearTimeout(t)
      reject(e)
    })
  })
