/**
 * Plain-socket pieces of scenarios 1-3: a recording proxy that keeps, per request, the bytes of the
 * messages the responder answered it with (a "script"); the script's file form (read by
 * `replayer.ts`); and a counter of segment payload bytes that decodes no message.
 *
 * A script is the list of the client's requests in the order they were sent, each with the payloads
 * of the reply messages attributed to it: replies on a mini-protocol answer its requests in order
 * (first in, first out), and a request is answered when its protocol's reply is complete (chain-sync
 * `MsgRequestNext`: a roll forward or backward, after any `MsgAwaitReply`; block-fetch
 * `MsgRequestRange`: `MsgNoBlocks` or `MsgBatchDone`; a handshake proposal, `MsgFindIntersect` or a
 * keep-alive: one message; `Done` messages: none). Only the CBOR framing (`Cbor.itemEnd`) and each
 * message's tag (its second byte) are read.
 */
import { Cbor, Segment } from "@pallas-network2/core"
import * as fs from "node:fs"
import * as net from "node:net"

/** One request of a recorded session and the payloads of the messages that answered it. */
export interface Entry {
  readonly protocol: number
  readonly request: Uint8Array
  readonly replies: Array<Uint8Array>
}

export type Script = ReadonlyArray<Entry>

/** The tag of a mini-protocol message: every one is a CBOR array whose first element is a small integer. */
export const tagOf = (message: Uint8Array): number => message[1]!

/** How a request is answered: `undefined` when no reply is expected, else whether a reply message completes it. */
const completes = (protocol: number, requestTag: number): ((replyTag: number) => boolean) | undefined => {
  switch (protocol) {
    case 0: // handshake: MsgProposeVersions
      return requestTag === 0 ? () => true : undefined
    case 2: // chain-sync: MsgRequestNext (after MsgAwaitReply comes the real answer), MsgFindIntersect
      return requestTag === 0 ? (t) => t !== 1 : requestTag === 4 ? () => true : undefined
    case 3: // block-fetch: MsgRequestRange until MsgNoBlocks or MsgBatchDone
      return requestTag === 0 ? (t) => t === 3 || t === 5 : undefined
    case 8: // keep-alive: MsgKeepAlive
      return requestTag === 0 ? () => true : undefined
    default:
      return undefined
  }
}

/** Splits a byte stream of one direction into whole messages per mini-protocol (segment framing, then CBOR items). */
export class MessageSplitter {
  private readonly reader = new Segment.SegmentReader()
  private readonly pending = new Map<number, Uint8Array>()
  private readonly onMessage: (protocol: number, message: Uint8Array) => void

  constructor(onMessage: (protocol: number, message: Uint8Array) => void) {
    this.onMessage = onMessage
  }

  push(bytes: Uint8Array): void {
    for (const segment of this.reader.push(bytes)) {
      const before = this.pending.get(segment.protocol)
      const buf = before === undefined || before.length === 0 ? segment.payload : Buffer.concat([before, segment.payload])
      let at = 0
      while (at < buf.length) {
        const end = Cbor.itemEnd(buf, at)
        if (end < 0) break
        this.onMessage(segment.protocol, buf.slice(at, end))
        at = end
      }
      this.pending.set(segment.protocol, at === buf.length ? new Uint8Array(0) : buf.slice(at))
    }
  }
}

/**
 * A recording proxy on 127.0.0.1 in front of `upstreamPort`: every byte is passed on unchanged both
 * ways, and each connection's requests and the replies attributed to them are appended to the
 * script returned by `sessions()` (one script per connection, in connection order).
 */
