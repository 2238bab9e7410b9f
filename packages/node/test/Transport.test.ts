import { assert, describe, it } from "@effect/vitest"
import { Behavior, BehaviorOutput, Interface, InterfaceCommand, Manager, OutboundQueue, PeerId, Segment, TestInterface } from "@pallas-network2/core"
import type { InterfaceEvent, Message } from "@pallas-network2/core"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Stream from "effect/Stream"
import * as net from "node:net"
// core's test utilities are not part of its published exports (only src is): shared by relative path
import { advanceBy } from "../../core/test/utils/clock.ts"
import { type Ping, ping, pingProtocol, pong } from "../../core/test/utils/pingProtocol.ts"
import * as TcpInterface from "../src/TcpInterface.ts"
import * as UnixInterface from "../src/UnixInterface.ts"
import * as ListenError from "../src/ListenError.ts"

type EchoEvent =
  | { readonly _tag: "Pong"; readonly peer: PeerId; readonly n: number; readonly size: number; readonly blob: Uint8Array }
  | { readonly _tag: "Connected"; readonly peer: PeerId }
  | { readonly _tag: "Error"; readonly peer: PeerId; readonly reason: string }
  | { readonly _tag: "Disconnected"; readonly peer: PeerId }
  | { readonly _tag: "Idle"; readonly peer: PeerId }

/** Answers every Ping with a Pong; reports Pongs and connection changes. */
const makeEcho = makeBehavior(true)
function makeBehavior(answer: boolean) {
  return Effect.gen(function*() {
  const out = yield* OutboundQueue.make<EchoEvent>()
  const behavior: Behavior.Behavior<EchoEvent, InterfaceCommand<Message>, never> = {
    handleIo: (event: InterfaceEvent) =>
      Effect.sync(() => {
        switch (event._tag) {
          case "Recv":
            for (const m of event.messages as ReadonlyArray<Ping>) {
              if (m._tag === "Ping" && answer) out.command(InterfaceCommand.Send(event.peer, pong(m.n, m.blob, m.protocol)))
              if (m._tag === "Pong") out.event({ _tag: "Pong", peer: event.peer, n: m.n, size: m.blob.length, blob: m.blob })
            }
            return
          case "Connected":
            return out.event({ _tag: "Connected", peer: event.peer })
          case "Error":
            return out.event({ _tag: "Error", peer: event.peer, reason: event.error.message })
          case "Disconnected":
            return out.event({ _tag: "Disconnected", peer: event.peer })
          case "Idle":
            return out.event({ _tag: "Idle", peer: event.peer })
        }
      }),
    execute: (command) => Effect.sync(() => out.push(BehaviorOutput.command(command))),
    outputs: out.stream,
    peers: Effect.succeed(new Map<PeerId, never>())
  }
  return behavior
  })
}

const startNode = (layer: Layer.Layer<Interface.Interface, unknown, any>) =>
  Effect.gen(function*() {
    const context = yield* Layer.build(layer)
    const iface = Context.get(context, Interface.Interface)
    return yield* Manager.make(iface, yield* makeEcho)
  })

interface Setup {
  readonly name: string
  /** the server's interface and the address clients dial */
  readonly server: (protocols: ReadonlyArray<any>) => Effect.Effect<{ layer: Layer.Layer<Interface.Interface, never, any>; address: PeerId }, unknown, any>
  readonly client: (protocols: ReadonlyArray<any>, n: number) => Layer.Layer<Interface.Interface, never, any>
}

const tcp: Setup = {
  name: "TCP on 127.0.0.1",
  server: (protocols) =>
    Effect.gen(function*() {
      const context = yield* Layer.build(TcpInterface.layer({ protocols, listen: { host: "127.0.0.1", port: 0 } }))
      const bound = Context.get(context, TcpInterface.TcpListenAddress)!
      return { layer: Layer.succeedContext(context), address: PeerId.tcp("127.0.0.1", bound.port) }
    }),
  client: (protocols) => TcpInterface.layer({ protocols })
}

