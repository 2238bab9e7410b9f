/**
 * The initiator's handshake client side: proposes our version table as soon as the dial comes up,
 * checks the version and network magic the peer accepts (anything we did not propose bans it), reports
 * a refusal or a query reply and closes, and closes a connection not handshaken within the connect
 * timeout. An accepted handshake makes the peer warm through the governor.
 *
 * @internal
 */
import * as Handshake from "../../protocol/Handshake.ts"
import { ignore, type InitiatorContext, still, type SubBehavior } from "./context.ts"
import type { PeerGovernor } from "./governor.ts"

/** The handshake answers the client side reads. */
type Answer = Extract<Handshake.Message, { readonly _tag: "MsgAcceptVersion" | "MsgRefuse" | "MsgQueryReply" }>

/** The handshake client side. */
export type HandshakeBehavior = SubBehavior<Answer>

/** Makes the handshake client side. */
export const make = (ctx: InitiatorContext, governor: Pick<PeerGovernor, "established">): HandshakeBehavior => {
  const s = ctx.settings
  return {
    ...still,
    protocol: "handshake",
    isAnswer: (m): m is Answer =>
      m.protocol === "handshake" && (m._tag === "MsgAcceptVersion" || m._tag === "MsgRefuse" || m._tag === "MsgQueryReply"),
    connected: (conn) => ctx.send(conn.peer, Handshake.make.propose(s.table)),
    tick: (conn, now) => {
      if (conn.handshake !== "proposed" || conn.closing !== undefined) return
      const r = ctx.peers.get(conn.peer)
      if (r !== undefined && now - r.phaseSince >= s.connectTimeout) ctx.close(conn.peer, "handshake: no answer in time", true)
    },
    onMessage: (conn, m) => {
      const peer = conn.peer
      switch (m._tag) {
        case "MsgAcceptVersion": {
          if (s.table.get(m.version) === undefined) {
            return ctx.ban(peer, `handshake: the peer accepted version ${m.version}, which we did not propose`)
          }
          if (m.versionData.networkMagic !== s.networkMagic) {
            return ctx.ban(peer, `handshake: the peer accepted with network magic ${m.versionData.networkMagic}, not ${s.networkMagic}`)
          }
          conn.handshake = "accepted"
          conn.version = m.version
          conn.versionData = m.versionData
          ctx.emit({ _tag: "HandshakeResult", peer, result: { _tag: "Accepted", version: m.version, data: m.versionData } })
          return governor.established(conn)
        }
        case "MsgRefuse": {
          const reason = Handshake.describeRefuseReason(m.reason)
          conn.handshake = "finished"
          ctx.emit({ _tag: "HandshakeResult", peer, result: { _tag: "Refused", reason } })
          return ctx.close(peer, `handshake refused: ${reason}`, true)
        }
        case "MsgQueryReply":
          conn.handshake = "finished"
          ctx.emit({ _tag: "HandshakeResult", peer, result: { _tag: "Queried", versions: m.versionTable } })
          return ctx.close(peer, "version query answered", false)
      }
    },
    onSent: ignore,
    onCommand: ignore,
    view: () => undefined
  }
}
