/**
 * The Unix-socket Interface, for node-to-client connections to a local node (and for tests).
 * Peers are `unix:/path` PeerIds.
 *
 * @since 0.1.0
 */
import * as NodeSocketServer from "@effect/platform-node/NodeSocketServer"
import { ConnectionPool, Interface, PeerId, ProtocolError } from "@pallas-network2/core"
import type { MessageOf, Protocol } from "@pallas-network2/core/protocol/Protocol"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { dial, fromAccepted } from "./internal/bearer.ts"
import * as ListenError from "./ListenError.ts"

/**
 * Options of the Unix-socket Interface (`Ps`: the type of its `protocols`).
 *
 * @category models
 * @since 0.1.0
 */
export interface UnixOptions<Ps extends ReadonlyArray<Protocol<any>> = ReadonlyArray<Protocol<any>>> extends ConnectionPool.PoolOptions<Ps> {
  /** Listen on this socket path. Absent: outbound only. */
  readonly listen?: string | undefined
  readonly connectTimeout?: number
}

/**
 * Builds the Unix-socket interface in the current scope. Fails with a {@link ListenError.ListenError}
 * when it cannot listen at the path (in use, permission).
 *
 * @category constructors
 * @since 0.1.0
 */
export const make = Effect.fnUntraced(function*<Ps extends ReadonlyArray<Protocol<any>>>(options: UnixOptions<Ps>) {
  let accepted = 0
  const pool = yield* ConnectionPool.make((peer) =>
    Effect.gen(function*() {
      const address = PeerId.parse(peer)
      if (address === undefined || address._tag !== "Unix") {
        return yield* new ProtocolError.TransportError({ detail: `not a Unix socket address: ${peer}` })
      }
      return yield* dial({ path: address.path }, options.connectTimeout ?? 10_000)
    }), options)
  if (options.listen !== undefined) {
    const path = options.listen
    const server = yield* NodeSocketServer.make({ path }).pipe(Effect.mapError((e) => ListenError.fromCause(path, e)))
    yield* Effect.forkScoped(server.run(() =>
      Effect.gen(function*() {
        const bearer = yield* fromAccepted
        yield* pool.adopt(PeerId.unix(`${path}#${++accepted}`), bearer)
      }).pipe(Effect.scoped, Effect.ignore)
    ))
  }
  return pool
})

/**
 * The Unix-socket Interface layer, carrying the messages of its `protocols`; fails with a
 * {@link ListenError.ListenError} when it cannot listen.
 *
 * @category layers
 * @since 0.1.0
 */
export function layer<Ps extends ReadonlyArray<Protocol<any>>>(
  options: UnixOptions<Ps> & { readonly listen?: undefined }
): Layer.Layer<Interface.Interface<MessageOf<Ps[number]>>>
export function layer<Ps extends ReadonlyArray<Protocol<any>>>(
  options: UnixOptions<Ps>
): Layer.Layer<Interface.Interface<MessageOf<Ps[number]>>, ListenError.ListenError>
export function layer<Ps extends ReadonlyArray<Protocol<any>>>(
  options: UnixOptions<Ps>
): Layer.Layer<Interface.Interface<MessageOf<Ps[number]>>, ListenError.ListenError> {
  return Layer.effect(Interface.key<MessageOf<Ps[number]>>(), make(options))
}