export const recordingProxy = async (upstreamPort: number) => {
  const scripts: Array<Array<Entry>> = []
  const server = net.createServer((client) => {
    const script: Array<Entry> = []
    scripts.push(script)
    const waiting = new Map<number, Array<{ entry: Entry; done: (t: number) => boolean }>>()
    const upstream = net.connect(upstreamPort, "127.0.0.1")
    const fromClient = new MessageSplitter((protocol, message) => {
      const entry: Entry = { protocol, request: message, replies: [] }
      script.push(entry)
      const done = completes(protocol, tagOf(message))
      if (done !== undefined) {
        const queue = waiting.get(protocol) ?? []
        queue.push({ entry, done })
        waiting.set(protocol, queue)
      }
    })
    const fromServer = new MessageSplitter((protocol, message) => {
      const head = waiting.get(protocol)?.[0]
      if (head === undefined) throw new Error(`recording: a reply on protocol ${protocol} to no request`)
      head.entry.replies.push(message)
      if (head.done(tagOf(message))) waiting.get(protocol)!.shift()
    })
    client.on("data", (d) => {
      fromClient.push(d)
      upstream.write(d)
    })
    upstream.on("data", (d) => {
      fromServer.push(d)
      client.write(d)
    })
    client.on("close", () => upstream.destroy())
    upstream.on("close", () => client.destroy())
    client.on("error", () => upstream.destroy())
    upstream.on("error", () => client.destroy())
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  return {
    port: (server.address() as net.AddressInfo).port,
    sessions: (): ReadonlyArray<Script> => scripts,
    close: () => new Promise<void>((resolve) => server.close(() => resolve()))
  }
}

/** Writes scripts to a file `replayer.ts` reads: per script its entries, each protocol, request and replies, lengths as u32. */
export const writeScripts = (file: string, scripts: ReadonlyArray<Script>): void => {
  const fd = fs.openSync(file, "w")
  const u32 = (n: number) => {
    const b = Buffer.alloc(4)
    b.writeUInt32BE(n)
    fs.writeSync(fd, b)
  }
  const bytes = (x: Uint8Array) => {
    u32(x.length)
    fs.writeSync(fd, x)
  }
  u32(scripts.length)
  for (const script of scripts) {
    u32(script.length)
    for (const e of script) {
      u32(e.protocol)
      bytes(e.request)
      u32(e.replies.length)
      for (const r of e.replies) bytes(r)
    }
  }
  fs.closeSync(fd)
}

/** Reads what {@link writeScripts} wrote. */
export const readScripts = (file: string): Array<Script> => {
  const buf = fs.readFileSync(file)
  let at = 0
  const u32 = () => {
    const n = buf.readUInt32BE(at)
    at += 4
    return n
  }
  const bytes = () => {
    const n = u32()
    const x = buf.subarray(at, at + n)
    at += n
    return x
  }
  const scripts: Array<Script> = []
  for (let s = u32(); s > 0; s--) {
    const script: Array<Entry> = []
    for (let e = u32(); e > 0; e--) {
      const protocol = u32()
      const request = bytes()
      const replies: Array<Uint8Array> = []
      for (let r = u32(); r > 0; r--) replies.push(bytes())
      script.push({ protocol, request, replies })
    }
    scripts.push(script)
  }
  return scripts
}

/** A message as the segments a multiplexer sends it in (12 288-byte payloads, time 0), in one buffer. */
export const segments = (payload: Uint8Array, protocol: number, fromResponder: boolean): Buffer =>
  Buffer.concat(Segment.cut(payload, protocol, fromResponder, 12_288, 0))

/**
 * Counts the payload bytes that arrive on each mini-protocol, reading only the 8-byte segment
 * headers (no message is decoded). A subclass that wants the payload itself overrides
 * {@link PayloadCounter.payload} (the floor probes: bench/scenarios/floor.ts, floor-responder.ts).
 */
export class PayloadCounter {
  /** Payload bytes so far, by mini-protocol number. */
  readonly bytes = new Float64Array(32768)
  private headerFill = 0
  private readonly header = new Uint8Array(8)
  private left = 0
  private protocol = 0

  push(d: Uint8Array): void {
    let at = 0
    while (at < d.length) {
      if (this.left > 0) {
        const n = Math.min(this.left, d.length - at)
        this.left -= n
        this.payload(this.protocol, d, at, at + n)
        at += n
        continue
      }
      if (this.headerFill === 0 && d.length - at >= 8) {
        this.protocol = ((d[at + 4]! << 8) | d[at + 5]!) & 0x7fff
        this.left = (d[at + 6]! << 8) | d[at + 7]!
        at += 8
        continue
      }
      this.header[this.headerFill++] = d[at++]!
      if (this.headerFill === 8) {
        this.headerFill = 0
        this.protocol = ((this.header[4]! << 8) | this.header[5]!) & 0x7fff
        this.left = (this.header[6]! << 8) | this.header[7]!
      }
    }
  }

  /** A segment's payload bytes `d[from, to)` on `protocol` (a piece of the segment, when it is split over reads): counted. */
  protected payload(protocol: number, _d: Uint8Array, from: number, to: number): void {
    this.bytes[protocol]! += to - from
  }
}

/** The total payload bytes of an entry's replies. */
export const replyBytes = (e: Entry): number => e.replies.reduce((n, r) => n + r.length, 0)
