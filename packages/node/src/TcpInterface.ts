/**
 * The TCP Interface: outbound connections with a connect timeout, inbound connections through an
 * optional listener, both on one Interface service.
 *
 * @since 0.1.0
 */
import * as NodeSocket from "@effect/platform-node/NodeSocket"
import * as NodeSocketServer from "@effect/platform-node/NodeSocketServer"
import { ConnectionPool, Interface, PeerId, ProtocolError } from "@pallas-network2/core"
import type { MessageOf, Protocol } from "@pallas-network2/core/protocol/Protocol"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as NetAddress from "effect/net/NetAddress"
import * as Option from "effect/Option"
import type * as SocketServer from "effect/socket/SocketServer"
import { dial, fromAccepted } from "./internal/bearer.ts"
import * as ListenError from "./ListenError.ts"

/**
 * Options of the TCP Interface (`Ps`: the type of its `protocols`).
 *
 * @category models
 * @since 0.1.0
 */
export interface TcpOptions<Ps extends ReadonlyArray<Protocol<any>> = ReadonlyArray<Protocol<any>>> extends ConnectionPool.PoolOptions<Ps> {
  /** Listen for inbound connections here (port 0 picks a free port). Absent: outbound only. */
  readonly listen?: { readonly host: string; readonly port: number } | undefined
  /** Time to establish an outbound connection (ms). Default 10 s. */
  readonly connectTimeout?: number
}

/**
 * Where the listener is bound (when it listens).
 *
 * @category services
 * @since 0.1.0
 */
export class TcpListenAddress extends Context.Service<TcpListenAddress, { readonly host: string; readonly port: number } | undefined>()(
  "@pallas-network2/node/TcpListenAddress"
) {}

/**
 * Builds the TCP interface in the current scope; returns it with its listen address. Fails with a
 * {@link ListenError.ListenError} when the listener cannot be opened (port in use, permission).
 *
 * @category constructors
 * @since 0.1.0
 */
export const make = Effect.fnUntraced(function*<Ps extends ReadonlyArray<Protocol<any>>>(options: TcpOptions<Ps>) {
  let bound: { host: string; port: number } | undefined
  let listener: SocketServer.SocketServer["Service"] | undefined
  if (options.listen !== undefined) {
    const { host, port } = options.listen
    const server = yield* NodeSocketServer.make({ host, port }).pipe(
      Effect.mapError((e) => ListenError.fromCause(`${host.includes(":") ? `[${host}]` : host}:${port}`, e))
    )
    const address = server.address
    bound = NetAddress.isInetAddress(address) ? { host: options.listen.host, port: address.port } : undefined
    listener = server
  }
  // made after the listener, so its connections close before the listener does
  const pool = yield* ConnectionPool.make((peer) =>
    Effect.gen(function*() {
      const address = PeerId.parse(peer)
      if (address === undefined || address._tag !== "Tcp") {
        return yield* new ProtocolError.TransportError({ detail: `not a TCP address: ${peer}` })
      }
      return yield* dial({ host: address.host, port: address.port, noDelay: true }, options.connectTimeout ?? 10_000)
    }), options)
  if (listener !== undefined) {
    const server = listener
    yield* Effect.forkScoped(server.run(() =>
      Effect.gen(function*() {
        const net = yield* Effect.serviceOption(NodeSocket.NetSocket)
        const peer = Option.isSome(net) && net.value.remoteAddress !== undefined
          ? PeerId.tcp(net.value.remoteAddress.replace(/^::ffff:/, ""), net.value.remotePort ?? 0)
          : PeerId.tcp("unknown", 0)
        if (Option.isSome(net)) net.value.setNoDelay(true)
        const bearer = yield* fromAccepted
        yield* pool.adopt(peer, bearer)
      }).pipe(Effect.scoped, Effect.ignore)
    ))
  }
  return { pool, bound }
})

/**
 * The TCP Interface layer (and its listen address), carrying the messages of its `protocols`; fails
 * with a {@link ListenError.ListenError} when it cannot listen.
 *
 * @example
 * ```ts
 * import { TcpInterface } from "@pallas-network2/node"
 * import { Protocols } from "@pallas-network2/core"
 * const TcpLive = TcpInterface.layer({ protocols: Protocols.NodeToNode.protocols })
 * const Server = TcpInterface.layer({ protocols: Protocols.NodeToNode.protocols, listen: { host: "127.0.0.1", port: 3001 } })
 * ```
 *
 * @category layers
 * @since 0.1.0
 */
export function layer<Ps extends ReadonlyArray<Protocol<any>>>(
  options: TcpOptions<Ps> & { readonly listen?: undefined }
): Layer.Layer<Interface.Interface<MessageOf<Ps[number]>> | TcpListenAddress>
export function layer<Ps extends ReadonlyArray<Protocol<any>>>(
  options: TcpOptions<Ps>
): Layer.Layer<Interface.Interface<MessageOf<Ps[number]>> | TcpListenAddress, ListenError.ListenError>
export function layer<Ps extends ReadonlyArray<Protocol<any>>>(
  options: TcpOptions<Ps>
): Layer.Layer<Interface.Interface<MessageOf<Ps[number]>> | TcpListenAddress, ListenError.ListenError> {
  return Layer.effectContext(Effect.map(make(options), ({ bound, pool }) =>
    Context.make(Interface.key<MessageOf<Ps[number]>>(), pool).pipe(Context.add(TcpListenAddress, bound))))
}
