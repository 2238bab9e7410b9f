/**
 * The least a block-fetch client can do per block, in plain Node and no library: what bounds any
 * client that hands its application each block (`bench/probes.ts floor`). A node:net socket in flowing
 * mode; each read is scanned for segment headers (the bench's `PayloadCounter`); the
 * block-fetch payload is cut into messages by their known heads only (`[2]`, `[5]`, `[4, #6.24(bytes)]`),
 * a message split over segments or reads copied into a buffer of its own; each `MsgBlock` becomes an
 * object holding a view of its block's bytes. No CBOR validation, no state machine, no effect.
 */
import * as net from "node:net"
import { CpuWindow } from "./util.ts"
import { PayloadCounter } from "./wire.ts"
import type * as cp from "node:child_process"

/** A message's length from its first bytes (`avail` of them at `at`), or -1 while they do not tell it yet. */
const messageLength = (b: Uint8Array, at: number, avail: number): number => {
  if (avail < 1) return -1
  if (b[at] === 0x81) return 2
  if (avail < 5) return -1
  const head = b[at + 4]!
  const len = head === 0x58 ? 1 : head === 0x59 ? 2 : head === 0x5a ? 4 : -1
  if (len < 0) throw new Error(`floor: unexpected block-fetch message head ${b[at]} ${b[at + 1]} ${head}`)
  if (avail < 5 + len) return -1
  let n = 0
  for (let k = 0; k < len; k++) n = n * 256 + b[at + 5 + k]!
  return 5 + len + n
}

/**
 * `ranges` RequestRanges (the `request` segment bytes) one after the other, after the `hello` segment's
 * handshake; resolves with the seconds from the first request to the last MsgBatchDone, the bytes of
 * the blocks, their count, and the CPU of this process and of `server` in that window.
 */
export const floorClient = (server: cp.ChildProcess, port: number, hello: Uint8Array, request: Uint8Array, ranges: number) =>
  new Promise<{ seconds: number; bytes: number; blocks: number; local: number; remote: number }>((resolve, reject) => {
    const socket = net.connect(port, "127.0.0.1")
    socket.on("error", reject)
    // a message split over segments or reads: its bytes so far, and its length once known
    const carryHead = new Uint8Array(16)
    let carry = carryHead
    let carryFill = 0
    let carryLength = -1
    let handshaken = false
    let blocks = 0
    let bytes = 0
    let batches = 0
    let started = 0
    const cpu = new CpuWindow(server)
    const sink: Array<{ _tag: string; block: Uint8Array }> = []
    const message = (b: Uint8Array, at: number, length: number) => {
      if (b[at] === 0x81) {
        if (b[at + 1] === 5) {
          if (++batches === ranges) {
            const seconds = (performance.now() - started) / 1000
            cpu.end().then((used) => {
              socket.destroy()
              resolve({ seconds, bytes, blocks, ...used })
            }, reject)
          } else socket.write(request)
        }
        return
      }
      const head = b[at + 4]!
      const m = { _tag: "MsgBlock", block: b.subarray(at + 5 + (head === 0x58 ? 1 : head === 0x59 ? 2 : 4), at + length) }
      // handed on (one slot, so the object is made and dropped as an application's would be)
      sink[0] = m
      bytes += m.block.length
      blocks++
    }
    const payload = (b: Uint8Array, from: number, to: number) => {
      let at = from
      while (at < to) {
        if (carryFill > 0) {
          // finish the carried message: first enough bytes to know its length (then a buffer of
          // its own, which the application may keep)
          while (carryLength < 0 && at < to) {
            carryHead[carryFill++] = b[at++]!
            carryLength = messageLength(carryHead, 0, carryFill)
            if (carryLength >= 0) {
              carry = new Uint8Array(carryLength)
              carry.set(carryHead.subarray(0, carryFill))
            }
          }
          if (carryLength < 0) return
          const n = Math.min(carryLength - carryFill, to - at)
          carry.set(b.subarray(at, at + n), carryFill)
          carryFill += n
          at += n
          if (carryFill < carryLength) return
          const length = carryLength
          carryFill = 0
          carryLength = -1
          message(carry, 0, length)
          continue
        }
        const length = messageLength(b, at, to - at)
        if (length < 0 || at + length > to) {
          // the rest is a message's beginning
          carryLength = length
          if (length < 0) carryHead.set(b.subarray(at, to), 0)
          else {
            carry = new Uint8Array(length)
            carry.set(b.subarray(at, to), 0)
          }
          carryFill = to - at
          return
        }
        message(b, at, length)
        at += length
      }
    }
    // the segment headers read by the bench's counter; the payload of block-fetch framed here
    const segments = new (class extends PayloadCounter {
      protected override payload(protocol: number, d: Uint8Array, from: number, to: number): void {
        if (protocol === 3) payload(d, from, to)
        else if (protocol === 0 && !handshaken) {
          handshaken = true
          cpu.begin().then(() => {
            started = performance.now()
            socket.write(request)
          }, reject)
        }
      }
    })()
    socket.on("data", (data: Buffer) => segments.push(new Uint8Array(data.buffer, data.byteOffset, data.byteLength)))
    socket.once("connect", () => socket.write(hello))
  })
