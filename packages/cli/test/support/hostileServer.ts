/**
 * A misbehaving node-to-node server of the project's own, for the initiator's hostile-server suite
 * (issue 17): it listens on 127.0.0.1 and runs a script per connection that speaks raw bytes. The
 * bytes it writes are built with the project's codecs (genuine segments and messages) or broken on
 * purpose; what the client sends is read back per channel and decoded, so a script can wait for a
 * request and answer it (or not). Beside it: the shared chunk's blocks for real headers and bodies,
 * and a runner for the `network2` command as a child process that samples its RSS and CPU time from
 * /proc while it runs.
 */
import { Block, Cbor, type Message, Protocols, Segment } from "@pallas-network2/core"
import type { Point, Tip } from "@pallas-network2/core/protocol/Common"
import * as cp from "node:child_process"
import * as fs from "node:fs"
import * as net from "node:net"
import * as path from "node:path"
import { vectorsAvailable, vectorsDir } from "../../../core/test/utils/vectors.ts"
import { startCollecting } from "./process.ts"

type AnyProtocol = Protocols.Protocol.Protocol<any>

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))

/** Waits until `ok()` holds, polling; rejects after `ms` naming `what`. */
export const waitFor = async (what: string, ok: () => boolean, ms: number): Promise<void> => {
  const until = Date.now() + ms
  while (!ok()) {
    if (Date.now() > until) throw new Error(`timed out after ${ms} ms waiting for ${what}`)
    await sleep(10)
  }
}

/** The pieces joined in one Buffer. */
export const concat = (pieces: ReadonlyArray<Uint8Array>): Buffer =>
  Buffer.concat(pieces.map((p) => Buffer.from(p.buffer, p.byteOffset, p.byteLength)))

/**
 * Adds a segment's payload to what `buffers` holds for its channel and hands each whole message it
 * completes to `onMessage`, in order; keeps the rest for the next segment. Throws on an undecodable message.
 */
export const reassemble = (
  buffers: Map<number, Uint8Array>,
  channel: number,
  protocol: AnyProtocol,
  payload: Uint8Array,
  onMessage: (m: Message) => void
): void => {
  const before = buffers.get(channel)
  const buffer = before === undefined || before.length === 0 ? Buffer.from(payload) : concat([before, payload])
  let pos = 0
  while (pos < buffer.length) {
    const end = Cbor.itemEnd(buffer, pos)
    if (end < 0) break
    const decoded = protocol.decode(buffer.subarray(pos, end))
    if (decoded._tag === "Failure") throw new Error(`undecodable ${protocol.name} message: ${decoded.failure.detail}`)
    onMessage(decoded.success as Message)
    pos = end
  }
  buffers.set(channel, buffer.subarray(pos))
}

/** A raw segment header: any channel, any mode bit, any length. */
export const header = (channel: number, fromResponder: boolean, length: number): Uint8Array => {
  const h = new Uint8Array(Segment.HEADER_LENGTH)
  Segment.writeHeader(h, 0, 0, fromResponder, channel, length)
  return h
}

/** A whole segment: header and payload. */
export const segment = (channel: number, fromResponder: boolean, payload: Uint8Array): Buffer =>
  concat([header(channel, fromResponder, payload.length), payload])

/** A message as segments of `sduSize` payload bytes (as our responder, unless said otherwise). */
export const segmentsOf = (protocol: AnyProtocol, message: Message, options: { fromResponder?: boolean; sduSize?: number } = {}): Buffer =>
  concat(Segment.cut(protocol.encode(message), protocol.channel, options.fromResponder ?? true, options.sduSize ?? 12_288, 0))

const byChannel = new Map<number, AnyProtocol>(Protocols.NodeToNode.protocols.map((p) => [p.channel, p]))

/**
 * What one raw connection read from its peer: the segments of the peer's side (a client's initiator
 * halves, or a server's responder halves; a client's other halves are a fault, a server's are not ours
 * to read), reassembled and decoded per channel with the project's codecs; `recv` waits for the next
 * message on a channel, with a deadline. The first thing it could not read is kept as its `fault` and
 * fails every later `recv`.
 */
export class Inbox {
  fault: string | undefined
  private readonly reader = new Segment.SegmentReader()
  private readonly buffers = new Map<number, Uint8Array>()
  private readonly boxes = new Map<number, Array<Message>>()
  private readonly waiters = new Set<() => void>()
  private readonly reading: "client" | "server"
  private readonly protocols: ReadonlyMap<number, AnyProtocol>
  private readonly closed: () => boolean
  private readonly closedError: (channel: number) => Error
  private readonly take: ((m: Message) => boolean) | undefined

