/**
 * The responder's admission of connections: an inbound one is refused when its IP is banned or a
 * hard or per-IP limit is reached, and over the soft limit it makes room by closing the least
 * recently active peer that is not busy. Connection-level, not a mini-protocol: it has the
 * lifecycle handlers of a sub-behavior ({@link Lifecycle}) and no messages of its own.
 *
 * @internal
 */
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import type { PeerId } from "../../Primitives.ts"
import type { Connection, Lifecycle, ResponderContext } from "./context.ts"

/** The admission of connections: the lifecycle handlers of a sub-behavior, and activity. */
export interface Limits extends Lifecycle {
  /** Notes that the peer was active (the least active is pruned first). */
  readonly received: (conn: Connection) => Effect.Effect<void>
}

/** Makes the admission of connections; `busy` tells the peers that must not be pruned. */
export const make = (ctx: ResponderContext, busy: (peer: PeerId) => boolean): Limits => ({
  connected: Effect.fnUntraced(function*(conn: Connection) {
    const peer = conn.peer
    if (conn.direction === "outbound") {
      ctx.emit({ _tag: "PeerConnected", peer, direction: conn.direction })
      return
    }
    const admitted = ctx.admission.admit(peer, conn.connectedAt, busy)
    if (admitted._tag === "Refuse") {
      conn.handshake = "rejected"
      ctx.emit({ _tag: "PeerRejected", peer, reason: admitted.reason })
      ctx.close(conn, admitted.reason)
      return
    }
    ctx.emit({ _tag: "PeerConnected", peer, direction: conn.direction })
    if (admitted.prune !== undefined) {
      const victim = ctx.connections.get(admitted.prune)
      if (victim !== undefined) {
        ctx.close(victim, `pruned: over the soft limit of ${ctx.settings.softLimit} inbound connections`)
      }
    }
  }),
  disconnected: (conn) =>
    Effect.sync(() => {
      if (conn.direction === "inbound" && conn.handshake !== "rejected") ctx.admission.release(conn.peer)
    }),
  received: (conn) =>
    conn.direction === "inbound"
      ? Effect.map(Clock.currentTimeMillis, (now) => ctx.admission.touch(conn.peer, now))
      : Effect.void
})
