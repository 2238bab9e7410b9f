/**
 * The reference side of the mux throughput scenario: a plain node:net server in its own process that,
 * on each connection, waits for the client's request (any byte), then writes `total` bytes of the
 * real chunk (repeated) as fast as the socket takes them and ends the connection. Prints its port on
 * stdout, answers `cpu` on stdin, serves until killed.
 *
 * Usage: node bench/scenarios/raw-sender.ts CHUNK_PATH TOTAL_BYTES
 */
import * as fs from "node:fs"
import * as net from "node:net"
import { answerCpu } from "./util.ts"

const [chunkPath, totalText] = process.argv.slice(2)
const chunk = fs.readFileSync(chunkPath!)
const total = Number(totalText)

const server = net.createServer((socket) => {
  let sent = 0
  const pump = () => {
    while (sent < total) {
      const n = Math.min(chunk.length, total - sent)
      sent += n
      if (!socket.write(n === chunk.length ? chunk : chunk.subarray(0, n))) {
        socket.once("drain", pump)
        return
      }
    }
    socket.end()
  }
  socket.once("data", pump)
  socket.on("error", () => {})
})
answerCpu()
process.on("SIGTERM", () => process.exit(0))
server.listen(0, "127.0.0.1", () => {
  const address = server.address() as net.AddressInfo
  process.stdout.write(`${address.port}\n`)
})
