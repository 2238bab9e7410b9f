/**
 * Connects the initiator to responder behaviors in memory, message objects passed as they are (no
 * codec, no mux), each direction delayed by half a round trip on the Clock and kept in order. For
 * checking the two behaviors against each other before the mux runs under them.
 */
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Queue from "effect/Queue"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import type * as Interface from "../../../src/Interface.ts"
import { PeerId } from "../../../src/Primitives.ts"
import type { AnyNodeToNodeMessage } from "../../../src/protocol/NodeToNode.ts"
import { TransportError } from "../../../src/ProtocolError.ts"

type InterfaceShape = Interface.InterfaceShape<AnyNodeToNodeMessage>
type InterfaceEvent = Interface.InterfaceEvent<AnyNodeToNodeMessage>
type InterfaceCommand = Interface.InterfaceCommand<AnyNodeToNodeMessage>

interface Link {
  readonly push: (delay: number, f: () => void) => void
}

const makeLink = Effect.fnUntraced(function*(): Effect.fn.Return<Link, never, Scope.Scope> {
  const clock = yield* Clock.Clock
  const items: Array<readonly [number, () => void]> = []
  let wake: (() => void) | undefined
  yield* Effect.gen(function*() {
    while (true) {
      const head = items[0]
      if (head === undefined) {
        yield* Effect.callback<void>((resume) => {
          wake = () => resume(Effect.void)
        })
        wake = undefined
        continue
      }
      const wait = head[0] - clock.currentTimeMillisUnsafe()
      if (wait > 0) yield* Effect.sleep(wait)
      items.shift()
      head[1]()
    }
  }).pipe(Effect.forkScoped)
  return {
    push: (delay, f) => {
      const at = Math.max(clock.currentTimeMillisUnsafe() + delay, items[items.length - 1]?.[0] ?? 0)
      items.push([at, f])
      wake?.()
    }
  }
})

export interface Server {
  readonly peer: PeerId
  readonly rtt: number
  readonly iface: InterfaceShape
}

/** An initiator interface and, per server address, the interface its responder runs on. */
export interface ServerSpec {
  readonly peer: PeerId
  readonly rtt: number
  /** Extra delay (ms) of every message the server sends (a slow link). */
  readonly slow?: number
  /** The server drops its first connection this long (ms) after it came up. */
  readonly dropAfter?: number
  /** Rewrites what the server sends (a lying server). */
  readonly tamper?: (message: AnyNodeToNodeMessage) => AnyNodeToNodeMessage
}

export const make = Effect.fnUntraced(function*(servers: ReadonlyArray<ServerSpec>) {
  const context = yield* Effect.context<never>()
  const clientEvents = yield* Queue.unbounded<InterfaceEvent>()
  const client = PeerId.tcp("127.0.0.1", 40001)
  const sides = new Map<PeerId, {
    readonly rtt: number
    readonly events: Queue.Queue<InterfaceEvent>
    readonly up: Link
    readonly down: Link
    open: boolean
    generation: number
  }>()
  const out: Array<Server> = []
  for (const s of servers) {
    const events = yield* Queue.unbounded<InterfaceEvent>()
    const side = { rtt: s.rtt, events, up: yield* makeLink(), down: yield* makeLink(), open: false, generation: 0 }
    sides.set(s.peer, side)
    const dispatch = (command: InterfaceCommand) =>
      Effect.sync(() => {
        if (!side.open) return
        switch (command._tag) {
          case "Send":
          case "SendMany": {
            // a run goes as its messages one by one, as the multiplexer writes them
            for (const sent of command._tag === "Send" ? [command.message] : command.messages) {
              Queue.offerUnsafe(events, { _tag: "Sent", peer: client, messages: [sent] })
              const message = s.tamper === undefined ? sent : s.tamper(sent)
              side.down.push(s.rtt / 2 + (s.slow ?? 0), () => {
                if (side.open) Queue.offerUnsafe(clientEvents, { _tag: "Recv", peer: s.peer, messages: [message] })
              })
            }
            return
          }
          case "Disconnect":
            side.open = false
            Queue.offerUnsafe(events, { _tag: "Disconnected", peer: client })
            side.down.push(s.rtt / 2, () => Queue.offerUnsafe(clientEvents, { _tag: "Disconnected", peer: s.peer }))
            return
          case "Connect":
            return
        }
      })
    out.push({ peer: s.peer, rtt: s.rtt, iface: { dispatch, events: Stream.fromQueue(events) } })
  }
  const dispatch = (command: InterfaceCommand) =>
    Effect.sync(() => {
      const side = sides.get(command.peer)
      switch (command._tag) {
        case "Connect":
          if (side === undefined || side.open) {
            Queue.offerUnsafe(clientEvents, { _tag: "Disconnected", peer: command.peer })
            return
          }
          side.open = true
          side.generation++
          side.up.push(side.rtt / 2, () => Queue.offerUnsafe(side.events, { _tag: "Connected", peer: client, direction: "inbound" }))
          const spec = servers.find((x) => x.peer === command.peer)
          if (spec?.dropAfter !== undefined && side.generation === 1) {
            const generation = side.generation
            const drop = Effect.sleep(side.rtt + spec.dropAfter).pipe(Effect.andThen(Effect.sync(() => {
              if (!side.open || side.generation !== generation) return
              side.open = false
              Queue.offerUnsafe(side.events, { _tag: "Disconnected", peer: client })
              Queue.offerUnsafe(clientEvents, { _tag: "Error", peer: command.peer, error: new TransportError({ detail: "connection reset by peer" }) })
              Queue.offerUnsafe(clientEvents, { _tag: "Disconnected", peer: command.peer })
            })))
            Effect.runForkWith(context)(drop)
          }
          side.down.push(side.rtt, () => Queue.offerUnsafe(clientEvents, { _tag: "Connected", peer: command.peer, direction: "outbound" }))
          return
        case "Send":
          if (side === undefined || !side.open) return
          Queue.offerUnsafe(clientEvents, { _tag: "Sent", peer: command.peer, messages: [command.message] })
          side.up.push(side.rtt / 2, () => {
            if (side.open) Queue.offerUnsafe(side.events, { _tag: "Recv", peer: client, messages: [command.message] })
          })
          return
        case "Disconnect":
          if (side === undefined || !side.open) return
          side.open = false
          Queue.offerUnsafe(clientEvents, { _tag: "Disconnected", peer: command.peer })
          side.up.push(side.rtt / 2, () => Queue.offerUnsafe(side.events, { _tag: "Disconnected", peer: client }))
          return
      }
    })
  const initiator: InterfaceShape = { dispatch, events: Stream.fromQueue(clientEvents) }
  return { initiator, servers: out }
})
