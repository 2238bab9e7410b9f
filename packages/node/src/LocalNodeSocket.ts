/**
 * The node-to-client API over real sockets: {@link layerUnix} connects a `LocalNode` to a node's Unix
 * socket (the path from the option, else `CARDANO_NODE_SOCKET_PATH`, as cardano-cli does), and
 * {@link layerTcp} to a node-to-client TCP endpoint; {@link layerStandInUnix} serves the local-node
 * stand-in on a Unix socket.
 *
 * @since 0.1.0
 */
import { type ChainSource, LocalClient, LocalNode, LocalServer, type Manager, PeerId } from "@pallas-network2/core"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"
import * as fs from "node:fs"
import type * as ListenError from "./ListenError.ts"
import * as TcpInterface from "./TcpInterface.ts"
import * as UnixInterface from "./UnixInterface.ts"

/**
 * The socket path is missing, does not exist, or is not a socket.
 *
 * @category errors
 * @since 0.1.0
 */
export class SocketPathError extends Schema.TaggedError<SocketPathError>()("SocketPathError", {
  path: Schema.String,
  detail: Schema.String
}) {
  override get message(): string {
    return this.path === "" ? this.detail : `${this.path}: ${this.detail}`
  }
}

/**
 * The environment variable read when no socket path is given.
 *
 * @category constants
 * @since 0.1.0
 */
export const SOCKET_PATH_ENV = "CARDANO_NODE_SOCKET_PATH"

/**
 * The node's socket path: the given one, else `CARDANO_NODE_SOCKET_PATH`; it must exist and be a socket.
 *
 * @category constructors
 * @since 0.1.0
 */
export const socketPath = (path?: string | undefined): Effect.Effect<string, SocketPathError> =>
  Effect.suspend(() => {
    const chosen = path ?? process.env[SOCKET_PATH_ENV]
    if (chosen === undefined || chosen === "") {
      return Effect.fail(new SocketPathError({ path: "", detail: `no socket path: give one, or set ${SOCKET_PATH_ENV}` }))
    }
    let stat: fs.Stats
    try {
      stat = fs.statSync(chosen)
    } catch {
      return Effect.fail(new SocketPathError({ path: chosen, detail: "no such file" }))
    }
    return stat.isSocket() ? Effect.succeed(chosen) : Effect.fail(new SocketPathError({ path: chosen, detail: "not a socket" }))
  })

/**
 * Options of the client layers: the handshake's (magic, versions) and the manager's.
 *
 * @category models
 * @since 0.1.0
 */
export type ClientOptions = Omit<LocalNode.LocalNodeOptions, "peer">

/**
 * A LocalNode on a node's Unix socket.
 *
 * @example
 * ```ts
 * import { LocalNodeSocket } from "@pallas-network2/node"
 * const NodeLive = LocalNodeSocket.layerUnix({ networkMagic: 2 }) // path from CARDANO_NODE_SOCKET_PATH
 * ```
 *
 * @category layers
 * @since 0.1.0
 */
export const layerUnix = (
  options: ClientOptions & { readonly socketPath?: string | undefined; readonly connectTimeout?: number }
): Layer.Layer<LocalNode.LocalNode, SocketPathError> =>
  Layer.unwrap(Effect.map(socketPath(options.socketPath), (path) =>
    LocalNode.layer({ ...options, peer: PeerId.unix(path) }).pipe(
      Layer.provide(UnixInterface.layer({
        protocols: LocalClient.protocols,
        ...(options.connectTimeout === undefined ? {} : { connectTimeout: options.connectTimeout })
      }))
    )))

/**
 * A LocalNode on a node-to-client TCP endpoint.
 *
 * @category layers
 * @since 0.1.0
 */
export const layerTcp = (
  options: ClientOptions & { readonly host: string; readonly port: number; readonly connectTimeout?: number }
): Layer.Layer<LocalNode.LocalNode> =>
  LocalNode.layer({ ...options, peer: PeerId.tcp(options.host, options.port) }).pipe(
    Layer.provide(TcpInterface.layer({
      protocols: LocalClient.protocols,
      ...(options.connectTimeout === undefined ? {} : { connectTimeout: options.connectTimeout })
    }))
  )

/**
 * The local-node stand-in listening on a Unix socket (a stale socket file at the path is removed
 * first); needs a ChainSource, and uses LocalServer's optional services when provided. Fails with a
 * ListenError when it cannot listen there.
 *
 * @category layers
 * @since 0.1.0
 */
export const layerStandInUnix = (
  options: LocalServer.LocalServerConfig & { readonly socketPath: string }
): Layer.Layer<
  | Manager.Manager<LocalServer.LocalServerEvent, LocalServer.LocalServerCommand>
  | LocalServer.LocalServerBehaviorShape,
  ListenError.ListenError,
  ChainSource.ChainSource
> =>
  LocalServer.layerManager(options).pipe(
    Layer.provide(Layer.unwrap(Effect.sync(() => {
      try {
        if (fs.statSync(options.socketPath).isSocket()) fs.unlinkSync(options.socketPath)
      } catch {
        // nothing there
      }
      return UnixInterface.layer({ protocols: LocalClient.protocols, listen: options.socketPath })
    })))
  )
