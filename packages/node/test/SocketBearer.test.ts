import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Cause from "effect/Cause"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import type { ProtocolError } from "@pallas-network2/core"
import * as net from "node:net"
import * as NodeSocket from "@effect/platform-node/NodeSocket"
import { dial, fromAccepted } from "../src/internal/bearer.ts"

/**
 * A plain server on 127.0.0.1 that runs `onConnection` for each connection (with `pauseOnConnect`,
 * each held paused); closed with the scope.
 */
const server = (onConnection: (socket: net.Socket) => void, options: net.ServerOpts = {}) =>
  Effect.acquireRelease(
    Effect.callback<net.Server>((resume) => {
      const s = net.createServer(options, (socket) => {
        // a client that leaves while this side writes is not the test's failure
        socket.on("error", () => {})
        onConnection(socket)
      })
      s.listen(0, "127.0.0.1", () => resume(Effect.succeed(s)))
    }),
    (s) => Effect.callback<void>((resume) => void s.close(() => resume(Effect.void)))
  )

const portOf = (s: net.Server) => (s.address() as net.AddressInfo).port

/** Writes `total` bytes to `socket` in blocks of 1 MiB, block k filled with k (mod 256), then ends it. */
const flood = (socket: net.Socket, total: number) => {
  const block = new Uint8Array(1024 * 1024)
  for (let k = 0; k < total / block.length; k++) {
    block.fill(k & 0xff)
    socket.write(block.slice())
  }
  socket.end()
}

/** Reads a bearer to its end: {@link flood}'s `total` bytes, in order. */
const readFlood = (bearer: { read: Effect.Effect<ReadonlyArray<Uint8Array> | undefined, ProtocolError.TransportError> }, total: number) =>
  Effect.gen(function*() {
    let received = 0
    let wrong = 0
    while (true) {
      const chunks = yield* bearer.read
      if (chunks === undefined) break
      for (const c of chunks) {
        for (let i = 0; i < c.length; i += 4096) if (c[i] !== (Math.floor((received + i) / (1024 * 1024)) & 0xff)) wrong++
        received += c.length
      }
    }
    assert.strictEqual(received, total)
    assert.strictEqual(wrong, 0)
  })

/**
 * A connection accepted by a plain server on 127.0.0.1 (held paused, as the TCP and Unix interfaces'
 * servers hold theirs until their bearer is made) and the client's socket, which writes `opening`
 * at once; closed with the scope.
 */
const connection = (opening?: Uint8Array) => Effect.gen(function*() {
  let take: (socket: net.Socket) => void = () => {}
  const taken = new Promise<net.Socket>((resolve) => (take = resolve))
  const s = yield* server((socket) => take(socket), { pauseOnConnect: true })
  const client = yield* Effect.acquireRelease(
    Effect.sync(() => {
      const c = net.connect({ host: "127.0.0.1", port: portOf(s) })
      c.on("error", () => {})
      if (opening !== undefined) c.write(opening)
      return c
    }),
    (c) => Effect.sync(() => c.destroy())
  )
  const socket = yield* Effect.promise(() => taken)
  return { client, socket }
})

/** The bearer `fromAccepted` makes of an accepted socket (its `NetSocket`), in the current scope. */
const acceptedBearer = (socket: net.Socket) => Effect.provideService(fromAccepted, NodeSocket.NetSocket, socket)

/** A connection and the bearer of its accepted side. */
const accepted = Effect.gen(function*() {
  const { client, socket } = yield* connection()
  const bearer = yield* acceptedBearer(socket)
  return { bearer, client, socket }
})

/** The typed error an exit failed with (`undefined` for a success, a defect or an interruption). */
const failureOf = (exit: Exit.Exit<unknown, ProtocolError.TransportError>) =>
  Exit.isFailure(exit) ? Option.getOrUndefined(Cause.findErrorOption(exit.cause)) : undefined

