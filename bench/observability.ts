/**
 * Metrics on vs off (`Observability.MetricsEnabled`), in one process and one run: CPU time (user +
 * system, both sides) per unit of work, the two settings alternating round by round after a warm-up,
 * medians reported. Scenario 1's shape (one RequestRange streaming ~40 MB of generated blocks, every
 * MsgBlock decoded) and scenario 3's (10 000 headers, 200 RequestNext in flight), each against a
 * responder built with the same setting. CPU time is much less sensitive than wall time to other
 * load on the machine; the goal (docs/OBSERVABILITY.md) is at most 5 %.
 *
 *   node --conditions=@pallas-network2/source bench/observability.ts [ROUNDS=6] [3: scenario 3 only]
 */
import "./sources.ts"
import { Block, ChainSource, GeneratedChain, Interface, Observability, PeerId, Protocols } from "@pallas-network2/core"
import type { InterfaceEvent, Message } from "@pallas-network2/core"
import { startResponder } from "@pallas-network2/cli/commands/DemoCommand"
import * as TcpInterface from "@pallas-network2/node/TcpInterface"
import * as Context from "effect/Context"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Stream from "effect/Stream"

const { BlockFetch, ChainSync, Handshake, NodeToNode } = Protocols
const MAGIC = 764824073
const rounds = Number(process.argv[2] ?? 6)
const only3 = process.argv[3] === "3"

const responder = (blocks: ReadonlyArray<any>) =>
  Effect.flatMap(ChainSource.makeMemory(blocks, "generated"), (chain) => Effect.map(startResponder(chain, MAGIC), (r) => r.port))

const session = (port: number, start: (send: (m: Message) => Effect.Effect<void>) => Effect.Effect<void>, onMessage: (m: any, send: (m: Message) => Effect.Effect<void>) => Effect.Effect<boolean>) =>
  Effect.gen(function*() {
    const address = PeerId.tcp("127.0.0.1", port)
    const iface = Context.get(yield* Layer.build(TcpInterface.layer({ protocols: NodeToNode.protocols })), Interface.Interface)
    const send = (m: Message) => iface.dispatch({ _tag: "Send", peer: address, message: m })
    const accepted = yield* Deferred.make<void>()
    const done = yield* Deferred.make<void>()
    let handshaken = false
    yield* Effect.forkScoped(Stream.runForEach(iface.events, (e: InterfaceEvent) =>
      e._tag !== "Recv" ? Effect.void : Effect.gen(function*() {
        for (const m of e.messages as ReadonlyArray<any>) {
          if (!handshaken) {
            handshaken = true
            yield* Deferred.succeed(accepted, undefined)
          } else if (yield* onMessage(m, send)) yield* Deferred.succeed(done, undefined)
        }
      })))
    yield* iface.dispatch({ _tag: "Connect", peer: address })
    yield* send(Handshake.make.propose(Handshake.n2nVersionTable({ magic: MAGIC })))
    yield* Deferred.await(accepted)
    const cpu = process.cpuUsage()
    const wall = performance.now()
    yield* start(send)
    yield* Deferred.await(done)
    const used = process.cpuUsage(cpu)
    return { cpu: (used.user + used.system) / 1e6, wall: (performance.now() - wall) / 1000 }
  }).pipe(Effect.scoped)

const fetchAll = (port: number, count: number) => {
  let blocks = 0
  let bytes = 0
  return Effect.map(session(port, (send) => send(BlockFetch.make.requestRange(Block.pointOf(big[0]!), Block.pointOf(big[big.length - 1]!))), (m) =>
    Effect.sync(() => {
      if (m._tag === "MsgBlock") {
        blocks++
        bytes += m.block.bytes.length
      }
      return m._tag === "MsgBatchDone" || m._tag === "MsgNoBlocks"
    })), (t) => {
    if (blocks < count) throw new Error(`${blocks} of ${count} blocks`)
    return { ...t, units: bytes / 1e6 }
  })
}

const headersOf = (port: number, headers: number) => {
  const total = headers + 1
  let requested = 0
  let received = 0
  const more = (send: (m: Message) => Effect.Effect<void>) =>
    Effect.gen(function*() {
      while (requested < total && requested - received < 200) {
        requested++
        yield* send(ChainSync.make.requestNext())
      }
    })
  return Effect.map(session(port, more, (_m, send) => Effect.gen(function*() {
    received++
    if (received >= total) return true
    yield* more(send)
    return false
  })), (t) => ({ ...t, units: headers }))
}

const median = (xs: ReadonlyArray<number>) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 === 1 ? s[s.length >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2
}

const big = GeneratedChain.generate({ blocks: 2000, seed: 1, maxBodySize: 40_000 })
const small = GeneratedChain.generate({ blocks: 10_000, seed: 2, maxBodySize: 200 })

const program = Effect.gen(function*() {
  const ports: Record<string, { big: number; small: number }> = {}
  for (const on of [true, false]) {
    ports[String(on)] = yield* Effect.gen(function*() {
      return { big: yield* responder(big), small: yield* responder(small) }
    }).pipe(Effect.provideService(Observability.MetricsEnabled, on))
  }
  const figures: Record<string, Array<{ cpu: number; wall: number }>> = {}
  const add = (k: string, f: { cpu: number; wall: number; units: number }) =>
    (figures[k] ??= []).push({ cpu: f.cpu / f.units, wall: f.units / f.wall })
  // warm-up, then alternate
  for (let r = 0; r <= rounds; r++) {
    for (const on of r % 2 === 0 ? [true, false] : [false, true]) {
      const p = ports[String(on)]!
      const s1 = only3 ? { cpu: 1, wall: 1, units: 1 } : yield* fetchAll(p.big, big.length).pipe(Effect.provideService(Observability.MetricsEnabled, on))
      const s3 = yield* headersOf(p.small, small.length).pipe(Effect.provideService(Observability.MetricsEnabled, on))
      if (r === 0) continue
      add(`1 ${on ? "on" : "off"}`, s1)
      add(`3 ${on ? "on" : "off"}`, s3)
    }
  }
  for (const s of ["1", "3"]) {
    const on = figures[`${s} on`]!
    const off = figures[`${s} off`]!
    const cpuOn = median(on.map((x) => x.cpu))
    const cpuOff = median(off.map((x) => x.cpu))
    const unit = s === "1" ? "MB" : "header"
    const scale = s === "1" ? 1e3 : 1e6
    const label = s === "1" ? "ms CPU per MB" : "us CPU per header"
    console.log(
      `scenario ${s}: ${label} on ${(cpuOn * scale).toFixed(2)} off ${(cpuOff * scale).toFixed(2)} (on costs ${((cpuOn / cpuOff - 1) * 100).toFixed(1)} %); ` +
        `wall ${unit}s/s on ${median(on.map((x) => x.wall)).toFixed(1)} off ${median(off.map((x) => x.wall)).toFixed(1)}; runs ${on.length}\n` +
        `  on  ${on.map((x) => (x.cpu * scale).toFixed(1)).join(" ")}\n  off ${off.map((x) => (x.cpu * scale).toFixed(1)).join(" ")}`
    )
  }
}).pipe(Effect.scoped)

await Effect.runPromise(program)
process.exit(0)