const memory = (split: boolean): Setup => ({
  name: split ? "TestInterface (writes split at random points)" : "TestInterface",
  server: (protocols) =>
    Effect.succeed({
      layer: TestInterface.layer({
        address: PeerId.tcp("10.0.0.1", 3001),
        listen: true,
        protocols,
        ...(split ? { link: { split: (c: Uint8Array) => c.length < 3 ? [c] : [c.subarray(0, 1), c.subarray(1, c.length >> 1), c.subarray(c.length >> 1)] } } : {})
      }),
      address: PeerId.tcp("10.0.0.1", 3001)
    }),
  client: (protocols, n) => TestInterface.layer({ address: PeerId.tcp("10.0.0.9", 40000 + n), protocols })
})

/** A server of `setup` speaking `protocols`, and a client (its `n`-th) connected to it: the client's manager and the server's address. */
const connected = (setup: Setup, protocols: ReadonlyArray<any>, n: number) =>
  Effect.gen(function*() {
    const { address, layer } = yield* setup.server(protocols)
    yield* startNode(layer)
    const client = yield* startNode(setup.client(protocols, n))
    yield* client.execute(InterfaceCommand.Connect(address))
    return { address, client }
  })

const big = (n: number) => new Uint8Array(n).map((_, i) => (i * 31) & 0xff)

for (const setup of [tcp, memory(false), memory(true)]) {
  describe(`Manager over ${setup.name}`, () => {
    it.live("echoes small and 2.5 MB messages; small ones keep flowing while the big one streams", () =>
      Effect.gen(function*() {
        const { address, client } = yield* connected(setup, [pingProtocol()], 1)
        const blob = big(2_500_000)
        yield* client.execute(InterfaceCommand.Send(address, ping(0, blob)))
        for (let i = 1; i <= 5; i++) yield* client.execute(InterfaceCommand.Send(address, ping(i)))
        const events = yield* client.events.pipe(
          Stream.filter((e) => e._tag === "Pong"),
          Stream.take(6),
          Stream.runCollect
        )
        const pongs = Array.from(events) as Array<Extract<EchoEvent, { _tag: "Pong" }>>
        assert.deepStrictEqual(pongs.map((p) => p.n), [0, 1, 2, 3, 4, 5])
        assert.strictEqual(pongs[0]!.size, 2_500_000)
        assert.isTrue(Buffer.from(pongs[0]!.blob).equals(Buffer.from(blob)))
      }).pipe(Effect.provide(TestInterface.SimNetwork.layer)), 60_000)

    it.live("round-robin: a small message on another protocol overtakes a 2.5 MB one still streaming", () =>
      Effect.gen(function*() {
        const { address, client } = yield* connected(setup, [pingProtocol(), pingProtocol({ second: true })], 4)
        yield* client.execute(InterfaceCommand.Send(address, ping(0, big(2_500_000), "chain-sync")))
        yield* client.execute(InterfaceCommand.Send(address, ping(1, new Uint8Array(8), "keep-alive")))
        const events = yield* client.events.pipe(Stream.filter((e) => e._tag === "Pong"), Stream.take(2), Stream.runCollect)
        assert.deepStrictEqual(Array.from(events).map((e) => (e as Extract<EchoEvent, { _tag: "Pong" }>).n), [1, 0])
      }).pipe(Effect.provide(TestInterface.SimNetwork.layer)), 60_000)

    it.live("an ingress overrun closes only that connection; another carries on", () =>
      Effect.gen(function*() {
        const protocols = [pingProtocol({ ingressLimit: 100_000 })]
        const { address, layer } = yield* setup.server(protocols)
        const server = yield* startNode(layer)
        const bad = yield* startNode(setup.client([pingProtocol()], 2))
        const good = yield* startNode(setup.client(protocols, 3))
        yield* good.execute(InterfaceCommand.Connect(address))
        yield* bad.execute(InterfaceCommand.Connect(address))
        yield* bad.execute(InterfaceCommand.Send(address, ping(1, big(500_000))))
        const serverSaw = yield* server.events.pipe(
          Stream.filter((e) => e._tag === "Error"),
          Stream.take(1),
          Stream.runCollect
        )
        const error = Array.from(serverSaw)[0] as Extract<EchoEvent, { _tag: "Error" }>
        assert.include(error.reason, "IngressOverrun")
        yield* good.execute(InterfaceCommand.Send(address, ping(7, big(1000))))
        const pong = yield* good.events.pipe(Stream.filter((e) => e._tag === "Pong"), Stream.take(1), Stream.runCollect)
        assert.strictEqual((Array.from(pong)[0] as Extract<EchoEvent, { _tag: "Pong" }>).n, 7)
      }).pipe(Effect.provide(TestInterface.SimNetwork.layer)), 60_000)
  })
}

