/**
 * 10 000 connection cycles over real TCP on 127.0.0.1 against an in-process responder (TcpInterface +
 * Responder), ten at a time, in four ways: a full handshake then a clean disconnect, a disconnect in
 * the middle of the handshake, a disconnect right after connecting, and a proposal with another
 * network's magic that the responder refuses and closes. Afterwards no socket, timer or fiber is left behind: sockets and timers counted
 * with `process.getActiveResourcesInfo()`, fibers with the runtime's fiber start and end hooks.
 */
import { assert, describe, it } from "@effect/vitest"
import { ChainSource, ConnectionPool, GeneratedChain, Protocols, Responder } from "@pallas-network2/core"
import type { InterfaceEvent, PeerId } from "@pallas-network2/core"
import * as Context from "effect/Context"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Stream from "effect/Stream"
// core's test utilities are not part of its published exports (only src is): shared by relative path
import { fiberCounter } from "../../core/test/utils/fibers.ts"
import { dialTo } from "../src/internal/dialTo.ts"
import * as TcpInterface from "../src/TcpInterface.ts"

const MAGIC = 42
const { ChainSync, Handshake, NodeToNode } = Protocols

const resources = () => {
  const counts: Record<string, number> = {}
  for (const r of process.getActiveResourcesInfo()) counts[r] = (counts[r] ?? 0) + 1
  return counts
}

describe("10 000 connection cycles over TCP", () => {
  it.live("leave no socket, timer or fiber behind", () => {
    const fibers = fiberCounter()
    const counts = fibers.counts
    return Effect.gen(function*() {
      const chain = yield* ChainSource.makeMemory(GeneratedChain.generate({ blocks: 10, maxBodySize: 100 }))
      const server = yield* Layer.build(
        Responder.layerManager({ networkMagic: MAGIC, limits: { perIpLimit: 100, hardLimit: 100, softLimit: 100 } }).pipe(
          Layer.provideMerge(Layer.succeed(ChainSource.ChainSource, chain)),
          Layer.provideMerge(TcpInterface.layer({ protocols: NodeToNode.protocols, listen: { host: "127.0.0.1", port: 0 } }))
        )
      )
      const port = Context.get(server, TcpInterface.TcpListenAddress)!.port
      const behavior = Context.get(server, Responder.ResponderBehavior)
      const serverEvents: Array<string> = []
      yield* Effect.forkScoped(Stream.runForEach(Context.get(server, Responder.ResponderManager).events, (e) =>
        Effect.sync(() => void serverEvents.push(e._tag))))
      // the client: one pool, any number of connections to the one responder (peer ids are labels)
      const client = yield* ConnectionPool.make(dialTo("127.0.0.1", port), { protocols: NodeToNode.protocols })
      const ended = new Map<string, Deferred.Deferred<void>>()
      const accepted = new Map<string, Deferred.Deferred<void>>()
      yield* Effect.forkScoped(Stream.runForEach(client.events, (e: InterfaceEvent) =>
        Effect.gen(function*() {
          if (e._tag === "Disconnected" || e._tag === "Error") {
            const d = ended.get(e.peer)
            if (d !== undefined) yield* Deferred.succeed(d, undefined)
          } else if (e._tag === "Recv" && e.messages.some((m) => m._tag === "MsgAcceptVersion")) {
            const d = accepted.get(e.peer)
            if (d !== undefined) yield* Deferred.succeed(d, undefined)
          }
        })))
      let n = 0
      const cycle = (kind: number) =>
        Effect.gen(function*() {
          const peer = `leak-${n++}` as PeerId
          const end = yield* Deferred.make<void>()
          const acc = yield* Deferred.make<void>()
          ended.set(peer, end)
          accepted.set(peer, acc)
          yield* client.dispatch({ _tag: "Connect", peer })
          // kind 3 proposes another network's magic: the responder refuses and closes
          if (kind !== 2) yield* client.dispatch({ _tag: "Send", peer, message: Handshake.make.propose(Handshake.n2nVersionTable({ magic: kind === 3 ? 7 : MAGIC })) })
          if (kind === 0) {
            yield* Deferred.await(acc)
            yield* client.dispatch({ _tag: "Send", peer, message: ChainSync.make.requestNext() })
            yield* client.dispatch({ _tag: "Disconnect", peer })
          } else if (kind !== 3) {
            yield* client.dispatch({ _tag: "Disconnect", peer })
          }
          yield* Deferred.await(end).pipe(Effect.timeout("10 seconds"))
          ended.delete(peer)
          accepted.delete(peer)
        })
      const run = (cycles: number) => Effect.forEach(Array.from({ length: cycles }, (_, i) => i % 4), cycle, { concurrency: 10, discard: true })
      // no connection left on either side, then the live fibers unchanged over half a second: a count
      // taken while fibers still come and go is not a baseline (the pools' deadline timers used to
      // sleep on after their last connection, one fiber each, and the counts were 8 or 6 by chance)
      const settle = Effect.gen(function*() {
        for (let i = 0; i < 200 && ((yield* client.connections).length > 0 || (yield* behavior.peers).size > 0); i++) yield* Effect.sleep("10 millis")
        let last = fibers.live()
        for (let i = 0, same = 0; i < 100 && same < 5; i++) {
          yield* Effect.sleep("100 millis")
          const now = fibers.live()
          same = now === last ? same + 1 : 0
          last = now
        }
      })
      yield* run(200)
      yield* settle
      const before = { resources: resources(), fibers: fibers.live() }
      yield* run(10_000)
      yield* settle
      const after = { resources: resources(), fibers: fibers.live() }
      assert.strictEqual((yield* client.connections).length, 0)
      assert.strictEqual((yield* behavior.peers).size, 0, "the responder holds no peer")
      assert.strictEqual(after.resources.TCPSocketWrap ?? 0, before.resources.TCPSocketWrap ?? 0, `sockets: ${JSON.stringify(before.resources)} -> ${JSON.stringify(after.resources)}`)
      assert.isAtMost(after.resources.Timeout ?? 0, before.resources.Timeout ?? 0, `timers: ${JSON.stringify(before.resources)} -> ${JSON.stringify(after.resources)}`)
      assert.strictEqual(after.fibers, before.fibers, `live fibers ${before.fibers} -> ${after.fibers} (${counts.started} started)`)
      assert.isAtLeast(serverEvents.filter((t) => t === "HandshakeRefused").length, 2500, "the refused quarter was closed by the responder")
      console.log(`10 000 TCP cycles: sockets ${before.resources.TCPSocketWrap ?? 0} -> ${after.resources.TCPSocketWrap ?? 0}, timers ${before.resources.Timeout ?? 0} -> ${after.resources.Timeout ?? 0}, live fibers ${before.fibers} -> ${after.fibers}, ${counts.started} fibers started`)
    }).pipe(Effect.scoped, fibers.provide)
  }, 240_000)
})
