/**
 * A multiplexer bearer over a Node socket: read in flowing mode (what arrived since the last read,
 * at once), written with the socket's write callback.
 *
 * @internal
 */
import * as NodeSocket from "@effect/platform-node/NodeSocket"
import { type Mux, ProtocolError } from "@pallas-network2/core"
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import * as net from "node:net"

/**
 * Bytes read and not yet taken by the multiplexer at which the socket stops reading (it resumes at
 * the next read): beyond it the kernel's receive window closes and the peer waits, so a multiplexer
 * that falls behind holds at most this much here.
 */
const HIGH_WATER = 524_288

const failed = (what: string, cause: Error) => new ProtocolError.TransportError({ detail: `${what}: ${cause.message}` })

/**
 * Writes `chunks` to `conn`, completing when the last one is handed to the kernel (its write
 * callback), so the multiplexer may reuse the buffer it wrote them from (`Bearer.writesCopied`).
 * Waiting for the callback is also the backpressure: one write of a connection at a time.
 */
const writeTo = (conn: net.Socket, chunks: ReadonlyArray<Uint8Array>): Effect.Effect<void, ProtocolError.TransportError> =>
  Effect.callback<void, ProtocolError.TransportError>((resume) => {
    let settled = false
    const done = (err?: Error | null) => {
      if (settled) return
      settled = true
      resume(err ? Effect.fail(failed("SocketWriteError", err)) : Effect.void)
    }
    try {
      if (chunks.length === 1) conn.write(chunks[0]!, done)
      else {
        conn.cork()
        for (let i = 0; i < chunks.length; i++) conn.write(chunks[i]!, i === chunks.length - 1 ? done : undefined)
        conn.uncork()
      }
    } catch (e) {
      return done(e instanceof Error ? e : new Error(String(e)))
    }
    // nothing left in Node's buffer: the kernel took every byte within the call (the usual case for
    // a small write), so the writer goes on now rather than at the callback a tick later
    if (conn.writableLength === 0) done()
  })

/**
 * The bearer over an open Node socket, in the current scope: closing the scope ends the connection
 * (`destroySoon`: what is written still goes out) and detaches the bearer's listeners. A read gives
 * every chunk that arrived since the last one (no copy, no join), `undefined` once the peer ended
 * the stream or the socket closed, and fails on a socket error.
 */
export const fromNodeSocket = (conn: net.Socket): Effect.Effect<Mux.Bearer, never, Scope.Scope> =>
  Effect.suspend(() => {
    let chunks: Array<Uint8Array> = []
    let bytes = 0
    let ended = false
    let failure: Error | undefined
    let waiter: ((effect: Effect.Effect<ReadonlyArray<Uint8Array> | undefined, ProtocolError.TransportError>) => void) | undefined
    /** What a read gives now: the chunks, the end, the error; `undefined` when it has to wait. */
    const outcome = (): Effect.Effect<ReadonlyArray<Uint8Array> | undefined, ProtocolError.TransportError> | undefined => {
      if (chunks.length > 0) {
        const out = chunks
        chunks = []
        bytes = 0
        if (conn.isPaused()) conn.resume()
        return Effect.succeed(out)
      }
      if (failure !== undefined) return Effect.fail(failed("SocketReadError", failure))
      if (ended) return Effect.succeed(undefined)
      return undefined
    }
    const wake = () => {
      const resume = waiter
      if (resume === undefined) return
      const out = outcome()
      if (out === undefined) return
      waiter = undefined
      resume(out)
    }
    const onData = (d: Uint8Array) => {
      chunks.push(d)
      bytes += d.length
      if (bytes >= HIGH_WATER) conn.pause()
      wake()
    }
    const onEnd = () => {
      ended = true
      wake()
    }
    const onError = (e: Error) => {
      failure ??= e
      wake()
    }
    conn.on("data", onData)
    conn.on("end", onEnd)
    conn.on("close", onEnd)
    conn.on("error", onError)
    // flowing from now on (a socket someone paused would not start at the first `data` listener)
    conn.resume()
    const read = Effect.callback<ReadonlyArray<Uint8Array> | undefined, ProtocolError.TransportError>((resume) => {
      const out = outcome()
      if (out !== undefined) return resume(out)
      waiter = resume
      return Effect.sync(() => {
        if (waiter === resume) waiter = undefined
      })
    })
    return Effect.as(
      Effect.addFinalizer(() =>
        Effect.sync(() => {
          conn.off("data", onData)
          conn.off("end", onEnd)
          conn.off("close", onEnd)
          // an error after this is nobody's business but must not go unheard
          conn.off("error", onError)
          conn.on("error", () => {})
          if (conn.closed === false) conn.destroySoon()
        })
      ),
      {
        read,
        // the writer starts once what runs now has run: the answers of one event leave together
        deferWriter: queueMicrotask,
        writesCopied: true,
        write: (chunks) => (chunks.length === 0 ? Effect.void : writeTo(conn, chunks))
      } satisfies Mux.Bearer
    )
  })

/**
 * The bearer of a connection a `NodeSocketServer` accepted: its Node socket, from the handler's
 * `NetSocket` service.
 */
export const fromAccepted: Effect.Effect<Mux.Bearer, ProtocolError.TransportError, Scope.Scope> = Effect.flatMap(
  Effect.serviceOption(NodeSocket.NetSocket),
  (socket) =>
    socket._tag === "Some"
      ? fromNodeSocket(socket.value)
      : Effect.fail(new ProtocolError.TransportError({ detail: "an accepted connection without its Node socket" }))
)

/**
 * Dials a TCP or Unix socket and makes its bearer in the current scope: connected within
 * `openTimeout` ms (else a `TransportError`), destroyed if the scope closes before it opened.
 */
export const dial = (
  options: net.NetConnectOpts,
  openTimeout: number
): Effect.Effect<Mux.Bearer, ProtocolError.TransportError, Scope.Scope> =>
  Effect.gen(function*() {
    let dialling: net.Socket | undefined
    // until it opens, closing the scope destroys it; once open, the bearer's own finalizer ends it
    yield* Effect.addFinalizer(() =>
      Effect.sync(() => {
        if (dialling !== undefined && dialling.closed === false) dialling.destroy()
      })
    )
    const conn = yield* Effect.callback<net.Socket, ProtocolError.TransportError>((resume) => {
      const c = net.createConnection(options)
      dialling = c
      let connected = false
      // kept after the connect (the bearer adds its own): an error is never left unheard
      c.on("error", (e: Error) => {
        if (connected) return
        c.destroy()
        resume(Effect.fail(failed("SocketOpenError", e)))
      })
      c.once("connect", () => {
        connected = true
        resume(Effect.succeed(c))
      })
      // interrupted while connecting (the open timeout, or the caller gave up)
      return Effect.sync(() => c.destroy())
    }).pipe(
      Effect.timeoutOrElse({
        duration: openTimeout,
        orElse: () => Effect.fail(new ProtocolError.TransportError({ detail: `SocketOpenError: Timeout (${openTimeout} ms)` }))
      })
    )
    dialling = undefined
    return yield* fromNodeSocket(conn)
  })