describe("Manager over a Unix socket", () => {
  it.live("echoes a message", () =>
    Effect.gen(function*() {
      const protocols = [pingProtocol()]
      const path = `/tmp/network2-test-${process.pid}-${Math.floor(Math.random() * 1e9)}.sock`
      yield* startNode(UnixInterface.layer({ protocols, listen: path }))
      const client = yield* startNode(UnixInterface.layer({ protocols }))
      yield* client.execute(InterfaceCommand.Connect(PeerId.unix(path)))
      yield* client.execute(InterfaceCommand.Send(PeerId.unix(path), ping(3, big(100_000))))
      const events = yield* client.events.pipe(Stream.filter((e) => e._tag === "Pong"), Stream.take(1), Stream.runCollect)
      assert.strictEqual((Array.from(events)[0] as Extract<EchoEvent, { _tag: "Pong" }>).size, 100_000)
    }), 30_000)
})

/** Writes raw bytes to a TCP server and reports whether the server closed the connection. */
const rawClient = (port: number, bytes: Uint8Array, holdOpen = false) =>
  Effect.callback<boolean>((resume) => {
    const socket = net.connect(port, "127.0.0.1", () => {
      socket.write(bytes)
      if (!holdOpen) setTimeout(() => socket.end(), 50)
    })
    socket.on("close", () => resume(Effect.succeed(true)))
    socket.on("error", () => undefined)
    return Effect.sync(() => socket.destroy())
  })

describe("segment-level faults over TCP", () => {
  const faults: Array<readonly [string, () => Uint8Array, string, boolean]> = [
    ["a zero-length segment", () => new Uint8Array(8), "ZeroLength", false],
    ["an unknown protocol number", () => new Uint8Array(Buffer.concat(Segment.cut(new Uint8Array([0x80]), 99, false, 100, 0))), "UnknownProtocol", false],
    ["a segment for a side that is not running", () => new Uint8Array(Buffer.concat(Segment.cut(new Uint8Array([0x80]), 8, true, 100, 0))), "WrongDirection", false],
    ["a message the state does not allow (wrong agency)", () => new Uint8Array(Buffer.concat(Segment.cut(new Uint8Array([0x83, 0x01, 0x01, 0x40]), 8, false, 100, 0))), "Agency", false]
  ]
  for (const [what, bytes, reason] of faults) {
    it.live(`${what} closes the connection with a typed error`, () =>
      Effect.gen(function*() {
        const protocols = [pingProtocol()]
        const { address, layer } = yield* tcp.server(protocols)
        const server = yield* startNode(layer)
        const port = PeerId.parse(address)!._tag === "Tcp" ? (PeerId.parse(address) as { port: number }).port : 0
        yield* Effect.forkChild(rawClient(port, bytes(), true))
        const errors = yield* server.events.pipe(Stream.filter((e) => e._tag === "Error"), Stream.take(1), Stream.runCollect)
        assert.include((Array.from(errors)[0] as Extract<EchoEvent, { _tag: "Error" }>).reason, reason)
      }).pipe(Effect.provide(TestInterface.SimNetwork.layer)), 30_000)
  }

  it.live("a segment that never completes is closed at the segment timeout", () =>
    Effect.gen(function*() {
      const protocols = [pingProtocol()]
      const context = yield* Layer.build(TcpInterface.layer({ protocols, listen: { host: "127.0.0.1", port: 0 }, sduTimeout: { handshake: 300, after: 300 } }))
      const port = Context.get(context, TcpInterface.TcpListenAddress)!.port
      const server = yield* Manager.make(Context.get(context, Interface.Interface), yield* makeEcho)
      const header = new Uint8Array(8)
      Segment.writeHeader(header, 0, 0, false, 8, 65535)
      yield* Effect.forkChild(rawClient(port, header, true))
      const errors = yield* server.events.pipe(Stream.filter((e) => e._tag === "Error"), Stream.take(1), Stream.runCollect)
      assert.include((Array.from(errors)[0] as Extract<EchoEvent, { _tag: "Error" }>).reason, "SegmentTimeout")
    }).pipe(Effect.provide(TestInterface.SimNetwork.layer)), 30_000)

  it.live("closing the manager's scope closes every connection; the server sees each one go", () =>
    Effect.gen(function*() {
      const protocols = [pingProtocol()]
      const { address, layer } = yield* tcp.server(protocols)
      const server = yield* startNode(layer)
      yield* Effect.scoped(Effect.gen(function*() {
        const client = yield* startNode(tcp.client(protocols, 0))
        yield* client.execute(InterfaceCommand.Connect(address))
        yield* client.execute(InterfaceCommand.Connect(address)) // a second Connect to the same peer is a no-op
        yield* client.events.pipe(Stream.filter((e) => e._tag === "Connected"), Stream.take(1), Stream.runDrain)
      }))
      const seen = yield* server.events.pipe(
        Stream.filter((e) => e._tag === "Connected" || e._tag === "Disconnected"),
        Stream.take(2),
        Stream.runCollect
      )
      assert.deepStrictEqual(Array.from(seen).map((e) => e._tag), ["Connected", "Disconnected"])
    }).pipe(Effect.provide(TestInterface.SimNetwork.layer)), 30_000)
})