  /** `take` sees each message first; `true` keeps it out of the inbox. */
  constructor(
    reading: "client" | "server",
    protocols: ReadonlyMap<number, AnyProtocol>,
    closed: () => boolean,
    closedError: (channel: number) => Error,
    take?: (m: Message) => boolean
  ) {
    this.reading = reading
    this.protocols = protocols
    this.closed = closed
    this.closedError = closedError
    this.take = take
  }

  /** Reads the bytes that arrived, then wakes whoever waits. */
  push(bytes: Uint8Array): void {
    try {
      for (const s of this.reader.push(bytes)) {
        if (s.fromResponder !== (this.reading === "server")) {
          if (this.reading === "server") continue
          throw new Error(`the client sent a segment marked as from a responder (channel ${s.protocol})`)
        }
        const protocol = this.protocols.get(s.protocol)
        if (protocol === undefined) throw new Error(`a segment on unexpected channel ${s.protocol}`)
        reassemble(this.buffers, s.protocol, protocol, s.payload, (m) => {
          if (this.take?.(m) === true) return
          let box = this.boxes.get(s.protocol)
          if (box === undefined) this.boxes.set(s.protocol, box = [])
          box.push(m)
        })
      }
    } catch (e) {
      this.fault ??= e instanceof Error ? e.message : String(e)
    }
    this.wake()
  }

  /** Wakes whoever waits (something arrived, or the connection closed). */
  wake(): void {
    for (const w of [...this.waiters]) w()
  }

  /** The next message the peer sent on `channel`; rejects when the connection closes first or after `ms`. */
  async recv<M extends Message = Message>(channel: number, ms = 10_000): Promise<M> {
    const until = Date.now() + ms
    while (true) {
      if (this.fault !== undefined) throw new Error(this.fault)
      const box = this.boxes.get(channel)
      if (box !== undefined && box.length > 0) return box.shift()! as M
      if (this.closed()) throw this.closedError(channel)
      const left = until - Date.now()
      if (left <= 0) throw new Error(`no message from the ${this.reading} on channel ${channel} within ${ms} ms`)
      await new Promise<void>((r) => {
        const w = () => {
          clearTimeout(t)
          this.waiters.delete(w)
          r()
        }
        const t = setTimeout(w, left)
        this.waiters.add(w)
      })
    }
  }
}

/**
 * One accepted connection, as a script sees it: raw writes with backpressure, decoded messages from
 * the client's initiator halves per channel, and small helpers for the parts a script keeps honest.
 */
export class Conn {
  readonly socket: net.Socket
  readonly opened = Date.now()
  /** When the client closed it or it failed (ms since epoch). */
  closedAt: number | undefined
  /** Every message the client sent, in order. */
  readonly received: Array<Message> = []
  /** Bytes we handed to the socket. */
  bytesWritten = 0
  /** Answer every MsgKeepAlive with its cookie. */
  keepAlive = false
  /** What the client sent, per channel (a segment we could not read is its fault: our reader's, or a client bug). */
  readonly inbox: Inbox
  private readonly closedWaiters: Array<() => void> = []

  constructor(socket: net.Socket) {
    this.socket = socket
    this.inbox = new Inbox("client", byChannel, () => this.closed, (channel) => new ConnClosed(channel), (m) => {
      this.received.push(m)
      if (!this.keepAlive || m._tag !== "MsgKeepAlive") return false
      void this.send(Protocols.KeepAlive.protocol, Protocols.KeepAlive.make.response((m as any).cookie))
      return true
    })
    socket.on("data", (d: Buffer) => this.inbox.push(new Uint8Array(d.buffer, d.byteOffset, d.byteLength)))
    socket.on("error", () => {})
    socket.on("close", () => {
      this.closedAt ??= Date.now()
      this.inbox.wake()
      this.closedWaiters.splice(0).forEach((f) => f())
    })
  }

  get closed(): boolean {
    if (this.closedAt === undefined && this.socket.destroyed) this.closedAt = Date.now()
    return this.closedAt !== undefined
  }

  /** Resolves when the connection has closed. */
  whenClosed(): Promise<void> {
    return this.closed ? Promise.resolve() : new Promise((r) => this.closedWaiters.push(r))
  }

  /** Writes bytes; resolves once the socket takes more (backpressure), or at once when closed. */
  write(bytes: Uint8Array): Promise<void> {
    // a macrotask, not a resolved promise: a script writing in a loop must let the socket's events in
    if (this.closed) return new Promise((r) => setImmediate(r))
    this.bytesWritten += bytes.length
    const more = this.socket.write(bytes)
    if (more) return Promise.resolve()
    return new Promise((r) => {
      const done = () => {
        this.socket.off("drain", done)
        this.socket.off("close", done)
        r()
      }
      this.socket.on("drain", done)
      this.socket.on("close", done)
    })
  }

