/**
 * The in-memory Interface for tests: a {@link SimNetwork} of named endpoints, and a
 * {@link layer} that a test swaps in for the TCP Interface with no other change. Links can add
 * latency (driven by the test's clock, so TestClock makes it instant), split every write at
 * arbitrary points, and be cut.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Latch from "effect/Latch"
import * as Layer from "effect/Layer"
import * as Queue from "effect/Queue"
import type * as Scope from "effect/Scope"
import * as Interface from "../Interface.ts"
import * as ConnectionPool from "../mux/ConnectionPool.ts"
import type * as Mux from "../mux/Mux.ts"
import type { PeerId } from "../Primitives.ts"
import { TransportError } from "../ProtocolError.ts"
import type { MessageOf, Protocol } from "../protocol/Protocol.ts"

/**
 * How the link to an endpoint behaves.
 *
 * @category models
 * @since 0.1.0
 */
export interface LinkOptions {
  /** One-way delay of every write (ms). */
  readonly latency?: number
  /** Splits each written piece into several (to exercise reassembly). */
  readonly split?: (chunk: Uint8Array) => ReadonlyArray<Uint8Array>
}

interface Endpoint {
  readonly accept: (peer: PeerId, bearer: Mux.Bearer) => Effect.Effect<void>
  readonly link: LinkOptions
  readonly cuts: Set<() => void>
  /** Closed while the endpoint is stalled: nothing written on its links is delivered. */
  readonly flowing: Latch.Latch
}

/**
 * The simulated network: which endpoints listen, and how to reach them.
 *
 * @category services
 * @since 0.1.0
 */
export class SimNetwork extends Context.Service<SimNetwork, {
  readonly endpoints: Map<PeerId, Endpoint>
  /** Closes every open connection of an endpoint, as a network fault would. */
  readonly cut: (peer: PeerId) => Effect.Effect<void>
  /**
   * Stalls an endpoint's links (`true`): bytes written either way are held, connections stay open,
   * as with a peer that stops answering; `false` lets the held bytes through in order.
   */
  readonly stall: (peer: PeerId, stalled: boolean) => Effect.Effect<void>
  /**
   * Makes an endpoint vanish (`true`): its connections are cut and new ones refused, as with a host
   * that drops off the network; `false` brings it back, listening again.
   */
  readonly vanish: (peer: PeerId, gone: boolean) => Effect.Effect<void>
}>()("@pallas-network2/core/SimNetwork") {
  /** A fresh, empty network. */
  static readonly layer = Layer.sync(SimNetwork, () => {
    const endpoints = new Map<PeerId, Endpoint>()
    const vanished = new Map<PeerId, Endpoint>()
    const cutAll = (e: Endpoint | undefined) => {
      if (e !== undefined) for (const close of [...e.cuts]) close()
    }
    return {
      endpoints,
      cut: (peer: PeerId) => Effect.sync(() => cutAll(endpoints.get(peer))),
      stall: (peer: PeerId, stalled: boolean) =>
        Effect.sync(() => {
          const e = endpoints.get(peer) ?? vanished.get(peer)
          if (e !== undefined) void (stalled ? Latch.closeUnsafe(e.flowing) : Latch.openUnsafe(e.flowing))
        }),
      vanish: (peer: PeerId, gone: boolean) =>
        Effect.sync(() => {
          if (gone) {
            const e = endpoints.get(peer)
            if (e === undefined) return
            endpoints.delete(peer)
            vanished.set(peer, e)
            cutAll(e)
          } else {
            const e = vanished.get(peer)
            if (e === undefined) return
            vanished.delete(peer)
            endpoints.set(peer, e)
          }
        })
    }
  })
}

type Pipe = Queue.Queue<ReadonlyArray<Uint8Array> | null>