describe("TestInterface faults (TestClock)", () => {
  it.effect("latency is simulated on the test clock; a cut link disconnects both ends", () =>
    Effect.gen(function*() {
      const protocols = [pingProtocol()]
      const serverAddress = PeerId.tcp("10.0.0.1", 3001)
      const server = yield* startNode(TestInterface.layer({ address: serverAddress, listen: true, protocols, link: { latency: 100 } }))
      const client = yield* startNode(TestInterface.layer({ address: PeerId.tcp("10.0.0.2", 40000), protocols }))
      yield* client.execute(InterfaceCommand.Connect(serverAddress))
      yield* client.execute(InterfaceCommand.Send(serverAddress, ping(1)))
      const pong = yield* client.events.pipe(Stream.filter((e) => e._tag === "Pong"), Stream.take(1), Stream.runCollect, Effect.forkChild)
      const step = (ms: number) => advanceBy(ms, 10)
      yield* step(150)
      assert.isUndefined(pong.pollUnsafe(), "no answer before a full round trip")
      yield* step(100)
      const got = yield* Fiber.join(pong)
      assert.strictEqual((Array.from(got)[0] as Extract<EchoEvent, { _tag: "Pong" }>).n, 1)
      const network = yield* TestInterface.SimNetwork
      const serverGone = yield* server.events.pipe(Stream.filter((e) => e._tag === "Disconnected"), Stream.take(1), Stream.runDrain, Effect.forkChild)
      const clientGone = yield* client.events.pipe(Stream.filter((e) => e._tag === "Disconnected"), Stream.take(1), Stream.runDrain, Effect.forkChild)
      yield* network.cut(serverAddress)
      yield* step(1000)
      yield* Fiber.join(serverGone)
      yield* Fiber.join(clientGone)
    }).pipe(Effect.provide(TestInterface.SimNetwork.layer)))
})

describe("protocol timeouts (TestClock)", () => {
  it.effect("a peer that does not answer within the state's timeout is a typed violation", () =>
    Effect.gen(function*() {
      const protocols = [pingProtocol({ timeout: 5_000 })]
      const serverAddress = PeerId.tcp("10.0.0.1", 3001)
      const context = yield* Layer.build(TestInterface.layer({ address: serverAddress, listen: true, protocols }))
      yield* Manager.make(Context.get(context, Interface.Interface), yield* makeBehavior(false))
      const client = yield* startNode(TestInterface.layer({ address: PeerId.tcp("10.0.0.2", 40000), protocols }))
      yield* client.execute(InterfaceCommand.Connect(serverAddress))
      yield* client.execute(InterfaceCommand.Send(serverAddress, ping(1)))
      const error = yield* client.events.pipe(Stream.filter((e) => e._tag === "Error"), Stream.take(1), Stream.runCollect, Effect.forkChild)
      yield* advanceBy(6_000)
      const got = Array.from(yield* Fiber.join(error))[0] as Extract<EchoEvent, { _tag: "Error" }>
      assert.include(got.reason, "Timeout")
      assert.include(got.reason, "keep-alive in Server")
    }).pipe(Effect.provide(TestInterface.SimNetwork.layer)))
})

