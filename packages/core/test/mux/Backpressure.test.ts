import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Queue from "effect/Queue"
import * as Segment from "../../src/bearer/Segment.ts"
import type { Message } from "../../src/Message.ts"
import { BlockFetch, Handshake } from "../../src/protocol/index.ts"
import { fedMux } from "../utils/mux.ts"

const table = Handshake.n2nVersionTable({ magic: 42 })
const POINT = { _tag: "Specific", slot: 1, hash: new Uint8Array(32) } as const

/** `[6, bytes]`: a block-shaped item of `size` bytes (a CBOR byte string inside the era pair). */
const blockBytes = (size: number, fill: number) => {
  const b = new Uint8Array(size + 7)
  b.set([0x82, 0x06, 0x5a, (size >>> 24) & 255, (size >>> 16) & 255, (size >>> 8) & 255, size & 255])
  b.fill(fill, 7)
  return b
}

/** The responder's message as its segments, grouped into reads of about 64 kB (as TCP hands them over). */
const reads = (messages: ReadonlyArray<Message>, protocol: { channel: number; encode: (m: any) => Uint8Array }) => {
  const out: Array<Array<Uint8Array>> = []
  let current: Array<Uint8Array> = []
  let bytes = 0
  for (const m of messages) {
    for (const piece of Segment.cut(protocol.encode(m), protocol.channel, true, 12_288, 0)) {
      current.push(piece)
      bytes += piece.length
      if (bytes >= 65_536) {
        out.push(current)
        current = []
        bytes = 0
      }
    }
  }
  if (current.length > 0) out.push(current)
  return out
}

describe("Mux: backpressure on ingress", () => {
  it.effect("an honest peer streaming more than the ingress limit faster than we consume is slowed down, not closed", () =>
    Effect.gen(function*() {
      const got: Array<number> = []
      // a consumer slower than the reader: several turns of the scheduler per message
      const { incoming, mux } = yield* fedMux("initiator", (ms) =>
        Effect.gen(function*() {
          for (const m of ms) {
            for (let i = 0; i < 20; i++) yield* Effect.yieldNow
            if (m._tag === "MsgBlock") got.push((m as BlockFetch.Message & { _tag: "MsgBlock" }).block.bytes.length)
          }
        }))
      yield* mux.send(Handshake.make.propose(table))
      for (const r of reads([Handshake.make.accept(14, table.get(14)!)], Handshake.protocol)) yield* Queue.offer(incoming, r)
      yield* mux.send(BlockFetch.make.requestRange(POINT, POINT))
      // 32 blocks of 1 MB: 32 MB, more than block-fetch's ingress limit (23 068 694 bytes), all of it
      // already waiting to be read
      const blocks = Array.from({ length: 32 }, (_, i) => BlockFetch.make.block(blockBytes(1_000_000, i)))
      const stream = [BlockFetch.make.startBatch(), ...blocks, BlockFetch.make.batchDone()]
      assert.isAbove(32 * 1_000_000, BlockFetch.protocol.ingressLimit)
      yield* Queue.offerAll(incoming, reads(stream, BlockFetch.protocol))
      const closed = yield* Effect.forkChild(Effect.exit(mux.closed))
      // every block arrives (bounded: far more turns than the consumer needs), the connection open
      for (let turns = 0; got.length < 32 && closed.pollUnsafe() === undefined && turns < 1_000_000; turns++) yield* Effect.yieldNow
      const early = closed.pollUnsafe()
      assert.isUndefined(early, `the connection closed: ${JSON.stringify(early)}`)
      assert.strictEqual(got.length, 32)
      assert.isTrue(got.every((n) => n === 1_000_007))
    }).pipe(Effect.scoped), 60_000)
})
