/**
 * Reference of scenario 1: the same bytes through a plain node:net socket pair between two processes.
 */
import * as net from "node:net"
import { spawnWithPort, waitExit } from "./util.ts"

/** Receives `total` bytes from a raw sender process; returns MB/s. */
export const rawThroughput = async (chunkPath: string, total: number): Promise<number> => {
  const { child, line } = await spawnWithPort("bench/scenarios/raw-sender.ts", [chunkPath, String(total)])
  const port = Number(line)
  const started = performance.now()
  const received = await new Promise<number>((resolve, reject) => {
    let n = 0
    const socket = net.connect(port, "127.0.0.1")
    socket.on("data", (d) => {
      n += d.length
    })
    socket.on("end", () => resolve(n))
    socket.on("error", reject)
  })
  const seconds = (performance.now() - started) / 1000
  await waitExit(child)
  if (received !== total) throw new Error(`raw: received ${received} of ${total} bytes`)
  return total / 1e6 / seconds
}