describe("Idle (TestClock)", () => {
  it.effect("a connection quiet for the idle period is reported Idle", () =>
    Effect.gen(function*() {
      const protocols = [pingProtocol()]
      const serverAddress = PeerId.tcp("10.0.0.1", 3001)
      const server = yield* startNode(TestInterface.layer({ address: serverAddress, listen: true, protocols, idleAfter: 1_000 }))
      const client = yield* startNode(TestInterface.layer({ address: PeerId.tcp("10.0.0.2", 40000), protocols }))
      const idle = yield* server.events.pipe(Stream.filter((e) => e._tag === "Idle"), Stream.take(1), Stream.runCollect, Effect.forkChild)
      yield* client.execute(InterfaceCommand.Connect(serverAddress))
      yield* advanceBy(500)
      assert.isUndefined(idle.pollUnsafe())
      yield* advanceBy(2_000)
      const got = Array.from(yield* Fiber.join(idle))
      assert.strictEqual(got[0]!._tag, "Idle")
    }).pipe(Effect.provide(TestInterface.SimNetwork.layer)))
})

describe("duplex over TCP", () => {
  it.live("one connection carries both roles: each side pings the other as initiator and answers as responder", () =>
    Effect.gen(function*() {
      const protocols = [pingProtocol()]
      const sctx = yield* Layer.build(TcpInterface.layer({ protocols, listen: { host: "127.0.0.1", port: 0 }, initiatorOnInbound: true }))
      const port = Context.get(sctx, TcpInterface.TcpListenAddress)!.port
      const server = yield* Manager.make(Context.get(sctx, Interface.Interface), yield* makeEcho)
      const client = yield* startNode(TcpInterface.layer({ protocols, duplex: true }))
      const address = PeerId.tcp("127.0.0.1", port)
      yield* client.execute(InterfaceCommand.Connect(address))
      const connected = Array.from(yield* server.events.pipe(Stream.filter((e) => e._tag === "Connected"), Stream.take(1), Stream.runCollect))[0]!
      // the server pings the client over the connection the client dialled
      yield* server.execute(InterfaceCommand.Send(connected.peer, ping(7)))
      yield* client.execute(InterfaceCommand.Send(address, ping(8)))
      const serverGot = Array.from(yield* server.events.pipe(Stream.filter((e) => e._tag === "Pong"), Stream.take(1), Stream.runCollect))[0] as Extract<EchoEvent, { _tag: "Pong" }>
      const clientGot = Array.from(yield* client.events.pipe(Stream.filter((e) => e._tag === "Pong"), Stream.take(1), Stream.runCollect))[0] as Extract<EchoEvent, { _tag: "Pong" }>
      assert.deepStrictEqual([serverGot.n, clientGot.n], [7, 8])
    }).pipe(Effect.provide(TestInterface.SimNetwork.layer)), 30_000)
})

