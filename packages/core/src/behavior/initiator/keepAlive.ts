/**
 * The initiator's keep-alive client side, from the moment a peer is warm: a MsgKeepAlive with a
 * random cookie every interval, the round trip measured from when it was written and folded into
 * the peer's RTT; an answer with another cookie bans the peer, no answer within the timeout closes
 * it as a failure.
 *
 * @internal
 */
import type { Message } from "../../Message.ts"
import type { PeerId } from "../../Primitives.ts"
import * as KeepAlive from "../../protocol/KeepAlive.ts"
import { type Connection, ignore, type InitiatorContext, still, type SubBehavior } from "./context.ts"

/** The keep-alive answer the client side reads. */
type Answer = Extract<KeepAlive.Message, { readonly _tag: "MsgKeepAliveResponse" }>

/** The keep-alive request the client side writes. */
type Request = Extract<KeepAlive.Message, { readonly _tag: "MsgKeepAlive" }>

const isRequest = (m: Message): m is Request => m.protocol === "keep-alive" && m._tag === "MsgKeepAlive"

/** One peer's keep-alive state. */
interface KeepAliveState {
  /** The cookie awaited, if a request is out. */
  cookie: number | undefined
  /** When the request was written (ms). */
  sentAt: number | undefined
  /** When the answer is due (ms). */
  dueAt: number
  /** When the next request goes (ms). */
  nextAt: number
}

/** The keep-alive client side. */
export type KeepAliveBehavior = SubBehavior<Answer>

/** Makes the keep-alive client side. */
export const make = (ctx: InitiatorContext): KeepAliveBehavior => {
  const s = ctx.settings
  const states = new Map<PeerId, KeepAliveState>()

  /** Sends the next request when it is due, or closes the peer when its answer is late. */
  const tick = (conn: Connection, t: number) => {
    const st = states.get(conn.peer)
    if (st === undefined || conn.handshake !== "accepted" || conn.closing !== undefined) return
    if (st.cookie !== undefined) {
      if (t >= st.dueAt) ctx.close(conn.peer, "keep-alive: no answer in time", true)
      return
    }
    if (t < st.nextAt) return
    const cookie = Math.floor(ctx.random() * 0x10000) & 0xffff
    st.cookie = cookie
    st.sentAt = t
    st.dueAt = t + s.keepAliveTimeout
    ctx.send(conn.peer, KeepAlive.make.keepAlive(cookie))
  }

  return {
    ...still,
    protocol: "keep-alive",
    isAnswer: (m): m is Answer => m.protocol === "keep-alive" && m._tag === "MsgKeepAliveResponse",
    connected: (conn) => {
      states.set(conn.peer, { cookie: undefined, sentAt: undefined, dueAt: 0, nextAt: conn.connectedAt })
    },
    established: (conn, t) => {
      const st = states.get(conn.peer)
      if (st !== undefined) st.nextAt = t
      tick(conn, t)
    },
    tick,
    disconnected: (conn) => {
      states.delete(conn.peer)
    },
    onMessage: (conn, m) => {
      const st = states.get(conn.peer)
      if (st === undefined) return
      if (st.cookie === undefined || m.cookie !== st.cookie) {
        return ctx.ban(conn.peer, `keep-alive: cookie ${m.cookie} does not match ${st.cookie ?? "any request"}`)
      }
      const t = ctx.now()
      ctx.peers.recordRtt(conn.peer, Math.max(0, t - (st.sentAt ?? t)))
      st.cookie = undefined
      st.sentAt = undefined
      st.nextAt = t + s.keepAliveInterval
    },
    onSent: (conn, messages) => {
      // the round trip counts from when the request was written, not queued
      const st = states.get(conn.peer)
      if (st !== undefined && messages.some((m) => isRequest(m) && m.cookie === st.cookie)) st.sentAt = ctx.now()
    },
    onCommand: ignore,
    view: () => undefined
  }
}
