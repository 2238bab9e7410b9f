/**
 * The project's side of scenarios 1-3: a client made of TcpInterface and the project's own protocol
 * messages (handshake, then block-fetch or chain-sync), against a server process (the responder, or
 * the replayer of its recorded bytes). Each run reports the CPU both processes used over the timed
 * window.
 */
import { Interface, PeerId, Protocols } from "@pallas-network2/core"
import type { InterfaceEvent, Message } from "@pallas-network2/core"
import type { Point } from "@pallas-network2/core/protocol/Common"
import * as TcpInterface from "@pallas-network2/node/TcpInterface"
import type * as cp from "node:child_process"
import type { Measured } from "../harness.ts"
import { CpuWindow } from "./util.ts"
import * as Context from "effect/Context"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Stream from "effect/Stream"

const { BlockFetch, ChainSync, Handshake, NodeToNode } = Protocols
export const MAGIC = 764824073

/**
 * Connects to the server, handshakes, then hands every later received message to `onMessage`
 * (which may send) until it returns `true`; a message `counted` says it took (a block) is not
 * handed on, and builds no effect. Resolves with the seconds from the first request to the
 * end and the CPU microseconds this process (`local`) and the server process (`remote`) used then.
 */
const session = (
  server: cp.ChildProcess,
  port: number,
  start: (send: (m: Message) => Effect.Effect<void>) => Effect.Effect<void>,
  onMessage: (m: any, send: (m: Message) => Effect.Effect<void>) => Effect.Effect<boolean>,
  counted?: (m: any) => boolean
) =>
  Effect.gen(function*() {
    const address = PeerId.tcp("127.0.0.1", port)
    const context = yield* Layer.build(TcpInterface.layer({ protocols: NodeToNode.protocols }))
    const iface = Context.get(context, Interface.Interface)
    const send = (m: Message) => iface.dispatch({ _tag: "Send", peer: address, message: m })
    const accepted = yield* Deferred.make<void, Error>()
    const done = yield* Deferred.make<void, Error>()
    let handshaken = false
    // generator functions hoisted (Effect.fnUntraced): one written inline is built at every call,
    // which costs more than the work (docs/BENCHMARKS.md)
    const onRecv = Effect.fnUntraced(function*(e: InterfaceEvent & { readonly _tag: "Recv" }) {
          for (const m of e.messages as ReadonlyArray<any>) {
            if (!handshaken) {
              if (m._tag !== "MsgAcceptVersion") {
                yield* Deferred.fail(accepted, new Error(`handshake: ${m._tag}`))
                return
              }
              handshaken = true
              yield* Deferred.succeed(accepted, undefined)
            } else if (counted !== undefined && counted(m)) {
              continue
            } else if (yield* onMessage(m, send)) {
              yield* Deferred.succeed(done, undefined)
            }
          }
    })
    const onEvent = (e: InterfaceEvent): Effect.Effect<void> => {
      if (e._tag === "Recv") return onRecv(e)
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
    const cpu = new CpuWindow(server)
    yield* Effect.promise(() => cpu.begin())
    const started = performance.now()
    yield* start(send)
    yield* Deferred.await(done)
    const seconds = (performance.now() - started) / 1000
    const used = yield* Effect.promise(() => cpu.end())
    return { seconds, ...used }
  }).pipe(Effect.scoped)

/** A run's figure and the CPU of each process per unit of work (`units`: blocks or headers). */
const measured = (value: number, used: { local: number; remote: number }, units: number, server: string): Measured => ({
  value,
  cpu: { client: used.local / units, [server]: used.remote / units }
})

const origin = { _tag: "Origin" } as const

/**
 * Scenario 1: `ranges` RequestRanges one after the other (the responder streams `rangeBytes` of
 * blocks for each); counts the bytes of every decoded MsgBlock until the last MsgBatchDone. MB/s, and
 * the CPU microseconds per block of the client and of `serverName` (the server process).
 */
export const muxThroughput = (server: cp.ChildProcess, serverName: string, port: number, ranges: number, rangeBytes: number): Promise<Measured> => {
  let bytes = 0
  let blocks = 0
  let batches = 0
  const request = BlockFetch.make.requestRange(origin as any, origin as any)
  const other = Effect.fnUntraced(function*(m: any, send: (m: Message) => Effect.Effect<void>) {
    if (m._tag === "MsgNoBlocks") throw new Error("MsgNoBlocks")
    if (m._tag === "MsgBatchDone") {
      batches++
      if (batches === ranges) return true
      yield* send(request)
    }
    return false
  })
  return Effect.runPromise(
    session(
      server,
      port,
      (send) => send(request),
      other,
      // a block, the message nearly every call is about, is counted in the loop over the event's
      // messages: no effect built or yielded per block (one per message costs about as much as the
      // library's work on it)
      (m: any) => {
        if (m._tag !== "MsgBlock") return false
        bytes += m.block.bytes.length
        blocks++
        return true
      }
    )
  ).then((r) => {
    if (bytes < ranges * rangeBytes) throw new Error(`mux: received ${bytes} of ${ranges * rangeBytes} bytes`)
    return measured(bytes / 1e6 / r.seconds, r, blocks, serverName)
  })
}

/**
 * Scenario 2, the project's side: `repeat` RequestRanges from `from` to `to`, one after the other,
 * every MsgBlock decoded (`count` blocks each). blocks/s, and the CPU microseconds per block.
 */
export const rangeBlocks = (
  server: cp.ChildProcess,
  serverName: string,
  port: number,
  from: Point,
  to: Point,
  count: number,
  repeat: number
): Promise<Measured> => {
  let blocks = 0
  let batches = 0
  return Effect.runPromise(
    session(
      server,
      port,
      (send) => send(BlockFetch.make.requestRange(from as any, to as any)),
      Effect.fnUntraced(function*(m: any, send: (m: Message) => Effect.Effect<void>) {
        if (m._tag === "MsgBlock") blocks++
        else if (m._tag === "MsgNoBlocks") throw new Error("MsgNoBlocks")
        else if (m._tag === "MsgBatchDone") {
          batches++
          if (batches === repeat) return true
          yield* send(BlockFetch.make.requestRange(from as any, to as any))
        }
        return false
      })
    )
  ).then((r) => {
    if (blocks !== count * repeat) throw new Error(`range: ${blocks} of ${count * repeat} blocks`)
    return measured(blocks / r.seconds, r, blocks, serverName)
  })
}

/**
 * Scenario 3: chain-sync from the origin for `headers` headers, up to `window` RequestNext in flight,
 * topped up to `window` whenever the requests in flight fall to `low` (the initiator's pipelining
 * marks; `low` = `window - 1` tops up at every answer). headers/s, and CPU microseconds per header.
 */
export const chainSyncHeaders = (server: cp.ChildProcess, serverName: string, port: number, headers: number, window: number, low = window - 1): Promise<Measured> => {
  const total = headers + 1 // the first answer is RollBackward to the origin
  let requested = 0
  let received = 0
  let forwards = 0
  const more = Effect.fnUntraced(function*(send: (m: Message) => Effect.Effect<void>) {
    if (requested - received > low) return
    while (requested < total && requested - received < window) {
      requested++
      yield* send(ChainSync.make.requestNext())
    }
  })
  return Effect.runPromise(
    session(
      server,
      port,
      more,
      Effect.fnUntraced(function*(m: any, send: (m: Message) => Effect.Effect<void>) {
        received++
        if (m._tag === "MsgRollForward") forwards++
        else if (m._tag !== "MsgRollBackward") throw new Error(`chain-sync: ${m._tag}`)
        if (received >= total) return true
        yield* more(send)
        return false
      })
    )
  ).then((r) => {
    if (forwards !== headers) throw new Error(`chain-sync: ${forwards} of ${headers} headers`)
    return measured(headers / r.seconds, r, headers, serverName)
  })
}
