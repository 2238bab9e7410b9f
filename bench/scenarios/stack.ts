/**
 * The project's side of scenarios 1-3: a client made of TcpInterface and the project's own protocol
 * messages (handshake, then block-fetch or chain-sync), against a responder process; and the full
 * initiator (as `network2 demo` drives it).
 */
import { Block, Initiator, Interface, PeerId, Protocols } from "@pallas-network2/core"
import type { InterfaceEvent, Message } from "@pallas-network2/core"
import * as TcpInterface from "@pallas-network2/node/TcpInterface"
import * as Demo from "../../packages/cli/src/commands/Demo.ts"
import * as Context from "effect/Context"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Stream from "effect/Stream"

const { BlockFetch, ChainSync, Handshake, NodeToNode } = Protocols
export const MAGIC = 764824073

/**
 * Connects to the responder, handshakes, then hands every later received message to `onMessage`
 * (which may send) until it returns `true`. Resolves with the seconds from the first request to the end.
 */
const session = (
  port: number,
  start: (send: (m: Message) => Effect.Effect<void>) => Effect.Effect<void>,
  onMessage: (m: any, send: (m: Message) => Effect.Effect<void>) => Effect.Effect<boolean>
) =>
  Effect.gen(function*() {
    const address = PeerId.tcp("127.0.0.1", port)
    const context = yield* Layer.build(TcpInterface.layer({ protocols: NodeToNode.protocols }))
    const iface = Context.get(context, Interface.Interface)
    const send = (m: Message) => iface.dispatch({ _tag: "Send", peer: address, message: m })
    const accepted = yield* Deferred.make<void, Error>()
    const done = yield* Deferred.make<void, Error>()
    let handshaken = false
    const onEvent = (e: InterfaceEvent): Effect.Effect<void> => {
      if (e._tag === "Recv") {
        return Effect.gen(function*() {
          for (const m of e.messages as ReadonlyArray<any>) {
            if (!handshaken) {
              if (m._tag !== "MsgAcceptVersion") {
                yield* Deferred.fail(accepted, new Error(`handshake: ${m._tag}`))
                return
              }
              handshaken = true
              yield* Deferred.succeed(accepted, undefined)
            } else if (yield* onMessage(m, send)) {
              yield* Deferred.succeed(done, undefined)
            }
          }
        })
      }
      if (e._tag === "Disconnected" || e._tag === "Error") {
        const err = new Error(`connection ended: ${e._tag} ${e._tag === "Error" ? String(e.error) : ""}`)
        return Effect.andThen(Deferred.fail(accepted, err), Deferred.fail(done, err))
      }
      return Effect.void
    }
    yield* Effect.forkScoped(Stream.runForEach(iface.events, onEvent))
    yield* iface.dispatch({ _tag: "Connect", peer: address })
    yield* send(Handshake.make.propose(Handshake.n2nVersionTable({ magic: MAGIC })))
    yield* Deferred.await(accepted)
    const started = performance.now()
    yield* start(send)
    yield* Deferred.await(done)
    return (performance.now() - started) / 1000
  }).pipe(Effect.scoped)

const origin = { _tag: "Origin" } as const

/** Scenario 1: one RequestRange; counts the bytes of every decoded MsgBlock until MsgBatchDone. MB/s. */
export const muxThroughput = (port: number, expectAtLeast: number): Promise<number> => {
  let bytes = 0
  return Effect.runPromise(
    session(
      port,
      (send) => send(BlockFetch.make.requestRange(origin as any, origin as any)),
      (m) =>
        Effect.sync(() => {
          if (m._tag === "MsgBlock") bytes += m.block.bytes.length
          else if (m._tag === "MsgNoBlocks") throw new Error("MsgNoBlocks")
          return m._tag === "MsgBatchDone"
        })
    )
  ).then((seconds) => {
    if (bytes < expectAtLeast) throw new Error(`mux: received ${bytes} of ${expectAtLeast} bytes`)
    return bytes / 1e6 / seconds
  })
}

/** Scenario 3: chain-sync from the origin for `headers` headers, `window` RequestNext in flight. headers/s. */
export const chainSyncHeaders = (port: number, headers: number, window: number): Promise<number> => {
  const total = headers + 1 // the first answer is RollBackward to the origin
  let requested = 0
  let received = 0
  let forwards = 0
  const more = (send: (m: Message) => Effect.Effect<void>) =>
    Effect.gen(function*() {
      while (requested < total && requested - received < window) {
        requested++
        yield* send(ChainSync.make.requestNext())
      }
    })
  return Effect.runPromise(
    session(
      port,
      more,
      (m, send) =>
        Effect.gen(function*() {
          received++
          if (m._tag === "MsgRollForward") forwards++
          else if (m._tag !== "MsgRollBackward") throw new Error(`chain-sync: ${m._tag}`)
          if (received >= total) return true
          yield* more(send)
          return false
        })
    )
  ).then((seconds) => {
    if (forwards !== headers) throw new Error(`chain-sync: ${forwards} of ${headers} headers`)
    return headers / seconds
  })
}

const quietProgress: Demo.Progress = { update: () => {}, line: () => {}, finish: () => {} }

/** Scenario 2, the project's side: the full initiator (as `network2 demo`) syncs then fetches the chain. blocks/s. */
export const initiatorBlocks = (port: number, blocks: ReadonlyArray<Block.ChainBlock>): Promise<number> =>
  Effect.runPromise(
    Effect.gen(function*() {
      const expected = Demo.expectedChain(blocks)
      const initiator = yield* Layer.build(
        Initiator.managerLayer().pipe(
          Layer.provideMerge(Initiator.layer({ networkMagic: MAGIC, targets: { known: 10, established: 1, active: 1 } })),
          Layer.provideMerge(TcpInterface.layer({ protocols: NodeToNode.protocols }) as Layer.Layer<Interface.Interface>)
        )
      )
      const summary = yield* Demo.run({
        peers: [PeerId.tcp("127.0.0.1", port)],
        expected,
        progress: quietProgress,
        behavior: Context.get(initiator, Initiator.InitiatorBehavior)
      }).pipe(Effect.provide(Layer.succeedContext(initiator)))
      if (!summary.ok) throw new Error(`initiator: ${summary.problems.join("; ")}`)
      return summary.blocks / (summary.blockMillis / 1000)
    }).pipe(Effect.scoped)
  )