  /** Sends a message as our responder half (genuine segments), or marked otherwise. */
  send(protocol: AnyProtocol, message: Message, options: { fromResponder?: boolean; sduSize?: number } = {}): Promise<void> {
    return this.write(segmentsOf(protocol, message, options))
  }

  /** The next message the client sent on `channel`; rejects when the connection closes first or after `ms`. */
  recv<M extends Message = Message>(channel: number, ms = 10_000): Promise<M> {
    return this.inbox.recv<M>(channel, ms)
  }

  /**
   * Waits for the client's proposal and accepts its highest version, echoing its version data (with
   * peer-sharing off and the initiator-only mode, so the client asks for nothing else); `tweak`
   * changes what is sent back (a version never proposed, another magic). Answers keep-alive from then on.
   */
  async acceptHandshake(tweak: (version: number, data: Protocols.Handshake.VersionData) => { version: number; data: Protocols.Handshake.VersionData } = (version, data) => ({ version, data })): Promise<number> {
    const propose = await this.recv<Protocols.Handshake.Message>(0)
    if (propose._tag !== "MsgProposeVersions") throw new Error(`handshake: the client sent ${propose._tag}`)
    const version = Math.max(...propose.versionTable.keys())
    const data = { ...propose.versionTable.get(version)!, peerSharing: 0, initiatorOnlyDiffusionMode: true }
    const reply = tweak(version, data)
    this.keepAlive = true
    await this.send(Protocols.Handshake.protocol, Protocols.Handshake.make.accept(reply.version, reply.data))
    return reply.version
  }

  /** Waits for the client's next chain-sync message of the given kind (skipping none: another kind is an error). */
  async expect<M extends Message = Message>(channel: number, tag: string, ms = 10_000): Promise<M> {
    const m = await this.recv<M>(channel, ms)
    if (m._tag !== tag) throw new Error(`expected ${tag} on channel ${channel}, the client sent ${m._tag}`)
    return m
  }

  /** How many messages of a kind the client sent so far. */
  count(tag: string, protocol?: string): number {
    return this.received.filter((m) => m._tag === tag && (protocol === undefined || m.protocol === protocol)).length
  }

  close(): void {
    this.socket.destroy()
  }
}

/** The client closed the connection while a script waited for a message. */
export class ConnClosed extends Error {
  constructor(channel: number) {
    super(`the client closed the connection while we waited on channel ${channel}`)
  }
}

/** A script run for each connection, in order; the last one is reused for later connections. */
export type Script = (conn: Conn, index: number) => Promise<void>

/** A listening hostile server. */
export interface HostileServer {
  readonly port: number
  /** `127.0.0.1:<port>`, the peer id the client uses. */
  readonly peer: string
  readonly connections: Array<Conn>
  /** Errors thrown by scripts (other than the client closing on them). */
  readonly scriptErrors: Array<string>
  close(): Promise<void>
}

/** Starts a server on a free 127.0.0.1 port running `script` on every connection. */
export const start = (script: Script): Promise<HostileServer> =>
  new Promise((resolve, reject) => {
    const connections: Array<Conn> = []
    const scriptErrors: Array<string> = []
    const server = net.createServer({ noDelay: true }, (socket) => {
      const conn = new Conn(socket)
      const index = connections.length
      connections.push(conn)
      script(conn, index).catch((e: unknown) => {
        if (!(e instanceof ConnClosed) && !conn.closed) scriptErrors.push(e instanceof Error ? e.message : String(e))
      })
    })
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const port = (server.address() as net.AddressInfo).port
      resolve({
        port,
        peer: `127.0.0.1:${port}`,
        connections,
        scriptErrors,
        close: () =>
          new Promise<void>((r) => {
            connections.forEach((c) => c.close())
            server.close(() => r())
          })
      })
    })
  })

// ---- chain material -----------------------------------------------------------------------------

export const chunkPath = path.join(vectorsDir, "chain", "01285.chunk")

/** The shared chunk's 864 blocks (empty without the shared vectors). */
export const loadChunk = (): ReadonlyArray<Block.ChainBlock> =>
  vectorsAvailable ? Block.splitChunk(new Uint8Array(fs.readFileSync(chunkPath))).map(Block.parse) : []

export { vectorsAvailable }

/** The tip at a block. */
export const tipOf = (b: Block.ChainBlock): Tip => ({ point: Block.pointOf(b), blockNo: b.blockNo })

/** The origin as a tip. */
export const originTip: Tip = { point: { _tag: "Origin" }, blockNo: 0 }

/** Where a 32-byte string starts in a block's body (a transaction input's id), or -1 (a block with no transaction). */
const bodyHashAt = (block: Block.ChainBlock): number => {
  const bytes = block.bytes
  for (let i = block.header.bytes.byteOffset - bytes.byteOffset + block.header.bytes.length; i + 34 <= bytes.length; i++) {
    if (bytes[i] === 0x58 && bytes[i + 1] === 0x20) return i
  }
  return -1
}

