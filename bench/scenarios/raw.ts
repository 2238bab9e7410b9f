/**
 * Reference of scenario 1: the same bytes through a plain node:net socket pair between two processes,
 * timed as the stack is: the sender process is started and the socket connected before the clock
 * starts; the clock runs from the request (one byte) to the last byte received.
 */
import type * as cp from "node:child_process"
import * as net from "node:net"
import { CpuWindow } from "./util.ts"

/** One transfer of `total` bytes from a running `raw-sender.ts` process. */
export const rawTransfer = async (
  sender: cp.ChildProcess,
  port: number,
  total: number
): Promise<{ readonly seconds: number; readonly local: number; readonly remote: number }> => {
  const socket = net.connect(port, "127.0.0.1")
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", resolve)
    socket.once("error", reject)
  })
  const cpu = new CpuWindow(sender)
  await cpu.begin()
  const started = performance.now()
  const received = await new Promise<number>((resolve, reject) => {
    let n = 0
    socket.on("data", (d) => {
      n += d.length
    })
    socket.on("end", () => resolve(n))
    socket.on("error", reject)
    socket.write(Buffer.from([0]))
  })
  const seconds = (performance.now() - started) / 1000
  const used = await cpu.end()
  socket.destroy()
  if (received !== total) throw new Error(`raw: received ${received} of ${total} bytes`)
  return { seconds, ...used }
}
