/**
 * Plain-socket clients that decode nothing (scenarios 1 and 3): they write request bytes built once
 * with the project's codecs, and follow the replies by segment payload bytes alone, so the process at
 * the other end is measured against the socket, not against our own client.
 */
import type * as cp from "node:child_process"
import * as net from "node:net"
import type { Measured } from "../harness.ts"
import { CpuWindow } from "./util.ts"
import { PayloadCounter } from "./wire.ts"

/** What a plain client sends and expects: the handshake proposal (as segments) and its reply's payload bytes. */
export interface Opening {
  readonly handshake: Uint8Array
  readonly handshakeReplyBytes: number
}

/** Connects, handshakes (waiting for the reply's bytes), then runs `timed` with the socket's data going to `counter`. */
const connected = async (port: number, opening: Opening, counter: PayloadCounter): Promise<net.Socket> => {
  const socket = net.connect(port, "127.0.0.1")
  socket.setNoDelay(true)
  await new Promise<void>((resolve, reject) => {
    socket.on("data", (d) => {
      counter.push(d)
      if (counter.bytes[0]! >= opening.handshakeReplyBytes) resolve()
    })
    socket.once("error", reject)
    socket.once("close", () => reject(new Error("plain client: closed during the handshake")))
    socket.write(opening.handshake)
  })
  socket.removeAllListeners("data")
  socket.removeAllListeners("close")
  return socket
}

/**
 * Scenario 1, our responder alone: after the handshake, writes a block-fetch request and counts the
 * reply's block-fetch payload bytes until `replyBytes` arrived, `times` times one after the other.
 * Returns MB/s of `blockBytes` (the blocks' own bytes in all the replies, as the stack's side counts
 * them) and the CPU per block (`blocks` in all) of each side.
 */
export const requestCounted = async (
  server: cp.ChildProcess,
  serverName: string,
  port: number,
  opening: Opening,
  request: Uint8Array,
  replyBytes: number,
  times: number,
  blockBytes: number,
  blocks: number
): Promise<Measured> => {
  const counter = new PayloadCounter()
  const socket = await connected(port, opening, counter)
  const cpu = new CpuWindow(server)
  await cpu.begin()
  const started = performance.now()
  const total = replyBytes * times
  await new Promise<void>((resolve, reject) => {
    let next = replyBytes
    socket.on("data", (d) => {
      counter.push(d)
      if (counter.bytes[3]! < next) return
      if (counter.bytes[3]! >= total) return resolve()
      next += replyBytes
      socket.write(request)
    })
    socket.once("error", reject)
    socket.once("close", () => reject(new Error(`plain client: closed after ${counter.bytes[3]} of ${total} bytes`)))
    socket.write(request)
  })
  const seconds = (performance.now() - started) / 1000
  const used = await cpu.end()
  socket.destroy()
  if (counter.bytes[3]! !== total) throw new Error(`plain client: ${counter.bytes[3]} bytes, expected ${total}`)
  return { value: blockBytes / 1e6 / seconds, cpu: { client: used.local / blocks, [serverName]: used.remote / blocks } }
}

/**
 * Scenario 3's ping-pong: after the handshake, writes chain-sync `request` (one RequestNext, as a
 * segment) `window` at a time, and counts an answer each time the chain-sync payload bytes pass the
 * end of the next recorded answer (`answerBytes`, in order). Returns answers/s (the first answer, the
 * roll back to the origin, is not a header and is not counted) and the CPU per header of each side.
 */
export const pingPong = async (
  server: cp.ChildProcess,
  serverName: string,
  port: number,
  opening: Opening,
  request: Uint8Array,
  answerBytes: ReadonlyArray<number>,
  window: number
): Promise<Measured> => {
  const total = answerBytes.length
  const ends = new Float64Array(total)
  let sum = 0
  answerBytes.forEach((n, i) => {
    sum += n
    ends[i] = sum
  })
  const counter = new PayloadCounter()
  const socket = await connected(port, opening, counter)
  const requests = (n: number) => {
    const b = Buffer.allocUnsafe(request.length * n)
    for (let i = 0; i < n; i++) b.set(request, i * request.length)
    return b
  }
  const cpu = new CpuWindow(server)
  await cpu.begin()
  const started = performance.now()
  await new Promise<void>((resolve, reject) => {
    let requested = Math.min(window, total)
    let received = 0
    socket.on("data", (d) => {
      counter.push(d)
      const got = counter.bytes[2]!
      while (received < total && got >= ends[received]!) received++
      if (received === total) return resolve()
      const more = Math.min(total, received + window) - requested
      if (more > 0) {
        requested += more
        socket.write(more === 1 ? request : requests(more))
      }
    })
    socket.once("error", reject)
    socket.once("close", () => reject(new Error(`ping-pong: closed after ${received} of ${total} answers`)))
    socket.write(requests(requested))
  })
  const seconds = (performance.now() - started) / 1000
  const used = await cpu.end()
  socket.destroy()
  const headers = total - 1
  return { value: headers / seconds, cpu: { client: used.local / headers, [serverName]: used.remote / headers } }
}
