/**
 * The least a block-fetch server can do per block, in plain Node and no library
 * (`bench/probes.ts floor-serve`): a node:net server in its own process that answers the handshake
 * with one accept it built at start, and each request (a `MsgRequestRange` of the origin, as the
 * probe's plain client sends) with a batch of the real chunk's blocks repeated until RANGE_BYTES:
 * `[2]`, then `[4, #6.24(block)]` for each block (its head encoded once at start), then `[5]`, cut
 * into segments of 12 288 payload bytes with their headers and copied into a buffer of 256 kB,
 * written when full and refilled once the write completed (as our writer does). No driver, no effect,
 * no message objects. Prints its port on stdout, answers `cpu` on stdin, serves until killed.
 *
 * Usage: node bench/scenarios/floor-responder.ts CHUNK_PATH RANGE_BYTES [BATCH]
 *   BATCH: the bytes a write gathers before it goes (262 144, as our writer)
 *   FLOOR_SPIN_US (environment): busy microseconds before each write (0)
 */
import { Block, Protocols } from "@pallas-network2/core"
import * as fs from "node:fs"
import * as net from "node:net"
import { answerCpu } from "./util.ts"
import { PayloadCounter } from "./wire.ts"

const MAGIC = 764824073
const SDU = 12_288
const [chunkPath, rangeText, batchText] = process.argv.slice(2)
const BATCH = Number(batchText ?? 262_144)
/**
 * FLOOR_SPIN_US: microseconds of busy work before each write (0: none), standing in for the work a
 * heavier server does per write, to see whether the kernel's part grows with it (docs/BENCHMARKS.md,
 * item 44).
 */
const SPIN = Number(process.env.FLOOR_SPIN_US ?? 0)
const spin = (us: number) => {
  const until = performance.now() + us / 1000
  while (performance.now() < until) {
    // busy
  }
}
const blocks = Block.splitChunk(new Uint8Array(fs.readFileSync(chunkPath!)))
const rangeBytes = Number(rangeText)
const { BlockFetch, Handshake } = Protocols
const table = Handshake.n2nVersionTable({ magic: MAGIC })
const version = Math.max(...table.keys())
const accept = Handshake.protocol.encode(Handshake.make.accept(version, table.get(version)!))
const origin = { _tag: "Origin" } as const
const requestLength = BlockFetch.protocol.encode(BlockFetch.make.requestRange(origin as any, origin as any)).length
const started = performance.now()
const largest = blocks.reduce((n, b) => Math.max(n, b.length + 9), 0)

/** A responder's segments on `protocol`, cut as bytes are put in and gathered in one buffer. */
class SegmentWriter {
  /** Room for a batch and one more block of the chunk with its segments' headers. */
  buffer = new Uint8Array(BATCH + largest + 8 * (Math.ceil(largest / SDU) + 2) + 16)
  fill = 0
  /** Where the open segment's header is, and its payload so far (-1: none open). */
  private header = -1
  private payload = 0
  private readonly protocol: number
  constructor(protocol: number) {
    this.protocol = protocol
  }
  private open(): void {
    this.header = this.fill
    this.fill += 8
    this.payload = 0
  }
  close(): void {
    if (this.header < 0) return
    const b = this.buffer
    const h = this.header
    const time = Math.floor((performance.now() - started) * 1000) >>> 0
    b[h] = time >>> 24
    b[h + 1] = (time >>> 16) & 0xff
    b[h + 2] = (time >>> 8) & 0xff
    b[h + 3] = time & 0xff
    const word = 0x8000 | this.protocol
    b[h + 4] = word >> 8
    b[h + 5] = word & 0xff
    b[h + 6] = this.payload >> 8
    b[h + 7] = this.payload & 0xff
    this.header = -1
  }
  /** Copies `bytes` in, cutting segments; `true` once the buffer holds a batch's worth. */
  put(bytes: Uint8Array): boolean {
    let at = 0
    while (at < bytes.length) {
      if (this.header < 0) this.open()
      const n = Math.min(SDU - this.payload, bytes.length - at)
      if (n <= 16) for (let k = 0; k < n; k++) this.buffer[this.fill + k] = bytes[at + k]!
      else this.buffer.set(n === bytes.length ? bytes : bytes.subarray(at, at + n), this.fill)
      this.fill += n
      this.payload += n
      at += n
      if (this.payload === SDU) this.close()
    }
    return this.fill >= BATCH
  }
  /** The bytes written so far (the open segment closed), and a fresh start. */
  take(): Uint8Array {
    this.close()
    const out = this.buffer.subarray(0, this.fill)
    this.fill = 0
    return out
  }
}

/** The bytes before each block in `[4, #6.24(block)]`, as the codec writes them (a copy: its head is a view of a shared slab). */
const heads = blocks.map((b) => BlockFetch.protocol.encodePieces!(BlockFetch.make.block(b))[0]!.slice())

const serve = (socket: net.Socket) => {
  socket.setNoDelay(true)
  socket.on("error", () => {})
  const handshake = new SegmentWriter(0)
  const writer = new SegmentWriter(3)
  let streaming = false
  let pending = 0
  // one batch: the blocks from the chunk's first until RANGE_BYTES, each write waiting for the one before
  const stream = () => {
    streaming = true
    let sent = 0
    let i = 0
    writer.put(Uint8Array.of(0x81, 2))
    const more = () => {
      while (sent < rangeBytes) {
        const k = i
        i = (i + 1) % blocks.length
        sent += blocks[k]!.length
        writer.put(heads[k]!)
        if (writer.put(blocks[k]!)) {
          if (SPIN > 0) spin(SPIN)
          socket.write(writer.take(), more)
          return
        }
      }
      writer.put(Uint8Array.of(0x81, 5))
      socket.write(writer.take(), () => {
        streaming = false
        if (pending > 0) {
          pending--
          stream()
        }
      })
    }
    more()
  }
  // segments in (read by the bench's counter): the handshake proposal, then requests, each
  // `requestLength` bytes of block-fetch payload
  let answered = false
  let requests = 0
  const incoming = new (class extends PayloadCounter {
    protected override payload(protocol: number, d: Uint8Array, from: number, to: number): void {
      super.payload(protocol, d, from, to)
      if (protocol === 0 && !answered) {
        answered = true
        handshake.put(accept)
        socket.write(handshake.take())
      }
      while (this.bytes[3]! >= (requests + 1) * requestLength) {
        requests++
        if (streaming) pending++
        else stream()
      }
    }
  })()
  socket.on("data", (d: Buffer) => incoming.push(d))
}

const server = net.createServer(serve)
answerCpu()
process.on("SIGTERM", () => process.exit(0))
server.listen(0, "127.0.0.1", () => {
  const address = server.address() as net.AddressInfo
  process.stdout.write(`${address.port}\n`)
})
