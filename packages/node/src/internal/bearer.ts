/**
 * The multiplexer's bearers over Node sockets: an accepted connection read through its `data` events,
 * a dialled one through Node's `onread`, both into a {@link ReadSource}; both written through the Node
 * socket.
 *
 * @internal
 */
import * as NodeSocket from "@effect/platform-node/NodeSocket"
import { Mux, ProtocolError } from "@pallas-network2/core"
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import * as net from "node:net"

const writeFailed = (cause: Error) => new ProtocolError.TransportError({ detail: `SocketWriteError: ${cause.message}` })

/**
 * Writes `chunks` to `conn`: `undefined` when the kernel took every byte within the call (nothing
 * left in Node's buffer of a live socket: the usual case for a small write), else an effect that
 * completes at the write callback, so the multiplexer may reuse the buffer it wrote them from
 * (`Bearer.writesCopied`). Waiting for the callback is also the backpressure: one write of a
 * connection at a time. A socket that failed or ended reports through the callback.
 */
const writeNow = (conn: net.Socket, chunks: ReadonlyArray<Uint8Array>): Effect.Effect<void, ProtocolError.TransportError> | undefined => {
  let settled = false
  let failure: Error | undefined
  let waiter: ((effect: Effect.Effect<void, ProtocolError.TransportError>) => void) | undefined
  const done = (err?: Error | null) => {
    if (settled) return
    settled = true
    if (err) failure = err
    if (waiter !== undefined) waiter(err ? Effect.fail(writeFailed(err)) : Effect.void)
  }
  try {
    if (chunks.length === 1) conn.write(chunks[0]!, done)
    else {
      conn.cork()
      for (let i = 0; i < chunks.length; i++) conn.write(chunks[i]!, i === chunks.length - 1 ? done : undefined)
      conn.uncork()
    }
  } catch (e) {
    return Effect.fail(writeFailed(e instanceof Error ? e : new Error(String(e))))
  }
  if (conn.writableLength === 0 && !conn.destroyed && !conn.writableEnded && conn.errored == null) return undefined
  return Effect.callback<void, ProtocolError.TransportError>((resume) => {
    if (settled) resume(failure !== undefined ? Effect.fail(writeFailed(failure)) : Effect.void)
    else waiter = resume
  })
}

/**
 * The bearer over `read` and the Node socket its writes go to. Made apart from the sockets' set-up so
 * that its functions hold these only.
 */
const bearerOf = (
  read: Effect.Effect<ReadonlyArray<Uint8Array> | undefined, ProtocolError.TransportError>,
  conn: net.Socket
): Mux.Bearer => ({
  read,
  // the writer starts once what runs now has run: the answers of one event leave together
  deferWriter: queueMicrotask,
  writesCopied: true,
  write: (chunks) => chunks.length === 0 ? Effect.void : writeNow(conn, chunks) ?? Effect.void,
  writeNow: (chunks) => chunks.length === 0 ? undefined : writeNow(conn, chunks)
})

/**
 * The bearer of an accepted connection: the server's Node socket (its `NetSocket` service) read in
 * flowing mode, each `data` chunk handed to the multiplexer within the read's callback (a
 * {@link ReadSource}; Node offers `onread` to dialled sockets only), and written directly, whose
 * write callback says when the bytes are handed over. Ended as the scope closes once what was
 * written is out.
 */
export const fromAccepted: Effect.Effect<Mux.Bearer, ProtocolError.TransportError, Scope.Scope> = Effect.gen(function*() {
  const node = yield* Effect.serviceOption(NodeSocket.NetSocket)
  if (node._tag === "None" || node.value.destroyed) {
    return yield* new ProtocolError.TransportError({ detail: "the socket is not open" })
  }
  const conn = node.value
  const source = new ReadSource()
  source.attach(conn)
  yield* Effect.addFinalizer(() =>
    Effect.sync(() => {
      if (conn.closed === false) conn.destroySoon()
    })
  )
  // the server pauses a new connection until its handler runs: a `data` listener alone would not
  // start it again
  conn.on("data", source.push)
  conn.resume()
  return bearerOf(source.read, conn)
})

/** The room a streaming read is offered at least; a new region below it. */
const MIN_ROOM = 65_536
/** The memory a streaming connection's reads go into, one region after the other. */
const REGION = 1_048_576
/** Bytes read and not taken by the multiplexer yet past which the socket is not read. */
const HIGH_WATER = 1_048_576
/**
 * Where every connection that is not streaming reads (the common case: a request, a keep-alive):
 * what a read brings is copied out at once, so the buffer is free again when the next read begins.
 */
const scratch = new Uint8Array(MIN_ROOM)

/**
 * The read side of a socket, handed to the multiplexer within the read's callback. An accepted
 * socket feeds it from its `data` events ({@link push}: each a read's own Buffer). A dialled one
 * feeds it through Node's `onread`: a read goes into memory of ours, without the stream's buffering,
 * events and a Buffer per read. A dialled connection reads into the shared {@link scratch} (and
 * copies what it got) until a read fills it; it then streams: its reads go straight into a zeroed
 * region of its own (views of it are the chunks, no copy) with up to 1 MiB of room, so a stream
 * arrives in reads of up to that, not 64 kB (docs/BENCHMARKS.md, item 39). A read that brings less
 * than half the smallest room ends the streaming. Reading stops while {@link HIGH_WATER} bytes wait:
 * the kernel then holds the peer back. A block the application keeps keeps its region alive, as a
 * view of a socket read keeps the read (Node's reads are 64 kB): blocks kept in the order they came
 * (a store's last k) share their regions; a small read is a copy of its own size.
 */
