/**
 * The Interface under the initiator's behavior-level fakes (initiatorFakeNet.ts, chainSyncScript.ts):
 * peers that answer what the initiator sends after a round trip driven by the Clock (so TestClock runs
 * it). A fake says what a connection holds and how it answers; this delivers the answers in order
 * (or resets the connection where a fake queued `"close"`) and reports Connected, Sent and
 * Disconnected as a real Interface does.
 */
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Queue from "effect/Queue"
import * as Stream from "effect/Stream"
import type { InterfaceCommand, InterfaceEvent, InterfaceShape } from "../../../src/Interface.ts"
import type { PeerId } from "../../../src/Primitives.ts"
import type { AnyNodeToNodeMessage } from "../../../src/protocol/NodeToNode.ts"
import { TransportError } from "../../../src/ProtocolError.ts"

type Message = AnyNodeToNodeMessage

/** What every connection of a fake holds: its answers due (at a Clock time), in order, while it is open. */
export interface Conn {
  open: boolean
  readonly outbox: Array<readonly [number, Message | "close"]>
  wake: (() => void) | undefined
}

/** A new connection's empty outbox. */
export const openConn = (): Conn => ({ open: true, outbox: [], wake: undefined })

/**
 * The Interface of a fake: `connect` says, at each Connect, the new connection's state and round
 * trip, or that it is refused (after `refuseAfter` ms), or ignores it (an unknown peer); `answer`
 * answers a message the initiator sent, by `push`ing replies (each due one round trip later).
 */
export const make = Effect.fnUntraced(function*<C extends Conn>(fake: {
  readonly connect: (peer: PeerId) => { readonly conn: C; readonly rtt: number } | { readonly refuseAfter: number } | undefined
  readonly answer: (peer: PeerId, conn: C, message: Message, push: (reply: Message | "close") => void) => void
}) {
  const events = yield* Queue.unbounded<InterfaceEvent<Message>>()
  const clock = yield* Clock.Clock
  const conns = new Map<PeerId, { readonly conn: C; readonly rtt: number }>()

  const deliver = (peer: PeerId, c: C) =>
    Effect.gen(function*() {
      while (c.open) {
        const head = c.outbox[0]
        if (head === undefined) {
          yield* Effect.callback<void>((resume) => {
            c.wake = () => resume(Effect.void)
          })
          c.wake = undefined
          continue
        }
        const wait = head[0] - clock.currentTimeMillisUnsafe()
        if (wait > 0) yield* Effect.sleep(wait)
        if (!c.open) return
        c.outbox.shift()
        if (head[1] === "close") {
          c.open = false
          conns.delete(peer)
          Queue.offerUnsafe(events, { _tag: "Error", peer, error: new TransportError({ detail: "connection reset" }) })
          Queue.offerUnsafe(events, { _tag: "Disconnected", peer })
          return
        }
        Queue.offerUnsafe(events, { _tag: "Recv", peer, messages: [head[1]] })
      }
    })

  const dispatch = (command: InterfaceCommand<Message>) =>
    Effect.gen(function*() {
      const peer = command.peer
      switch (command._tag) {
        case "Connect": {
          const made = fake.connect(peer)
          if (made === undefined) return
          if ("refuseAfter" in made) {
            yield* Effect.forkDetach(Effect.sleep(made.refuseAfter).pipe(Effect.andThen(Effect.sync(() => {
              Queue.offerUnsafe(events, { _tag: "Error", peer, error: new TransportError({ detail: "connection refused" }) })
              Queue.offerUnsafe(events, { _tag: "Disconnected", peer })
            }))))
            return
          }
          conns.set(peer, made)
          yield* Effect.forkDetach(Effect.sleep(made.rtt).pipe(
            Effect.andThen(Effect.sync(() => Queue.offerUnsafe(events, { _tag: "Connected", peer, direction: "outbound" }))),
            Effect.andThen(deliver(peer, made.conn))
          ))
          return
        }
        case "Send": {
          const open = conns.get(peer)
          if (open === undefined) return
          Queue.offerUnsafe(events, { _tag: "Sent", peer, messages: [command.message] })
          const due = clock.currentTimeMillisUnsafe() + open.rtt
          fake.answer(peer, open.conn, command.message, (reply) => {
            open.conn.outbox.push([due, reply])
            open.conn.wake?.()
          })
          return
        }
        case "Disconnect": {
          const open = conns.get(peer)
          if (open === undefined) return
          open.conn.open = false
          open.conn.wake?.()
          conns.delete(peer)
          Queue.offerUnsafe(events, { _tag: "Disconnected", peer })
          return
        }
      }
    })

  const iface: InterfaceShape<Message> = { dispatch, events: Stream.fromQueue(events) }
  return { iface, connected: (peer: PeerId) => conns.has(peer) }
})
