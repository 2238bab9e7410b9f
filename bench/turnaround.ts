/**
 * A preload that times each process's turnaround: from the moment a read's bytes reach JavaScript
 * (pushed into a stream socket, as Node does before `data` events and `read()`: effect/socket's
 * accepted connections, the plain-socket processes; or the `onread` callback of a dialled
 * TcpInterface connection) to the next `write` on any socket. One at a time, that is the
 * part of a round trip spent in the process between its read and its answer; the rest is the
 * kernel, the wake-ups and what the process does outside that window. Percentiles of the last
 * 40 000 turnarounds are printed to stderr with the script's name as the process ends (SIGTERM
 * too). Used for docs/BENCHMARKS.md item 45:
 * `NODE_OPTIONS="--import ./bench/turnaround.ts" node --conditions=@pallas-network2/source bench/probes.ts chain-sync 20000 1`
 */
import { createRequire } from "node:module"

// the CommonJS object (the ES namespace of a builtin is read-only); patched before any library loads
const net = createRequire(import.meta.url)("node:net") as typeof import("node:net") & Record<string, unknown>

let readAt = -1
const turnarounds: Array<number> = []
const sawRead = () => {
  if (readAt < 0) readAt = performance.now()
}

// a stream socket's read (either mode: `data` events or `read()`) is pushed into it first
const push = net.Socket.prototype.push as (...args: Array<unknown>) => boolean
net.Socket.prototype.push = function(this: import("node:net").Socket, ...args: Array<unknown>) {
  if (args[0] !== null) sawRead()
  return push.apply(this, args)
}
const write = net.Socket.prototype.write as (...args: Array<unknown>) => boolean
net.Socket.prototype.write = function(this: import("node:net").Socket, ...args: Array<unknown>) {
  if (readAt >= 0) {
    turnarounds.push(performance.now() - readAt)
    readAt = -1
  }
  return write.apply(this, args)
} as typeof net.Socket.prototype.write
const createConnection = net.createConnection as (options: unknown, ...rest: Array<unknown>) => unknown
net.createConnection = function(this: unknown, options: unknown, ...rest: Array<unknown>) {
  const onread = (options as { onread?: { callback?: (n: number, buffer: Uint8Array) => unknown } } | null)?.onread
  if (onread?.callback !== undefined) {
    const callback = onread.callback
    options = { ...(options as object), onread: { ...onread, callback: (n: number, buffer: Uint8Array) => (sawRead(), callback(n, buffer)) } }
  }
  return createConnection.call(this, options, ...rest)
} as typeof net.createConnection

let reported = false
const report = () => {
  if (reported) return
  reported = true
  const xs = turnarounds.slice(-40_000).sort((a, b) => a - b)
  const at = (p: number) => xs.length === 0 ? "-" : (xs[Math.floor(p * (xs.length - 1))]! * 1000).toFixed(1)
  process.stderr.write(
    `[${process.argv[1]?.split("/").pop()}] read -> write: ${turnarounds.length} turnarounds, p10 ${at(0.1)} / p50 ${at(0.5)} / p90 ${at(0.9)} µs\n`
  )
}
process.on("exit", report)
process.on("SIGTERM", () => {
  report()
  process.exit(0)
})