class ReadSource {
  conn: net.Socket | undefined = undefined
  private region: Uint8Array | undefined = undefined
  private at = 0
  private streaming = false
  private chunks: Array<Uint8Array> = []
  private queued = 0
  private paused = false
  private ended = false
  private failure: ProtocolError.TransportError | undefined = undefined
  private waiter: ((effect: Effect.Effect<ReadonlyArray<Uint8Array> | undefined, ProtocolError.TransportError>) => void) | undefined = undefined

  /** The memory of the next read (Node asks after each read). */
  readonly buffer = (): Uint8Array => {
    if (!this.streaming) return scratch
    if (this.region === undefined || this.region.length - this.at < MIN_ROOM) {
      // zeroed: a view's `buffer` is the whole region, so its unwritten part must not show what the
      // memory held before
      this.region = new Uint8Array(REGION)
      this.at = 0
    }
    return this.region.subarray(this.at)
  }

  /** A read of `n` bytes into the memory {@link buffer} gave; `false` stops reading (backpressure). */
  readonly callback = (n: number, into: Uint8Array): boolean => {
    let chunk: Uint8Array
    if (into.buffer === scratch.buffer) {
      chunk = scratch.slice(0, n)
      if (n === scratch.length) this.streaming = true
    } else {
      chunk = into.subarray(0, n)
      // the next read begins 8-aligned
      this.at += (n + 7) & ~7
      if (n < MIN_ROOM / 2) {
        this.streaming = false
        this.region = undefined
      }
    }
    this.chunks.push(chunk)
    this.queued += n
    this.wake()
    if (this.queued < HIGH_WATER) return true
    this.paused = true
    return false
  }

  /** A chunk of a stream socket's `data` event (its own memory); past the high water the socket pauses. */
  readonly push = (chunk: Uint8Array): void => {
    this.chunks.push(chunk)
    this.queued += chunk.length
    this.wake()
    if (this.queued < HIGH_WATER || this.paused) return
    this.paused = true
    this.conn?.pause()
  }

  attach(conn: net.Socket): void {
    this.conn = conn
    conn.on("error", (cause) => {
      this.failure ??= new ProtocolError.TransportError({ detail: `SocketReadError: ${cause.message}` })
      this.wake()
    })
    const end = () => {
      this.ended = true
      this.wake()
    }
    conn.on("end", end)
    conn.on("close", end)
  }

  private take(): Array<Uint8Array> {
    const out = this.chunks
    this.chunks = []
    this.queued = 0
    if (this.paused) {
      this.paused = false
      this.conn?.resume()
    }
    return out
  }

  private next(): Effect.Effect<ReadonlyArray<Uint8Array> | undefined, ProtocolError.TransportError> | undefined {
    if (this.failure !== undefined) return Effect.fail(this.failure)
    if (this.chunks.length > 0) return Effect.succeed(this.take())
    if (this.ended) return Effect.succeed(undefined)
    return undefined
  }

  private wake(): void {
    const waiter = this.waiter
    if (waiter === undefined) return
    const next = this.next()
    if (next === undefined) return
    this.waiter = undefined
    waiter(next)
  }

  /** The next chunks (`undefined` at the end of the stream); a reset or a failure is a TransportError. */
  readonly read: Effect.Effect<ReadonlyArray<Uint8Array> | undefined, ProtocolError.TransportError> = Effect.callback((resume) => {
    const next = this.next()
    if (next !== undefined) return resume(next)
    this.waiter = resume
    return Effect.sync(() => {
      if (this.waiter === resume) this.waiter = undefined
    })
  })
}

/**
 * Dials a TCP or Unix socket and makes its bearer: connected within `openTimeout` ms, its reads
 * through `onread` ({@link ReadSource}), ended as the scope closes once what was written is out
 * (destroyed if it never opened).
 */
export const dial = (
  options: net.NetConnectOpts,
  openTimeout: number
): Effect.Effect<Mux.Bearer, ProtocolError.TransportError, Scope.Scope> =>
  Effect.suspend(() => {
    // a read source per connection: made when the dial runs, not when its effect is built
    const source = new ReadSource()
    const open = Effect.callback<net.Socket, ProtocolError.TransportError>((resume) => {
      const conn = net.createConnection({ ...options, onread: { buffer: source.buffer, callback: source.callback } })
      source.attach(conn)
      const refused = (cause: Error) => resume(Effect.fail(new ProtocolError.TransportError({ detail: `SocketOpenError: ${cause.message}` })))
      conn.once("error", refused)
      conn.once("connect", () => {
        conn.off("error", refused)
        resume(Effect.succeed(conn))
      })
      // interrupted (the open timed out, or the scope closed first): the socket goes
      return Effect.sync(() => {
        conn.destroy()
      })
    })
    return Effect.map(
      Effect.acquireRelease(
        Effect.timeoutOrElse(open, {
          duration: openTimeout,
          orElse: () => Effect.fail(new ProtocolError.TransportError({ detail: `SocketOpenError: not connected within ${openTimeout} ms` }))
        }),
        (conn) =>
          Effect.sync(() => {
            if (conn.closed === false) conn.destroySoon()
          })
      ),
      (conn) => bearerOf(source.read, conn)
    )
  })