describe("the socket bearer (TCP on 127.0.0.1)", () => {
  it.live("a peer that floods a bearer nobody reads is held back by the socket, and every byte still arrives in order", () =>
    Effect.gen(function*() {
      const total = 64 * 1024 * 1024
      let sender: net.Socket | undefined
      const s = yield* server((socket) => {
        sender = socket
        flood(socket, total)
      })
      const bearer = yield* dial({ host: "127.0.0.1", port: portOf(s) }, 5_000)
      // nobody reads for a while: the bearer stops reading past its mark, so the sender still holds
      // most of what it wrote (the kernel's buffers on loopback take a few MB at most)
      yield* Effect.sleep("1 second")
      assert.ok(sender !== undefined)
      assert.ok(sender!.writableLength > total / 2, `the sender still holds ${sender!.writableLength} bytes`)
      // then read it all: the same bytes, in order, and the end of the stream
      yield* readFlood(bearer, total)
    }).pipe(Effect.scoped), 30_000)

  it.live("what a dialled bearer read stays as it was: chunks kept while later reads arrive keep their bytes, small reads and a stream's large ones alike", () =>
    Effect.gen(function*() {
      // a few small writes apart (each read on its own), then 8 MB at once (read as a stream), then
      // small ones again: every chunk is kept until the end, then checked
      const stream = 8 * 1024 * 1024
      const byteAt = (i: number) => (i * 7 + (i >> 16)) & 0xff
      const payload = new Uint8Array(stream)
      for (let i = 0; i < stream; i++) payload[i] = byteAt(i)
      const s = yield* server((socket) => {
        const small = (k: number) => new Uint8Array(100).fill(k)
        let k = 0
        const next = () => {
          if (k < 3) socket.write(small(++k), () => setTimeout(next, 20))
          else if (k === 3) {
            k++
            socket.write(payload, () => setTimeout(next, 20))
          } else if (k < 7) socket.write(small(++k), () => setTimeout(next, 20))
          else socket.end()
        }
        next()
      })
      const bearer = yield* dial({ host: "127.0.0.1", port: portOf(s) }, 5_000)
      const kept: Array<Uint8Array> = []
      while (true) {
        const chunks = yield* bearer.read
        if (chunks === undefined) break
        for (const c of chunks) kept.push(c)
      }
      const all = new Uint8Array(kept.reduce((n, c) => n + c.length, 0))
      let at = 0
      for (const c of kept) {
        all.set(c, at)
        at += c.length
      }
      assert.strictEqual(all.length, 3 * 100 + stream + 3 * 100)
      for (let k = 0; k < 3; k++) assert.ok(all.subarray(k * 100, (k + 1) * 100).every((b) => b === k + 1), `small write ${k + 1}`)
      let wrong = 0
      for (let i = 0; i < stream; i++) if (all[300 + i] !== byteAt(i)) wrong++
      assert.strictEqual(wrong, 0, "the stream's bytes")
      for (let k = 0; k < 3; k++) assert.ok(all.subarray(300 + stream + k * 100, 300 + stream + (k + 1) * 100).every((b) => b === k + 5), `small write ${k + 5}`)
      // the stream came in reads larger than Node's 64 kB
      assert.ok(kept.some((c) => c.length > 65_536), `largest read ${Math.max(...kept.map((c) => c.length))} bytes`)
    }).pipe(Effect.scoped), 30_000)

  it.live("one dial effect run twice makes two connections, each reading its own bytes", () =>
    Effect.gen(function*() {
      let n = 0
      const s = yield* server((socket) => {
        const mark = ++n
        socket.end(new Uint8Array(10_000).fill(mark))
      })
      const readAll = (bearer: { read: Effect.Effect<ReadonlyArray<Uint8Array> | undefined, unknown> }) =>
        Effect.gen(function*() {
          const got: Array<number> = []
          while (true) {
            const chunks = yield* bearer.read
            if (chunks === undefined) return got
            for (const c of chunks) for (const b of c) got.push(b)
          }
        })
      const dialled = dial({ host: "127.0.0.1", port: portOf(s) }, 5_000)
      const first = yield* dialled
      const firstBytes = yield* readAll(first)
      const second = yield* dialled
      const secondBytes = yield* readAll(second)
      assert.strictEqual(firstBytes.length, 10_000)
      assert.strictEqual(secondBytes.length, 10_000)
      assert.ok(firstBytes.every((b) => b === firstBytes[0]) && secondBytes.every((b) => b === secondBytes[0]))
      assert.notStrictEqual(firstBytes[0], secondBytes[0], "each connection's own bytes")
    }).pipe(Effect.scoped))

  it.live("a write completes once the socket took the bytes; what is written arrives whole", () =>
    Effect.gen(function*() {
      const got: Array<Buffer> = []
      let ended: () => void = () => {}
      const done = new Promise<void>((resolve) => (ended = resolve))
      const s = yield* server((socket) => {
        // not read for 300 ms: the kernel's buffers fill and the later writes wait in Node's buffer
        socket.pause()
        setTimeout(() => socket.resume(), 300)
        socket.on("data", (d) => got.push(d))
        socket.on("end", () => ended())
      })
      const total = 40
      const size = 1_000_000
      yield* Effect.scoped(Effect.gen(function*() {
        const bearer = yield* dial({ host: "127.0.0.1", port: portOf(s) }, 5_000)
        assert.strictEqual(bearer.writesCopied, true)
        const buffer = new Uint8Array(size)
        for (let k = 0; k < total; k++) {
          // the same buffer each time, as the multiplexer reuses it: the write's completion means
          // its bytes were taken, so filling it again changes nothing already written
          buffer.fill(k)
          yield* bearer.write([buffer])
        }
      }))
      // the scope closed: the connection ends after what was written
      yield* Effect.promise(() => done)
      const all = Buffer.concat(got)
      assert.strictEqual(all.length, total * size)
      let wrong = 0
      for (let i = 0; i < all.length; i++) if (all[i] !== Math.floor(i / size)) wrong++
      assert.strictEqual(wrong, 0)
    }).pipe(Effect.scoped), 30_000)

  it.live("dialling a port nobody listens on fails with a TransportError, not a defect", () =>
    Effect.gen(function*() {
      // a port that was just free
      const port = yield* Effect.scoped(Effect.map(server(() => {}), portOf))
      const exit = yield* Effect.exit(Effect.scoped(dial({ host: "127.0.0.1", port }, 5_000)))
      const error = failureOf(exit)
      assert.strictEqual(error?._tag, "TransportError")
      assert.match(error?.detail ?? "", /SocketOpenError/)
    }))

  it.live("a peer that resets the connection fails the read with a TransportError", () =>
    Effect.gen(function*() {
      // reset at the client's first byte
      const s = yield* server((socket) => socket.once("data", () => socket.resetAndDestroy()))
      const bearer = yield* dial({ host: "127.0.0.1", port: portOf(s) }, 5_000)
      yield* bearer.write([new Uint8Array([1])])
      const exit = yield* Effect.exit(Effect.gen(function*() {
        while ((yield* bearer.read) !== undefined) {}
      }))
      const error = failureOf(exit)
      assert.strictEqual(error?._tag, "TransportError", "a reset is an error, not a clean end nor a defect")
      assert.match(error?.detail ?? "", /SocketReadError/)
    }).pipe(Effect.scoped))
})