describe("pipelined requests and the state timeout (TestClock)", () => {
  it.effect("each answer starts a new wait: 10 pipelined requests answered 1 s apart pass a 5 s timeout", () =>
    Effect.gen(function*() {
      const protocols = [pingProtocol({ timeout: 5_000, maxInFlight: 10 })]
      const serverAddress = PeerId.tcp("10.0.0.1", 3001)
      const context = yield* Layer.build(TestInterface.layer({ address: serverAddress, listen: true, protocols }))
      const serverIface = Context.get(context, Interface.Interface)
      // a slow server: answers one Ping per second, in order
      yield* Effect.forkScoped(Stream.runForEach(serverIface.events, (e) =>
        e._tag === "Recv"
          ? Effect.forEach(e.messages as ReadonlyArray<Ping>, (m) =>
            m._tag === "Ping"
              ? Effect.sleep("1 second").pipe(Effect.andThen(serverIface.dispatch(InterfaceCommand.Send(e.peer, pong(m.n)))))
              : Effect.void, { discard: true })
          : Effect.void))
      const client = yield* startNode(TestInterface.layer({ address: PeerId.tcp("10.0.0.2", 40000), protocols }))
      yield* client.execute(InterfaceCommand.Connect(serverAddress))
      for (let i = 0; i < 10; i++) yield* client.execute(InterfaceCommand.Send(serverAddress, ping(i)))
      const got = yield* client.events.pipe(
        Stream.filter((e) => e._tag === "Pong" || e._tag === "Error"),
        Stream.take(10),
        Stream.runCollect,
        Effect.forkChild
      )
      yield* advanceBy(15_000)
      const events = Array.from(yield* Fiber.join(got))
      assert.deepStrictEqual(events.map((e) => e._tag === "Pong" ? e.n : e._tag), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
    }).pipe(Effect.provide(TestInterface.SimNetwork.layer)))
})

/** Writes `pieces` one after another, `every` ms apart, then holds the socket open. */
const drip = (port: number, pieces: ReadonlyArray<Uint8Array>, every: number) =>
  Effect.callback<boolean>((resume) => {
    let timer: ReturnType<typeof setInterval> | undefined
    const socket = net.connect(port, "127.0.0.1", () => {
      let i = 0
      const next = () => {
        if (i < pieces.length && !socket.destroyed) socket.write(pieces[i++]!)
      }
      if (every === 0) while (i < pieces.length) next()
      else timer = setInterval(next, every)
    })
    socket.on("close", () => {
      clearInterval(timer)
      resume(Effect.succeed(true))
    })
    socket.on("error", () => undefined)
    return Effect.sync(() => {
      clearInterval(timer)
      socket.destroy()
    })
  })

describe("a peer that drips bytes (TCP on 127.0.0.1)", () => {
  const serverWith = (sduTimeout: number) =>
    Effect.gen(function*() {
      const protocols = [pingProtocol()]
      const context = yield* Layer.build(TcpInterface.layer({ protocols, listen: { host: "127.0.0.1", port: 0 }, sduTimeout: { handshake: sduTimeout, after: sduTimeout } }))
      const port = Context.get(context, TcpInterface.TcpListenAddress)!.port
      const server = yield* Manager.make(Context.get(context, Interface.Interface), yield* makeEcho)
      const firstError = server.events.pipe(
        Stream.filter((e) => e._tag === "Error"),
        Stream.take(1),
        Stream.runCollect,
        Effect.map((es) => (Array.from(es)[0] as Extract<EchoEvent, { _tag: "Error" }>).reason)
      )
      return { port, firstError }
    })

  it.live("one byte every 100 ms: the segment timeout (600 ms) runs from the segment's first byte, not from the last read", () =>
    Effect.gen(function*() {
      const { firstError, port } = yield* serverWith(600)
      // a 40-byte segment, one byte at a time: it would take 4.8 s to arrive whole
      const stream = new Uint8Array(Buffer.concat(Segment.cut(Uint8Array.from([0x83, 0x00, 0x01, 0x58, 0x20, ...new Uint8Array(32)]), 8, false, 100, 0)))
      const started = Date.now()
      yield* Effect.forkChild(drip(port, Array.from(stream, (b) => Uint8Array.of(b)), 100))
      const reason = yield* firstError
      const took = Date.now() - started
      assert.include(reason, "SegmentTimeout")
      assert.include(reason, "of its first byte")
      assert.isBelow(took, 2_500, `closed after ${took} ms`)
    }).pipe(Effect.provide(TestInterface.SimNetwork.layer)), 30_000)

  it.live("a message in 1-byte segments is closed as a typed violation after a few dozen segments, not by a timeout", () =>
    Effect.gen(function*() {
      const { firstError, port } = yield* serverWith(30_000)
      const message = Uint8Array.from([0x83, 0x00, 0x01, 0x59, 0x07, 0xd0, ...new Uint8Array(2000)])
      const stream = new Uint8Array(Buffer.concat(Segment.cut(message, 8, false, 1, 0)))
      const started = Date.now()
      yield* Effect.forkChild(drip(port, [stream], 0))
      const reason = yield* firstError
      assert.include(reason, "IngressOverrun")
      assert.include(reason, "segments carried only")
      assert.isBelow(Date.now() - started, 5_000)
    }).pipe(Effect.provide(TestInterface.SimNetwork.layer)), 30_000)

  it.live("honest segments of 12 288 bytes carry a 2.5 MB message (the segment floor does not touch them)", () =>
    Effect.gen(function*() {
      const { address, client } = yield* connected(tcp, [pingProtocol()], 0)
      yield* client.execute(InterfaceCommand.Send(address, ping(7, big(2_500_000))))
      const got = yield* client.events.pipe(Stream.filter((e) => e._tag === "Pong" || e._tag === "Error"), Stream.take(1), Stream.runCollect)
      const first = Array.from(got)[0]!
      assert.strictEqual(first._tag, "Pong")
      assert.strictEqual((first as Extract<EchoEvent, { _tag: "Pong" }>).size, 2_500_000)
    }).pipe(Effect.provide(TestInterface.SimNetwork.layer)), 30_000)
})

describe("a user who stops reading events (TestClock)", () => {
  it.effect("ten simulated minutes unread: the peer is still answered every second, every queue stays within its bound", () =>
    Effect.gen(function*() {
      const protocols = [pingProtocol({ timeout: 5_000 })]
      const serverAddress = PeerId.tcp("10.0.0.1", 3001)
      const context = yield* Layer.build(TestInterface.layer({ address: serverAddress, listen: true, protocols, eventCapacity: 8 }))
      // the server's behavior answers every Ping and tells its user of each one
      const out = yield* OutboundQueue.make<{ readonly n: number }>()
      const behavior: Behavior.Behavior<{ readonly n: number }, never, never> = {
        handleIo: (event: InterfaceEvent) =>
          Effect.sync(() => {
            if (event._tag !== "Recv") return
            for (const m of event.messages as ReadonlyArray<Ping>) {
              if (m._tag !== "Ping") continue
              out.command(InterfaceCommand.Send(event.peer, pong(m.n)))
              out.event({ n: m.n })
            }
          }),
        execute: () => Effect.void,
        outputs: out.stream,
        peers: Effect.succeed(new Map<PeerId, never>())
      }
      const server = yield* Manager.make(Context.get(context, Interface.Interface), behavior, { eventCapacity: 16 })
      // the server's user never reads `server.events`
      const client = yield* startNode(TestInterface.layer({ address: PeerId.tcp("10.0.0.2", 40000), protocols }))
      let pongs = 0
      let errors = 0
      yield* Effect.forkChild(Stream.runForEach(client.events, (e) =>
        Effect.sync(() => {
          if (e._tag === "Pong") pongs++
          if (e._tag === "Error") errors++
        })))
      yield* client.execute(InterfaceCommand.Connect(serverAddress))
      let largestOutbound = 0
      let largestBacklog = 0
      for (let second = 0; second < 600; second++) {
        yield* client.execute(InterfaceCommand.Send(serverAddress, ping(second)))
        yield* advanceBy(1_000, 250)
        const outbound = yield* out.size
        const backlog = yield* server.backlog
        largestOutbound = Math.max(largestOutbound, outbound)
        largestBacklog = Math.max(largestBacklog, backlog.waiting)
      }
      yield* advanceBy(1_000)
      assert.strictEqual(errors, 0, "no timeout: every Ping was answered within 5 s")
      assert.strictEqual(pongs, 600)
      const backlog = yield* server.backlog
      assert.strictEqual(backlog.waiting, 16)
      assert.strictEqual(backlog.dropped, 600 - 16, "the oldest events went, counted")
      assert.isAtMost(largestBacklog, 16)
      assert.isAtMost(largestOutbound, 2, "the behavior's outputs never pile up behind the unread events")
      // the user comes back: the newest 16 events are there, in order
      const kept = yield* server.events.pipe(Stream.take(16), Stream.runCollect)
      assert.deepStrictEqual(Array.from(kept).map((e) => e.n), Array.from({ length: 16 }, (_, i) => 584 + i))
    }).pipe(Effect.provide(TestInterface.SimNetwork.layer)), 60_000)
})

describe("a server that sends what nobody asked for (TCP on 127.0.0.1)", () => {
  it.live("a stream of unasked answers is held only up to the ingress limit, then closed (IngressOverrun)", () =>
    Effect.gen(function*() {
      // 10 000 Pongs of 1 kB, from the responder side, to a client that never sends a Ping
      const pongs = new Uint8Array(Buffer.concat(Array.from({ length: 10_000 }, (_, n) =>
        Buffer.concat(Segment.cut(Uint8Array.from([0x83, 0x01, 0x19, n >> 8, n & 0xff, 0x59, 0x04, 0x00, ...new Uint8Array(1024)]), 8, true, 12_288, 0)))))
      const server = net.createServer((socket) => {
        socket.on("error", () => undefined)
        socket.write(pongs)
      })
      yield* Effect.acquireRelease(
        Effect.callback<void>((resume) => {
          server.listen(0, "127.0.0.1", () => resume(Effect.void))
        }),
        () => Effect.sync(() => server.close())
      )
      const port = (server.address() as net.AddressInfo).port
      const client = yield* startNode(tcp.client([pingProtocol({ ingressLimit: 200_000 })], 0))
      yield* client.execute(InterfaceCommand.Connect(PeerId.tcp("127.0.0.1", port)))
      const errors = yield* client.events.pipe(Stream.filter((e) => e._tag === "Error"), Stream.take(1), Stream.runCollect)
      const reason = (Array.from(errors)[0] as Extract<EchoEvent, { _tag: "Error" }>).reason
      assert.include(reason, "IngressOverrun")
      assert.include(reason, "more than 200000 bytes held for keep-alive")
    }).pipe(Effect.scoped, Effect.provide(TestInterface.SimNetwork.layer)), 30_000)
})

describe("a listener that cannot be opened is a typed ListenError, not a defect", () => {
  it.live("TCP: a port already in use", () =>
    Effect.gen(function*() {
      const taken = yield* Layer.build(TcpInterface.layer({ protocols: [pingProtocol()], listen: { host: "127.0.0.1", port: 0 } }))
      const port = Context.get(taken, TcpInterface.TcpListenAddress)!.port
      const error = yield* Effect.flip(Layer.build(TcpInterface.layer({ protocols: [pingProtocol()], listen: { host: "127.0.0.1", port } })))
      assert.strictEqual(error._tag, "ListenError")
      assert.strictEqual(error.reason, "AddressInUse")
      assert.strictEqual(error.message, `cannot listen on 127.0.0.1:${port}: the address is in use (EADDRINUSE)`)
    }))

  it.live("Unix: a socket path another listener holds", () =>
    Effect.gen(function*() {
      const path = `/tmp/network2-test-${process.pid}-busy.sock`
      yield* Layer.build(UnixInterface.layer({ protocols: [pingProtocol()], listen: path }))
      const error = yield* Effect.flip(Layer.build(UnixInterface.layer({ protocols: [pingProtocol()], listen: path })))
      assert.strictEqual(error._tag, "ListenError")
      assert.strictEqual(error.reason, "AddressInUse")
      assert.strictEqual(error.message, `cannot listen on ${path}: the address is in use (EADDRINUSE)`)
    }))

  it("the system's codes map to reasons (a permission is refused to root only in a few places)", () => {
    const sys = (code: string) => Object.assign(new Error(code), { code })
    assert.strictEqual(ListenError.fromCause("h:1", sys("EACCES")).reason, "PermissionDenied")
    assert.strictEqual(ListenError.fromCause("h:1", sys("EPERM")).reason, "PermissionDenied")
    assert.strictEqual(ListenError.fromCause("h:1", sys("EADDRNOTAVAIL")).reason, "AddressNotAvailable")
    assert.strictEqual(ListenError.fromCause("h:1", { reason: { cause: sys("EADDRINUSE") } }).reason, "AddressInUse")
    assert.strictEqual(ListenError.fromCause("h:1", new Error("odd")).message, "cannot listen on h:1: failed (odd)")
  })
})
