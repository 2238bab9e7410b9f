/**
 * A multiplexer bearer over an effect/socket Socket.
 *
 * @internal
 */
import { Mux, ProtocolError } from "@pallas-network2/core"
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import * as Socket from "effect/socket/Socket"

const describe = (e: Socket.SocketError): string => {
  const r = e.reason as { _tag: string; cause?: unknown; kind?: string }
  const cause = r.cause instanceof Error ? `: ${r.cause.message}` : r.kind !== undefined ? `: ${r.kind}` : ""
  return `${r._tag}${cause}`
}

/**
 * The bearer over a socket's pull and writer. Made apart from {@link fromSocket} so that its
 * functions hold these two only, not the socket (which a dialled connection would otherwise keep
 * alive through them).
 */
const bearerOf = (
  pull: Effect.Effect<ReadonlyArray<Uint8Array>, Socket.SocketError>,
  writer: { readonly writeAll: (chunks: readonly [Uint8Array, ...Array<Uint8Array>]) => Effect.Effect<void, Socket.SocketError> }
): Mux.Bearer => ({
  read: pull.pipe(
    Effect.catchReason("SocketError", "SocketCloseError", () => Effect.succeed(undefined)),
    Effect.mapError((e) => new ProtocolError.TransportError({ detail: describe(e as Socket.SocketError) }))
  ),
  // the writer starts once what runs now has run: the answers of one event leave together
  deferWriter: queueMicrotask,
  write: (chunks) =>
    chunks.length === 0
      ? Effect.void
      : writer.writeAll(chunks as unknown as readonly [Uint8Array, ...Array<Uint8Array>]).pipe(
        Effect.mapError((e) => new ProtocolError.TransportError({ detail: describe(e) }))
      )
})

export const fromSocket = (
  socket: Socket.Socket
): Effect.Effect<Mux.Bearer, ProtocolError.TransportError, Scope.Scope> =>
  Effect.gen(function*() {
    const pull = yield* Socket.readerBytes(socket).pipe(
      Effect.mapError((e) => new ProtocolError.TransportError({ detail: describe(e) }))
    )
    return bearerOf(pull, yield* socket.writer)
  })