describe("the bearer of an accepted connection (TCP on 127.0.0.1)", () => {
  it.live("a client that floods it while nobody reads is held back by the socket, and every byte still arrives in order", () =>
    Effect.gen(function*() {
      const total = 64 * 1024 * 1024
      const { bearer, client, socket } = yield* accepted
      flood(client, total)
      // nobody reads for a while: the bearer stops taking data events past its mark, so the client
      // still holds most of what it wrote
      yield* Effect.sleep("1 second")
      assert.ok(client.writableLength > total / 2, `the client still holds ${client.writableLength} bytes`)
      assert.ok(socket.bytesRead < 4 * 1024 * 1024, `the server read ${socket.bytesRead} bytes`)
      yield* readFlood(bearer, total)
    }).pipe(Effect.scoped), 30_000)

  it.live("what the client wrote before the bearer was made is read first; the bearer's scope ends the connection after what it wrote", () =>
    Effect.gen(function*() {
      const { client, socket } = yield* connection(new Uint8Array([1, 2, 3]))
      const got: Array<Buffer> = []
      client.on("data", (d) => got.push(d))
      const ended = new Promise<void>((resolve) => client.on("end", () => resolve()))
      // the opening bytes reach the server before its bearer exists
      yield* Effect.sleep("100 millis")
      yield* Effect.scoped(Effect.gen(function*() {
        const bearer = yield* acceptedBearer(socket)
        const chunks = yield* bearer.read
        assert.deepStrictEqual([...Buffer.concat((chunks ?? []) as Array<Uint8Array>)], [1, 2, 3])
        yield* bearer.write([new Uint8Array(100_000).fill(9)])
      }))
      // the bearer's scope closed: the client reads what was written, then the end
      yield* Effect.promise(() => ended)
      const all = Buffer.concat(got)
      assert.strictEqual(all.length, 100_000)
      assert.ok(all.every((b) => b === 9))
    }).pipe(Effect.scoped), 30_000)

  it.live("a client that resets the connection fails the read with a TransportError; one that ends it ends the reads", () =>
    Effect.gen(function*() {
      const reset = yield* Effect.scoped(Effect.gen(function*() {
        const { bearer, client } = yield* accepted
        client.resetAndDestroy()
        return yield* Effect.exit(Effect.gen(function*() {
          while ((yield* bearer.read) !== undefined) {}
        }))
      }))
      const error = failureOf(reset)
      assert.strictEqual(error?._tag, "TransportError", "a reset is an error, not a clean end nor a defect")
      assert.match(error?.detail ?? "", /SocketReadError/)
      const ended = yield* Effect.scoped(Effect.gen(function*() {
        const { bearer, client } = yield* accepted
        client.end(new Uint8Array([7]))
        const read: Array<number> = []
        while (true) {
          const chunks = yield* bearer.read
          if (chunks === undefined) return read
          for (const c of chunks) read.push(...c)
        }
      }))
      assert.deepStrictEqual(ended, [7])
    }))
})