const pipeEnd = (
  incoming: Pipe,
  outgoing: Pipe,
  link: LinkOptions,
  flowing: Latch.Latch
): Effect.Effect<Mux.Bearer, never, Scope.Scope> =>
  Effect.gen(function*() {
    let closed = false
    let delayed: Queue.Queue<readonly [number, ReadonlyArray<Uint8Array>]> | undefined
    if (link.latency !== undefined && link.latency > 0) {
      const q = yield* Queue.unbounded<readonly [number, ReadonlyArray<Uint8Array>]>()
      delayed = q
      const latency = link.latency
      yield* Effect.forkScoped(Effect.forever(Effect.gen(function*() {
        const [at, chunks] = yield* Queue.take(q)
        const now = yield* Effect.clockWith((c) => c.currentTimeMillis)
        if (at > now) yield* Effect.sleep(at - now)
        yield* Queue.offer(outgoing, chunks)
      })))
      void latency
    }
    yield* Effect.addFinalizer(() => Queue.offer(outgoing, null))
    return {
      read: Effect.gen(function*() {
        if (closed) return undefined
        const chunks = yield* Queue.take(incoming).pipe(Effect.orDie)
        if (chunks === null) {
          closed = true
          return undefined
        }
        return chunks
      }),
      write: (chunks) =>
        Effect.gen(function*() {
          if (closed) return yield* new TransportError({ detail: "connection closed" })
          yield* flowing.await
          if (closed) return yield* new TransportError({ detail: "connection closed" })
          const split = link.split
          const copied = chunks.map((c) => c.slice())
          const out = split === undefined ? copied : copied.flatMap((c) => [...split(c)])
          if (delayed !== undefined) {
            const now = yield* Effect.clockWith((c) => c.currentTimeMillis)
            yield* Queue.offer(delayed, [now + link.latency!, out])
          } else yield* Queue.offer(outgoing, out)
        })
    }
  })

/**
 * Options of a TestInterface endpoint (`Ps`: the type of its `protocols`).
 *
 * @category models
 * @since 0.1.0
 */
export interface TestInterfaceOptions<Ps extends ReadonlyArray<Protocol<any>> = ReadonlyArray<Protocol<any>>>
  extends ConnectionPool.PoolOptions<Ps>
{
  /** This endpoint's address: what its peers see, and where it listens when `listen` is set. */
  readonly address: PeerId
  /** Accept inbound connections at `address`. */
  readonly listen?: boolean
  /** How the links to this endpoint behave (for connections made to it). */
  readonly link?: LinkOptions
}

/**
 * Builds an endpoint's Interface on the simulated network.
 *
 * @category constructors
 * @since 0.1.0
 */
export const make = Effect.fnUntraced(function*<Ps extends ReadonlyArray<Protocol<any>>>(options: TestInterfaceOptions<Ps>) {
  const network = yield* SimNetwork
  const pool = yield* ConnectionPool.make((peer) =>
    Effect.gen(function*() {
      const remote = network.endpoints.get(peer)
      if (remote === undefined) return yield* new TransportError({ detail: `connection refused by ${peer}` })
      const toRemote: Pipe = yield* Queue.unbounded<ReadonlyArray<Uint8Array> | null>()
      const toLocal: Pipe = yield* Queue.unbounded<ReadonlyArray<Uint8Array> | null>()
      const close = () => {
        Queue.offerUnsafe(toRemote, null)
        Queue.offerUnsafe(toLocal, null)
      }
      remote.cuts.add(close)
      yield* Effect.addFinalizer(() => Effect.sync(() => remote.cuts.delete(close)))
      const local = yield* pipeEnd(toLocal, toRemote, remote.link, remote.flowing)
      // the remote side lives in its own scope, closed when its connection ends
      yield* Effect.forkDetach(Effect.scoped(Effect.gen(function*() {
        const bearer = yield* pipeEnd(toRemote, toLocal, remote.link, remote.flowing)
        yield* remote.accept(options.address, bearer)
      })))
      return local
    }), options)
  if (options.listen === true) {
    network.endpoints.set(options.address, { accept: pool.adopt, link: options.link ?? {}, cuts: new Set(), flowing: Latch.makeUnsafe(true) })
    yield* Effect.addFinalizer(() => Effect.sync(() => network.endpoints.delete(options.address)))
  }
  return pool
})

/**
 * The TestInterface layer: an Interface on the simulated network (needs {@link SimNetwork}), carrying
 * the messages of its `protocols`.
 *
 * @example
 * ```ts
 * import { PeerId, Protocols, TestInterface } from "@pallas-network2/core"
 * const protocols = Protocols.NodeToNode.protocols
 * // two endpoints of one simulated network (provide SimNetwork to both): no socket is opened
 * const server = TestInterface.layer({ address: PeerId.tcp("10.0.0.1", 3001), listen: true, protocols })
 * const client = TestInterface.layer({ address: PeerId.tcp("10.0.0.2", 40000), protocols })
 * ```
 *
 * @category layers
 * @since 0.1.0
 */
export const layer = <Ps extends ReadonlyArray<Protocol<any>>>(
  options: TestInterfaceOptions<Ps>
): Layer.Layer<Interface.Interface<MessageOf<Ps[number]>>, never, SimNetwork> =>
  Layer.effect(Interface.key<MessageOf<Ps[number]>>(), make(options))
