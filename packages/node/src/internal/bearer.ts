/**
 * A multiplexer bearer over an effect/socket Socket, written through its Node socket.
 *
 * @internal
 */
import * as NodeSocket from "@effect/platform-node/NodeSocket"
import { Mux, ProtocolError } from "@pallas-network2/core"
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import * as Socket from "effect/socket/Socket"
import * as net from "node:net"

const describe = (e: Socket.SocketError): string => {
  const r = e.reason as { _tag: string; cause?: unknown; kind?: string }
  const cause = r.cause instanceof Error ? `: ${r.cause.message}` : r.kind !== undefined ? `: ${r.kind}` : ""
  return `${r._tag}${cause}`
}

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
 * The bearer over a socket's pull and its Node socket. Made apart from {@link fromSocket} so that
 * its functions hold these only, not the effect Socket.
 */
const bearerOf = (
  pull: Effect.Effect<ReadonlyArray<Uint8Array>, Socket.SocketError>,
  conn: net.Socket
): Mux.Bearer => ({
  read: pull.pipe(
    Effect.catchReason("SocketError", "SocketCloseError", () => Effect.succeed(undefined)),
    Effect.mapError((e) => new ProtocolError.TransportError({ detail: describe(e as Socket.SocketError) }))
  ),
  // the writer starts once what runs now has run: the answers of one event leave together
  deferWriter: queueMicrotask,
  writesCopied: true,
  write: (chunks) => chunks.length === 0 ? Effect.void : writeNow(conn, chunks) ?? Effect.void,
  writeNow: (chunks) => chunks.length === 0 ? undefined : writeNow(conn, chunks)
})

/**
 * The bearer over an accepted or dialled effect Socket and the Node socket under it. The socket's
 * writer is acquired for its release (it half-closes the connection as the scope closes); the bytes
 * go to the Node socket directly, whose write callback says when they are handed over.
 */
export const fromSocket = (
  socket: Socket.Socket,
  conn: () => net.Socket | undefined
): Effect.Effect<Mux.Bearer, ProtocolError.TransportError, Scope.Scope> =>
  Effect.gen(function*() {
    const pull = yield* Socket.readerBytes(socket).pipe(
      Effect.mapError((e) => new ProtocolError.TransportError({ detail: describe(e) }))
    )
    yield* socket.writer
    const node = conn()
    if (node === undefined) return yield* new ProtocolError.TransportError({ detail: "the socket is not open" })
    return bearerOf(pull, node)
  })

/**
 * The bearer of an accepted connection (the Node socket from the server's `NetSocket` service).
 */
export const fromAccepted = (socket: Socket.Socket): Effect.Effect<Mux.Bearer, ProtocolError.TransportError, Scope.Scope> =>
  Effect.flatMap(Effect.serviceOption(NodeSocket.NetSocket), (net) => fromSocket(socket, () => net._tag === "Some" ? net.value : undefined))

/**
 * Dials a TCP or Unix socket and makes its bearer. As `NodeSocket.makeNet`, but the Node socket is
 * kept for the bearer's writes: connected within `openTimeout` ms, ended as the scope closes
 * (destroyed if it never opened).
 */
export const dial = (
  options: net.NetConnectOpts,
  openTimeout: number
): Effect.Effect<Mux.Bearer, ProtocolError.TransportError, Scope.Scope> => {
  let conn: net.Socket | undefined
  let opened = false
  const open = Effect.andThen(
    Effect.addFinalizer(() =>
      Effect.sync(() => {
        if (conn === undefined || conn.closed !== false) return
        if (opened) conn.destroySoon()
        else conn.destroy()
      })
    ),
    Effect.callback<net.Socket, Socket.SocketError>((resume) => {
      const c = net.createConnection(options)
      conn = c
      // errors after the connect go to the reader too (it listens while it reads); none goes unheard
      c.on("error", (cause) =>
        resume(Effect.fail(new Socket.SocketError({ reason: new Socket.SocketOpenError({ kind: "Unknown", cause }) }))))
      c.once("connect", () => {
        opened = true
        resume(Effect.succeed(c))
      })
    })
  )
  const socket = NodeSocket.fromDuplex(open, { openTimeout })
  return Effect.flatMap(socket, (s) => fromSocket(s, () => conn))
}
