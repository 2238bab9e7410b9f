/**
 * The responder's handshake: answers an inbound proposal (accept, refuse, or answer a query and
 * close), closes a connection that never proposes within the idle timeout, and on a connection we
 * dialled learns the version our initiator agreed. {@link answerProposal} is shared with the
 * local-node stand-in (LocalServer).
 *
 * @internal
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as FiberMap from "effect/FiberMap"
import type { PeerId } from "../../Primitives.ts"
import * as Handshake from "../../protocol/Handshake.ts"
import { type Connection, nothing, type ResponderContext, type SubBehavior } from "./context.ts"

/** How a version proposal is answered: the reply to send and what it means. */
export type ProposalAnswer =
  | { readonly _tag: "Refuse"; readonly reply: Handshake.Message; readonly reason: Handshake.RefuseReason }
  | { readonly _tag: "Query"; readonly reply: Handshake.Message }
  | {
    readonly _tag: "Accept"
    readonly reply: Handshake.Message
    readonly version: number
    readonly data: Handshake.VersionData
  }

/**
 * Answers a proposal against our version table (node-to-node or node-to-client): the highest common
 * version, a refusal, or our table when the proposal is a query. After a `Refuse` or a `Query` reply
 * the connection is to be closed once the reply is written.
 */
export const answerProposal = (ours: Handshake.VersionTable, proposal: Handshake.VersionTable): ProposalAnswer => {
  const outcome = Handshake.negotiate(ours, proposal)
  if (outcome._tag === "Refuse") {
    return { _tag: "Refuse", reply: Handshake.make.refuse(outcome.reason), reason: outcome.reason }
  }
  if (proposal.get(outcome.version)?.query === true) return { _tag: "Query", reply: Handshake.make.queryReply(ours) }
  return {
    _tag: "Accept",
    reply: Handshake.make.accept(outcome.version, outcome.data),
    version: outcome.version,
    data: outcome.data
  }
}

/** One peer's handshake state beyond what the {@link Connection} shows. */
interface HandshakeState {
  /** The reply (`MsgRefuse`, `MsgQueryReply`) after which the connection closes. */
  closeAfterSent: string | undefined
  /** Why we refused, for the closing reason. */
  refusal: string | undefined
}

/** The handshake's server side. */
export type HandshakeBehavior = SubBehavior<Handshake.Message>

/** Makes the handshake's server side. */
export const make = (ctx: ResponderContext): HandshakeBehavior => {
  const s = ctx.settings
  const ours = Handshake.n2nVersionTable({
    magic: s.networkMagic,
    versions: [...s.versions].sort((a, b) => a - b),
    initiatorOnly: s.initiatorOnly,
    peerSharing: s.peerSharing
  })
  const states = new Map<PeerId, HandshakeState>()
  const idleKey = (conn: Connection) => `${conn.peer}/idle`

  const onPropose = Effect.fnUntraced(function*(conn: Connection, state: HandshakeState, proposal: Handshake.VersionTable) {
    if (conn.handshake !== "pending") return
    const answer = answerProposal(ours, proposal)
    switch (answer._tag) {
      case "Refuse": {
        const text = answer.reason._tag === "VersionMismatch"
          ? `no common version (ours ${[...ours.keys()].join(", ")}; theirs ${[...proposal.keys()].join(", ")})`
          : answer.reason.message
        conn.handshake = "refused"
        state.closeAfterSent = answer.reply._tag
        state.refusal = text
        ctx.send(conn, answer.reply)
        ctx.emit({ _tag: "HandshakeRefused", peer: conn.peer, reason: text })
        return
      }
      case "Query": {
        conn.handshake = "queried"
        state.closeAfterSent = answer.reply._tag
        ctx.send(conn, answer.reply)
        ctx.emit({ _tag: "HandshakeQueried", peer: conn.peer })
        return
      }
      case "Accept": {
        conn.handshake = "accepted"
        conn.version = answer.version
        conn.versionData = answer.data
        ctx.send(conn, answer.reply)
        yield* FiberMap.remove(ctx.fibers, idleKey(conn))
        ctx.emit({
          _tag: "PeerInitialized",
          peer: conn.peer,
          version: answer.version,
          data: answer.data,
          direction: conn.direction
        })
        return
      }
    }
  })

  return {
    protocol: "handshake",
    isRequest: (m): m is Handshake.Message => m.protocol === "handshake",
    connected: Effect.fnUntraced(function*(conn: Connection) {
      states.set(conn.peer, { closeAfterSent: undefined, refusal: undefined })
      if (conn.handshake !== "pending") return // dialled by us, or refused by the limits
      yield* FiberMap.run(
        ctx.fibers,
        idleKey(conn),
        Effect.sleep(s.idleTimeout).pipe(
          Effect.andThen(ctx.locked(Effect.sync(() => {
            if (ctx.connections.get(conn.peer) === conn && conn.handshake === "pending") {
              ctx.close(conn, `no handshake within ${Duration.format(s.idleTimeout)}`)
            }
          })))
        )
      )
    }),
    disconnected: Effect.fnUntraced(function*(conn: Connection) {
      states.delete(conn.peer)
      yield* FiberMap.remove(ctx.fibers, idleKey(conn))
    }),
    onMessage: Effect.fnUntraced(function*(conn: Connection, message: Handshake.Message) {
      const state = states.get(conn.peer)
      if (state === undefined) return
      if (message._tag === "MsgProposeVersions") {
        // on a connection we dialled a proposal is a simultaneous open: the initiator's business
        if (conn.direction === "outbound") return
        return yield* onPropose(conn, state, message.versionTable)
      }
      if (message._tag === "MsgAcceptVersion") {
        // the answer to our own proposal on a connection we dialled: learn the negotiated version
        conn.version = message.version
        conn.versionData = message.versionData
        ctx.emit({
          _tag: "PeerInitialized",
          peer: conn.peer,
          version: message.version,
          data: message.versionData,
          direction: conn.direction
        })
      }
    }),
    onSent: (conn, messages) => {
      const state = states.get(conn.peer)
      if (state === undefined || state.closeAfterSent === undefined) return
      const awaited = state.closeAfterSent
      if (!messages.some((m) => m._tag === awaited)) return
      state.closeAfterSent = undefined
      ctx.close(conn, conn.handshake === "queried" ? "handshake query answered" : `handshake refused: ${state.refusal}`)
    },
    onCommand: nothing,
    view: () => undefined
  }
}
