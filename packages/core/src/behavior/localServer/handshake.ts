/**
 * The stand-in's handshake: answers a client's proposal with the node-to-client version table it
 * serves (accept the highest common version, refuse, or answer a query), through the responder's
 * {@link answerProposal}; after a refusal or a query answer the connection closes once that reply is
 * written. A second proposal closes the client.
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import type { PeerId } from "../../Primitives.ts"
import * as Handshake from "../../protocol/Handshake.ts"
import * as W from "../internal/local-wire.ts"
import { answerProposal } from "../responder/handshake.ts"
import { type Connection, nothing, requests, type ServerContext, type SubBehavior } from "./context.ts"

/** The handshake request the stand-in reads. */
type Request = Extract<Handshake.Message, { readonly _tag: "MsgProposeVersions" }>

/** The handshake's server side. */
export type HandshakeServer = SubBehavior<Request>

/** Makes the handshake's server side. */
export const make = (ctx: ServerContext): HandshakeServer => {
  const ours = Handshake.n2cVersionTable({ magic: ctx.settings.networkMagic, versions: ctx.settings.versions })
  /** By client: the reply (`MsgRefuse`, `MsgQueryReply`) after which the connection closes. */
  const closeAfterSent = new Map<PeerId, string>()

  const onPropose = (conn: Connection, proposal: Handshake.VersionTable) => {
    if (conn.handshake !== "pending") return ctx.close(conn, "handshake: a second proposal")
    const answer = answerProposal(ours, proposal)
    switch (answer._tag) {
      case "Refuse": {
        const text = W.refusalText(answer.reason)
        conn.handshake = "refused"
        closeAfterSent.set(conn.peer, answer.reply._tag)
        ctx.send(conn, answer.reply)
        ctx.emit({ _tag: "HandshakeRefused", peer: conn.peer, reason: text })
        conn.error = `handshake refused: ${text}`
        return
      }
      case "Query": {
        conn.handshake = "queried"
        closeAfterSent.set(conn.peer, answer.reply._tag)
        ctx.send(conn, answer.reply)
        ctx.emit({ _tag: "HandshakeQueried", peer: conn.peer })
        return
      }
      case "Accept": {
        conn.handshake = "accepted"
        conn.version = Handshake.plainVersion(answer.version)
        ctx.send(conn, answer.reply)
        ctx.emit({ _tag: "HandshakeAccepted", peer: conn.peer, version: conn.version, versionData: answer.data })
        return
      }
    }
  }

  return {
    protocol: "handshake",
    isRequest: requests<Handshake.Message>()("handshake", ["MsgProposeVersions"]),
    connected: nothing,
    disconnected: (conn) => Effect.sync(() => closeAfterSent.delete(conn.peer)),
    onMessage: (conn, message) => Effect.sync(() => onPropose(conn, message.versionTable)),
    onSent: (conn, messages) => {
      const awaited = closeAfterSent.get(conn.peer)
      if (awaited === undefined || !messages.some((m) => m._tag === awaited)) return
      closeAfterSent.delete(conn.peer)
      ctx.close(conn, conn.handshake === "queried" ? "handshake query answered" : conn.error ?? "handshake refused")
    },
    view: () => undefined
  }
}
