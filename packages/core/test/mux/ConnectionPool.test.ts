/**
 * ConnectionPool edge cases found by the 10 000-cycle leak test (packages/node/test/Leaks.test.ts).
 */
import { assert, describe, it } from "@effect/vitest"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Queue from "effect/Queue"
import * as Stream from "effect/Stream"
import { Interface, InterfaceCommand, type InterfaceEvent, PeerId, Protocols, TestInterface } from "../../src/index.ts"
import { clientAndServer, protocols } from "../utils/emulation.ts"

describe("ConnectionPool", () => {
  it.live("a Disconnect right after a Connect still reports Disconnected, and the peer can connect again", () =>
    Effect.gen(function*() {
      const { client, events, server } = yield* clientAndServer("10.0.9.1", "10.0.9.2")
      yield* client.dispatch({ _tag: "Connect", peer: server })
      yield* client.dispatch({ _tag: "Disconnect", peer: server })
      const first = yield* Queue.take(events).pipe(Effect.timeoutOption("1 second"))
      assert.strictEqual(first._tag === "Some" ? first.value._tag : "nothing", "Disconnected")
      assert.deepStrictEqual(yield* (client as unknown as { connections: Effect.Effect<ReadonlyArray<PeerId>> }).connections, [])
      // not forgotten as connected: a new Connect dials again
      yield* client.dispatch({ _tag: "Connect", peer: server })
      const next = yield* Queue.take(events).pipe(Effect.timeoutOption("1 second"))
      assert.strictEqual(next._tag === "Some" ? next.value._tag : "nothing", "Connected")
    }).pipe(Effect.scoped, Effect.provide(TestInterface.SimNetwork.layer), Effect.provide(Layer.empty)), 10_000)

  it.live("a command never waits for room in the event queue (the Manager may dispatch from the fiber that empties it): Disconnect and a Send to nobody return with the queue full, and their events follow", () =>
    Effect.gen(function*() {
      const a = PeerId.tcp("10.0.9.11", 3001)
      const b = PeerId.tcp("10.0.9.12", 3001)
      const listening = (address: PeerId) =>
        Effect.map(Layer.build(TestInterface.layer({ address, listen: true, protocols })), (c) => Context.get(c, Interface.Interface))
      const serverA = yield* listening(a)
      const serverB = yield* listening(b)
      const accepted = (server: typeof serverA) =>
        server.events.pipe(Stream.filter((e) => e._tag === "Connected"), Stream.runHead, Effect.timeout("2 seconds"))
      // room for one event, and nobody reading yet
      const client = Context.get(
        yield* Layer.build(TestInterface.layer({ address: PeerId.tcp("10.0.9.10", 40000), protocols, eventCapacity: 1 })),
        Interface.Interface
      )
      yield* client.dispatch({ _tag: "Connect", peer: a })
      yield* client.dispatch({ _tag: "Connect", peer: b })
      // both connected (each server saw its inbound connection): the queue holds one Connected, the other waits
      yield* accepted(serverA)
      yield* accepted(serverB)
      const disconnect = yield* client.dispatch({ _tag: "Disconnect", peer: a }).pipe(Effect.timeoutOption("2 seconds"))
      assert.strictEqual(disconnect._tag, "Some", "Disconnect returned while the queue was full")
      const nobody = PeerId.tcp("10.0.9.13", 3001)
      const send = yield* client.dispatch({ _tag: "Send", peer: nobody, message: Protocols.KeepAlive.make.done() }).pipe(Effect.timeoutOption("2 seconds"))
      assert.strictEqual(send._tag, "Some", "a Send to nobody returned while the queue was full")
      // the events come once the queue is read
      const seen: Array<string> = []
      yield* client.events.pipe(
        Stream.take(4),
        Stream.runForEach((e: InterfaceEvent) => Effect.sync(() => seen.push(`${e._tag} ${e.peer}`))),
        Effect.timeout("2 seconds")
      )
      assert.include(seen, `Connected ${a}`)
      assert.include(seen, `Connected ${b}`)
      assert.include(seen, `Disconnected ${a}`)
      assert.include(seen, `Error ${nobody}`)
    }).pipe(Effect.scoped, Effect.provide(TestInterface.SimNetwork.layer)), 10_000)

  it.live("SendMany: the messages arrive as if sent one by one; one the driver refuses closes the connection with its reason (Mux.test.ts checks that nothing after it is queued); to nobody, one Error", () =>
    Effect.gen(function*() {
      const { ChainSync, Handshake } = Protocols
      const address = PeerId.tcp("10.0.9.21", 3001)
      const server = Context.get(yield* Layer.build(TestInterface.layer({ address, listen: true, protocols })), Interface.Interface)
      const received = yield* Queue.unbounded<InterfaceEvent>()
      yield* Effect.forkScoped(Stream.runForEach(server.events, (e) => Queue.offer(received, e)))
      const { client, events } = yield* clientAndServer("10.0.9.22", "10.0.9.23")
      yield* client.dispatch({ _tag: "Connect", peer: address })
      const up = yield* Queue.take(events).pipe(Effect.timeout("2 seconds"))
      assert.strictEqual(up._tag, "Connected")
      const propose = Handshake.make.propose(Handshake.n2nVersionTable({ magic: 2 }))
      // (a second chain-sync request would be held by the server's driver until it answers the first)
      yield* client.dispatch(InterfaceCommand.SendMany(address, [propose, Protocols.KeepAlive.make.keepAlive(3), ChainSync.make.requestNext()]))
      const tags: Array<string> = []
      while (tags.length < 3) {
        const e = yield* Queue.take(received).pipe(Effect.timeout("2 seconds"))
        if (e._tag === "Recv") for (const m of e.messages) tags.push(`${m.protocol} ${m._tag}`)
      }
      assert.deepStrictEqual(tags.sort(), ["chain-sync MsgRequestNext", "handshake MsgProposeVersions", "keep-alive MsgKeepAlive"])
      // a server's message from the client side: refused, the connection closes with the reason
      // (that nothing after it is queued, Mux.test.ts checks: here the wire cannot tell)
      const origin = { _tag: "Origin" } as const
      yield* client.dispatch(InterfaceCommand.SendMany(address, [ChainSync.make.awaitReply(), Protocols.BlockFetch.make.requestRange(origin, origin)]))
      const seen: Array<string> = []
      while (!seen.includes("Disconnected")) {
        const e = yield* Queue.take(events).pipe(Effect.timeout("2 seconds"))
        seen.push(e._tag === "Error" ? `Error ${e.error._tag}` : e._tag)
      }
      assert.include(seen, "Error MuxError")
      // to nobody: one Error that names the messages
      const nobody = PeerId.tcp("10.0.9.24", 3001)
      yield* client.dispatch(InterfaceCommand.SendMany(nobody, [Protocols.KeepAlive.make.keepAlive(1), Protocols.KeepAlive.make.done()]))
      const error = yield* Queue.take(events).pipe(Effect.timeout("2 seconds"))
      assert.strictEqual(error._tag, "Error")
      assert.include(error._tag === "Error" ? error.error.message : "", "2 messages (keep-alive MsgKeepAlive, ...) not sent")
    }).pipe(Effect.scoped, Effect.provide(TestInterface.SimNetwork.layer)), 10_000)
})
