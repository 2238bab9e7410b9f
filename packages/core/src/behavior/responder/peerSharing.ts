/**
 * The responder's peer-sharing server side. In `auto` mode it answers from the configured addresses
 * and the inbound peers that accept connections (when both sides agreed to share peers); in `manual`
 * mode it emits `PeersRequested` and answers with the peers of `ProvidePeers`. Only IPv4 TCP peers
 * can be shared; an answer never holds more than was asked for.
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import type { PeerId } from "../../Primitives.ts"
import * as Handshake from "../../protocol/Handshake.ts"
import * as PeerSharing from "../../protocol/PeerSharing.ts"
import type { ResponderCommand } from "../Responder.ts"
import { selectPeers, sharedAddress } from "../internal/peerSelection.ts"
import { type Connection, ignoreSent, nothing, type ResponderContext, type SubBehavior } from "./context.ts"

/** The peer-sharing requests the server side reads. */
type Request = Extract<PeerSharing.Message, { readonly _tag: "MsgShareRequest" | "MsgDone" }>

/** The command that answers a peer-sharing request in `manual` mode. */
type Command = Extract<ResponderCommand, { readonly _tag: "ProvidePeers" }>

/** The peer-sharing server side. */
export type PeerSharingBehavior = SubBehavior<Request, Command>

/** Makes the peer-sharing server side. */
export const make = (ctx: ResponderContext): PeerSharingBehavior => {
  const s = ctx.settings
  /** `manual` mode: the amount each peer asked for and the application has to answer. */
  const pending = new Map<PeerId, number>()

  /** Sends the shareable addresses among `chosen`, at most `requested`. */
  const share = (conn: Connection, requested: number, chosen: ReadonlyArray<PeerId>) => {
    const addresses = chosen.flatMap((p) => {
      const a = sharedAddress(p)
      return a === undefined ? [] : [a]
    }).slice(0, requested)
    ctx.send(conn, PeerSharing.make.sharePeers(addresses))
  }

  /** Whether a connection may be given to others: inbound, accepted, open and not initiator-only. */
  const shareable = (p: Connection) =>
    p.direction === "inbound" && p.handshake === "accepted" && p.closing === undefined &&
    p.versionData !== undefined && !(p.versionData.initiatorOnlyDiffusionMode ?? false)

  return {
    protocol: "peer-sharing",
    isRequest: (m): m is Request => m.protocol === "peer-sharing" && (m._tag === "MsgShareRequest" || m._tag === "MsgDone"),
    connected: nothing,
    disconnected: (conn) => Effect.sync(() => pending.delete(conn.peer)),
    onMessage: (conn, message) =>
      Effect.sync(() => {
        if (message._tag === "MsgDone") return
        if (s.mode === "manual") {
          pending.set(conn.peer, message.amount)
          ctx.emit({ _tag: "PeersRequested", peer: conn.peer, amount: message.amount })
          return
        }
        const enabled = s.peerSharing && (conn.versionData === undefined || Handshake.sharesPeers(conn.versionData))
        const chosen = enabled
          ? selectPeers({
            asker: conn.peer,
            amount: message.amount,
            cap: s.maxSharedPeers,
            configured: s.sharedPeers,
            connected: [...ctx.connections.values()].map((p) => ({ peer: p.peer, shareable: shareable(p) }))
          }).filter((p) => sharedAddress(p) !== undefined)
          : []
        share(conn, message.amount, chosen)
        ctx.emit({ _tag: "PeersShared", peer: conn.peer, requested: message.amount, peers: chosen.slice(0, message.amount) })
      }),
    onSent: ignoreSent,
    onCommand: (conn, command) =>
      Effect.sync(() => {
        const amount = pending.get(conn.peer)
        if (amount === undefined) return ctx.rejected(command, "the peer did not ask for peers")
        pending.delete(conn.peer)
        share(conn, amount, command.peers.filter((p) => p !== conn.peer))
      }),
    view: () => undefined
  }
}
