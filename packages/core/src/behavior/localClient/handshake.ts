/**
 * The client's handshake: once the connection is up it proposes our node-to-client version table
 * (with the query flag when asked), then checks the node's answer: an accepted version must be one we
 * proposed, with our network magic; a refusal or a query reply is reported and the connection closed.
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import { NetworkMagic } from "../../Primitives.ts"
import * as Handshake from "../../protocol/Handshake.ts"
import * as W from "../internal/local-wire.ts"
import type { LocalClientConfig } from "../LocalClient.ts"
import type { ClientContext, Connection, SubBehavior } from "./context.ts"

/** The handshake's client side: a sub-behavior, and the proposal sent once the connection is up. */
export interface HandshakeClient extends SubBehavior<Handshake.Message> {
  /** The connection is up: propose our versions. */
  readonly propose: (conn: Connection) => Effect.Effect<void>
}

/** The version table a config proposes. */
const versionTableOf = (config: LocalClientConfig): Handshake.VersionTable =>
  config.versionTable ?? Handshake.n2cVersionTable({
    magic: config.networkMagic ?? NetworkMagic.mainnet,
    versions: config.versions ?? Handshake.N2C_VERSIONS,
    query: config.query ?? false
  })

/** Makes the handshake's client side. */
export const make = (ctx: ClientContext, config: LocalClientConfig): HandshakeClient => {
  const table = versionTableOf(config)

  const onAccept = (conn: Connection, version: number, data: Handshake.VersionData) => {
    const ours = table.get(version)
    if (ours === undefined) {
      conn.handshake = "refused"
      return ctx.close(conn, `handshake: the node accepted v${Handshake.plainVersion(version)}, which we did not propose`)
    }
    if (data.networkMagic !== ours.networkMagic) {
      conn.handshake = "refused"
      return ctx.close(conn, `handshake: the node accepted with network magic ${data.networkMagic}, not ours (${ours.networkMagic})`)
    }
    conn.handshake = "accepted"
    conn.version = Handshake.plainVersion(version)
    return ctx.emit({ _tag: "HandshakeAccepted", peer: conn.peer, version: conn.version, versionData: data })
  }

  return {
    protocol: "handshake",
    isReply: (m): m is Handshake.Message => m.protocol === "handshake",
    connected: () => Effect.void,
    disconnected: () => Effect.void,
    propose: (conn) =>
      Effect.sync(() => {
        conn.handshake = "proposed"
        ctx.send(conn, Handshake.make.propose(table))
      }),
    onMessage: (conn, m) =>
      Effect.sync(() => {
        switch (m._tag) {
          case "MsgAcceptVersion":
            return onAccept(conn, m.version, m.versionData)
          case "MsgRefuse": {
            conn.handshake = "refused"
            const text = W.refusalText(m.reason)
            ctx.emit({ _tag: "HandshakeRefused", peer: conn.peer, reason: m.reason, text })
            return ctx.close(conn, `handshake refused: ${text}`)
          }
          case "MsgQueryReply": {
            conn.handshake = "queried"
            ctx.emit({ _tag: "HandshakeQueryReply", peer: conn.peer, versionTable: m.versionTable })
            return ctx.close(conn, "handshake query answered")
          }
          default:
            return ctx.close(conn, `handshake: unexpected ${m._tag}`)
        }
      }),
    onCommand: () => Effect.void,
    view: () => undefined
  }
}