/** The first block at or after `from` whose body can be forged (it has a transaction). */
export const forgeableFrom = (chunk: ReadonlyArray<Block.ChainBlock>, from: number): number => {
  for (let i = from; i < chunk.length; i++) if (bodyHashAt(chunk[i]!) >= 0) return i
  throw new Error(`no block with a transaction from ${from}`)
}

/** The block with one byte of a 32-byte string in its body flipped: same header, same hash, forged body. */
export const forgeBody = (block: Block.ChainBlock): Uint8Array => {
  const at = bodyHashAt(block)
  if (at < 0) throw new Error(`block ${block.blockNo} has no transaction to forge`)
  const bytes = block.bytes.slice()
  bytes[at + 10]! ^= 0x01
  return bytes
}

/** A point nobody sent: the slot of `near`, a made-up hash. */
export const madeUpPoint = (near: Block.ChainBlock): Point => ({ _tag: "Specific", slot: near.slot, hash: new Uint8Array(32).fill(0xab) })

/** `MsgBlock` carrying `size` bytes that are not a block (the codec does not look inside). */
export const fillerBlock = (size: number): Message =>
  Protocols.BlockFetch.make.block(concat([new Uint8Array([0x82, 0x07]), Cbor.encode(new Uint8Array(size))]))

/** `SLOT.HASH` of a point, as the CLI takes it. */
export const pointArg = (p: Point): string => (p._tag === "Origin" ? "origin" : `${p.slot}.${Cbor.toHex(p.hash)}`)

// ---- the client as a process, with its RSS and CPU sampled --------------------------------------

/** One sample of a process: when (ms since epoch), resident set (kB), CPU time used so far (ms). */
export interface Sample {
  readonly at: number
  readonly rssKb: number
  readonly cpuMs: number
}

const ticksPerSecond = (() => {
  try {
    return Number(cp.execFileSync("getconf", ["CLK_TCK"]).toString().trim()) || 100
  } catch {
    return 100
  }
})()

/** RSS and CPU time of a live process, or `undefined` once it is gone. */
export const sampleOf = (pid: number): Sample | undefined => {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, "utf8")
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8")
    const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN)
    // fields after "pid (comm) ": state is field 3, utime 14, stime 15
    const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ")
    const cpuMs = ((Number(rest[11]) + Number(rest[12])) * 1000) / ticksPerSecond
    return Number.isFinite(rssKb) ? { at: Date.now(), rssKb, cpuMs } : undefined
  } catch {
    return undefined
  }
}

/** A `network2` run: its exit, output and samples. */
export interface CliRun {
  /** The exit code; `null` when we killed it. */
  readonly code: number | null
  readonly out: string
  readonly err: string
  readonly millis: number
  readonly samples: ReadonlyArray<Sample>
  /** The last sample at or before `at` (the first one when none is). */
  sampleAt(at: number): Sample | undefined
  /** The largest RSS sampled at or after `from`. */
  peakRssKb(from?: number): number
}

/**
 * Runs `network2 args` (Node's own binary, the environment inherited), sampling it every
 * `sampleEvery` ms; kills it after `killAfter` ms, or as soon as `until(out, err)` holds (asked after
 * each output chunk and at each sample).
 */
export const runCli = (
  args: ReadonlyArray<string>,
  options: { readonly killAfter: number; readonly until?: (out: string, err: string) => boolean; readonly sampleEvery?: number }
): Promise<CliRun> =>
  new Promise((resolve) => {
    const started = Date.now()
    const samples: Array<Sample> = []
    const sample = () => {
      if (child.pid === undefined || child.exitCode !== null) return
      const s = sampleOf(child.pid)
      if (s !== undefined) samples.push(s)
    }
    const check = () => {
      if (options.until !== undefined && options.until(out(), err())) {
        sample()
        child.kill("SIGKILL")
      }
    }
    const { child, err, out } = startCollecting(args, { onOutput: check })
    const killer = setTimeout(() => child.kill("SIGKILL"), options.killAfter)
    // `until` is asked after each output chunk and at each sample (it may be about time)
    const sampler = setInterval(() => {
      sample()
      check()
    }, options.sampleEvery ?? 50)
    child.once("close", (code) => {
      clearInterval(sampler)
      clearTimeout(killer)
      resolve({
        code,
        out: out(),
        err: err(),
        millis: Date.now() - started,
        samples,
        sampleAt: (at) => samples.filter((s) => s.at <= at).at(-1) ?? samples[0],
        peakRssKb: (from = 0) => Math.max(0, ...samples.filter((s) => s.at >= from).map((s) => s.rssKb))
      })
    })
  })
