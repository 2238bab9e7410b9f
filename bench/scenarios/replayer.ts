/**
 * A plain node:net server that replays recorded responder bytes at socket speed (scenarios 1-3): it
 * loads scripts written by `wire.ts` (`writeScripts`), and on each connection answers every request
 * with the reply messages recorded for it, cut into segments once at load (12 288-byte payloads, as
 * the responder sends them). The first request of a connection (the handshake proposal) picks the
 * script whose first request has the same bytes; after that, each mini-protocol's requests are
 * matched in order by their bytes alone (no message is decoded). A request that matches nothing is
 * dropped and counted (printed on stderr when the connection closes). Prints its port on stdout,
 * answers `cpu` on stdin, serves until killed.
 *
 * Usage: node bench/scenarios/replayer.ts SCRIPTS_FILE
 */
import { Cbor } from "@pallas-network2/core"
import * as net from "node:net"
import { answerCpu } from "./util.ts"
import { readScripts, type Script, segments } from "./wire.ts"

interface Prepared {
  readonly protocol: number
  readonly request: Buffer
  /** Every reply message of the request, as segments, in one buffer. */
  readonly reply: Buffer
}

const prepare = (script: Script): Array<Prepared> =>
  script.map((e) => ({
    protocol: e.protocol,
    request: Buffer.from(e.request.buffer, e.request.byteOffset, e.request.length),
    reply: Buffer.concat(e.replies.map((r) => segments(r, e.protocol, true)))
  }))

const scripts = readScripts(process.argv[2]!).map(prepare)

const server = net.createServer((socket) => {
  socket.setNoDelay(true)
  let script: Array<Prepared> | undefined
  // per protocol: its entries in order, the next one's index, the bytes received not yet matched
  const byProtocol = new Map<number, { entries: Array<Prepared>; next: number; buf: Buffer }>()
  let unmatched = 0
  const choose = (first: Buffer): boolean => {
    script = scripts.find((s) => s[0]!.request.equals(first.subarray(0, s[0]!.request.length)))
    if (script === undefined) return false
    for (const e of script) {
      const p = byProtocol.get(e.protocol) ?? { entries: [], next: 0, buf: Buffer.alloc(0) }
      p.entries.push(e)
      byProtocol.set(e.protocol, p)
    }
    return true
  }
  // segment framing only: payload bytes per protocol, matched against the recorded requests as they are
  let header = Buffer.alloc(0)
  let left = 0
  let protocol = 0
  const out: Array<Buffer> = []
  const payload = (p: number, bytes: Buffer) => {
    if (script === undefined && !choose(bytes)) {
      unmatched++
      return
    }
    const s = byProtocol.get(p)
    if (s === undefined) {
      unmatched++
      return
    }
    s.buf = s.buf.length === 0 ? bytes : Buffer.concat([s.buf, bytes])
    while (s.buf.length > 0) {
      const e = s.entries[s.next]
      if (e !== undefined && s.buf.length >= e.request.length && s.buf.subarray(0, e.request.length).equals(e.request)) {
        s.buf = s.buf.subarray(e.request.length)
        s.next++
        if (e.reply.length > 0) out.push(e.reply)
        continue
      }
      if (e !== undefined && s.buf.length < e.request.length && e.request.subarray(0, s.buf.length).equals(s.buf)) break
      // not the expected request: drop one whole message if it is there, else wait for more bytes
      const end = Cbor.itemEnd(s.buf, 0)
      if (end < 0) break
      unmatched++
      s.buf = s.buf.subarray(end)
    }
  }
  socket.on("data", (d) => {
    let at = 0
    while (at < d.length) {
      if (left === 0) {
        const need = 8 - header.length
        const take = d.subarray(at, at + need)
        header = header.length === 0 ? take : Buffer.concat([header, take])
        at += take.length
        if (header.length < 8) break
        protocol = header.readUInt16BE(4) & 0x7fff
        left = header.readUInt16BE(6)
        header = Buffer.alloc(0)
        continue
      }
      const n = Math.min(left, d.length - at)
      payload(protocol, d.subarray(at, at + n))
      left -= n
      at += n
    }
    if (out.length === 1) socket.write(out[0]!)
    else if (out.length > 1) socket.write(Buffer.concat(out))
    out.length = 0
  })
  socket.on("error", () => {})
  socket.on("close", () => {
    if (unmatched > 0) process.stderr.write(`  replayer: ${unmatched} request message(s) matched no recorded request\n`)
  })
})

answerCpu()
process.on("SIGTERM", () => process.exit(0))
server.listen(0, "127.0.0.1", () => {
  process.stdout.write(`${(server.address() as net.AddressInfo).port}\n`)
})
