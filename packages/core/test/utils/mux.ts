/**
 * A node-to-node multiplexer on a bearer the test feeds: what it reads is what the test offers to
 * `incoming` (a batch of pieces per read; `undefined`, the end), what it writes is dropped.
 */
import * as Effect from "effect/Effect"
import * as Queue from "effect/Queue"
import * as Mux from "../../src/mux/Mux.ts"
import type { Message } from "../../src/Message.ts"
import { NodeToNode } from "../../src/protocol/index.ts"

/** The multiplexer as the initiator or the responder side of a connection (that side running the handshake); `onReceive` gets each batch delivered. */
export const fedMux = (role: "initiator" | "responder", onReceive: (messages: ReadonlyArray<Message>) => Effect.Effect<void>) =>
  Effect.gen(function*() {
    const incoming = yield* Queue.unbounded<ReadonlyArray<Uint8Array> | undefined>()
    const mux = yield* Mux.make({ read: Queue.take(incoming), write: () => Effect.void }, {
      protocols: NodeToNode.protocols,
      initiator: role === "initiator",
      responder: role === "responder",
      handshakeRole: role,
      onReceive,
      onSent: () => Effect.void
    })
    return { mux, incoming }
  })
