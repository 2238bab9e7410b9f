/**
 * A relay in one process: the initiator follows upstream peers, every block it fetches (proven
 * against its header by the initiator) is appended to a {@link ChainStore}, and that store is served
 * to downstream peers by the responder over node-to-node TCP and, when a socket path is given, by the
 * node-to-client stand-in on a Unix socket. New blocks reach followers as they arrive, roll-backs as
 * they happen (within the store's volatile part). A restart resumes from the stored tip.
 *
 * The relay follows one upstream peer at a time (the first that answers); when that peer goes away
 * it follows another whose headers reach the stored tip (each peer's newest headers are kept for
 * that), or that rolls back to a point of the store.
 *
 * With a topology file the initiator's governor keeps its root peers: each local root group at its
 * valency, trustable peers and bootstrap peers chosen first and demoted last, public roots as known
 * peers; its targets come from the file (raised to what the local roots need) and `targets`. Host
 * names are resolved again every `resolveInterval`, and new addresses replace the old ones.
 *
 * @since 0.1.0
 */
import { Block, type ChainSource, Initiator, PeerId, Protocols, Responder } from "@pallas-network2/core"
import { Point } from "@pallas-network2/core/protocol/Common"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Stream from "effect/Stream"
import * as fs from "node:fs"
import * as ChainStore from "./ChainStore.ts"
import * as LocalNodeSocket from "./LocalNodeSocket.ts"
import * as TcpInterface from "./TcpInterface.ts"
import * as Topology from "./Topology.ts"

/**
 * Options of a relay.
 *
 * @category models
 * @since 0.1.0
 */
export interface RelayOptions {
  /** The database folder (the chain store; `immutable/` in the node's layout). */
  readonly dir: string
  /** Upstream peers to follow. */
  readonly peers?: ReadonlyArray<PeerId> | undefined
  /** A cardano-node P2P topology file: its local roots, public roots and bootstrap peers are followed. */
  readonly topology?: string | undefined
  /** Listen for downstream node-to-node peers here (port 0: any free port). Default 127.0.0.1:3001. */
  readonly host?: string | undefined
  readonly port?: number | undefined
  /** Serve node-to-client (the local-node stand-in) on this Unix socket too. */
  readonly socketPath?: string | undefined
  /** The network magic, upstream and downstream. Default mainnet (764824073). */
  readonly networkMagic?: number | undefined
  /** The security parameter k: blocks kept volatile in memory. Default 2160. */
  readonly securityParam?: number | undefined
  /** Regular slots per chunk file. Default 21 600. */
  readonly chunkSize?: number | undefined
  /** Most blocks asked for in one block-fetch range. Default 100. */
  readonly fetchBatch?: number | undefined
  /** The responder's limits for downstream peers (per-IP limit, idle timeout, ...); its defaults otherwise. */
  readonly limits?: Responder.ResponderLimits | undefined
  /** Time for a started segment to arrive whole on a downstream connection (ms), during and after the handshake. */
  readonly sduTimeout?: number | undefined
  /** The governor's targets (known, established, active); each replaces the one from the topology or the default. */
  readonly targets?: Topology.TargetOverrides | undefined
  /** How often the topology's host names are resolved again. Default 60 seconds. */
  readonly resolveInterval?: Duration.Input | undefined
  /** The DNS resolver for the topology's names. Default the system's. */
  readonly resolver?: Layer.Layer<Topology.Resolver> | undefined
}

/**
 * The root peers of the options' topology file, resolved now and again every `resolveInterval`
 * (an empty topology without a file). Logs the lookups that fail and each new resolution.
 *
 * @category layers
 * @since 0.2.0
 */
export const layerRootPeers = (
  options: Pick<RelayOptions, "topology" | "targets" | "resolveInterval" | "resolver">
): Layer.Layer<Topology.RootPeers, Topology.TopologyError> =>
  Layer.effect(
    Topology.RootPeers,
    Effect.gen(function*() {
      const topology = options.topology === undefined
        ? { localRoots: [], publicRoots: [], bootstrapPeers: undefined, useLedgerAfterSlot: undefined, peerSnapshotFile: undefined }
        : yield* Topology.load(options.topology)
      const roots = yield* Topology.makeRootPeers(topology, {
        ...(options.resolveInterval !== undefined ? { interval: options.resolveInterval } : {}),
        ...(options.targets !== undefined ? { targets: options.targets } : {})
      })
      const describe = (r: Topology.ResolvedTopology) => {
        const p = Topology.rootPeersOf(r)
        return `local roots ${p.localRoots.map((g) => `[${g.peers.join(" ")}] (hot ${g.hotValency}, warm ${g.warmValency}${g.trustable ? ", trustable" : ""})`).join(" ") || "none"}; public roots ${p.publicRoots.join(" ") || "none"}; bootstrap peers ${p.bootstrapPeers.join(" ") || "none"}`
      }
      const warnFailures = (r: Topology.ResolvedTopology) => Effect.forEach(r.failures, (e) => Effect.logWarning(`relay: ${e.message}`), { discard: true })
      if (options.topology !== undefined) {
        const first = yield* roots.current
        yield* warnFailures(first)
        const t = roots.targets
        yield* Effect.log(`relay: topology ${options.topology}: ${describe(first)}; targets known ${t.known}, established ${t.established}, active ${t.active}`)
        yield* Effect.forkScoped(Stream.runForEach(roots.changes, (r) =>
          Effect.andThen(warnFailures(r), Effect.log(`relay: root peers resolved again: ${describe(r)}`))))
      }
      return Topology.RootPeers.of(roots)
    })
  ).pipe(Layer.provide(options.resolver ?? Topology.layerSystemResolver))

/**
 * The initiator of a relay: its governor keeps the root peers of {@link Topology.RootPeers} (read
 * again after each resolution) with the topology's targets.
 *
 * @category layers
 * @since 0.2.0
 */
export const layerInitiator = (
  config: Initiator.InitiatorConfig
): Layer.Layer<Initiator.InitiatorBehaviorShape, never, Topology.RootPeers> =>
  Layer.effect(
    Initiator.InitiatorBehavior,
    Effect.gen(function*() {
      const roots = yield* Topology.RootPeers
      let seen: Topology.ResolvedTopology | undefined
      let peers: Initiator.RootPeers = { localRoots: [], publicRoots: [], bootstrapPeers: [] }
      const rootPeers = () => {
        const now = roots.currentUnsafe()
        if (now !== seen) {
          seen = now
          peers = Topology.rootPeersOf(now)
        }
        return peers
      }
      const t = roots.targets
      return yield* Initiator.make({ ...config, targets: { known: t.known, established: t.established, active: t.active }, rootPeers })
    })
  )

/**
 * The relay's layer: opens the store, listens for downstream peers (and on the Unix socket when
 * given), reads and resolves the topology file (see {@link layerRootPeers}) and builds the initiator
 * (outbound TCP of its own) keeping its root peers. The sync itself is {@link run}.
 *
 * @category layers
 * @since 0.1.0
 */
export const layer = (options: RelayOptions) => {
  const magic = options.networkMagic ?? 764824073
  const k = options.securityParam ?? 2160
  const store = ChainStore.layer({
    dir: options.dir,
    securityParam: k,
    ...(options.chunkSize !== undefined ? { chunkSize: options.chunkSize } : {})
  })
  const downstream = Responder.layerManager({
    mode: "auto",
    networkMagic: magic,
    ...(options.limits !== undefined ? { limits: options.limits } : {})
  }).pipe(
    Layer.provideMerge(TcpInterface.layer({
      protocols: Protocols.NodeToNode.protocols,
      listen: { host: options.host ?? "127.0.0.1", port: options.port ?? 3001 },
      duplex: false,
      initiatorOnInbound: true,
      ...(options.sduTimeout !== undefined ? { sduTimeout: { handshake: options.sduTimeout, after: options.sduTimeout } } : {})
    }))
  )
  const upstream = Initiator.managerLayer({ whenFull: "wait" }).pipe(
    Layer.provideMerge(layerInitiator({
      networkMagic: magic,
      securityParam: k,
      churnInterval: undefined,
      ...(options.fetchBatch !== undefined ? { blockFetch: { chunkBlocks: options.fetchBatch } } : {})
    })),
    Layer.provideMerge(layerRootPeers(options)),
    Layer.provide(TcpInterface.layer({ protocols: Protocols.NodeToNode.protocols }))
  )
  const local = options.socketPath === undefined
    ? Layer.empty
    : Layer.merge(
      LocalNodeSocket.layerStandInUnix({ socketPath: options.socketPath, networkMagic: magic }),
      Layer.effectDiscard(Effect.addFinalizer(() =>
        Effect.sync(() => {
          try {
            fs.unlinkSync(options.socketPath!)
          } catch {
            // already gone
          }
        })
      ))
    )
  const served = Layer.merge(downstream, local)
  return Layer.mergeAll(upstream, served.pipe(Layer.provideMerge(store)))
}

/**
 * The upstream peers of the options: `peers`, then (with `topology`) the topology file's local
 * roots, public roots and bootstrap peers, resolved through the Resolver in context, without repeats.
 *
 * @category constructors
 * @since 0.1.0
 */
export const upstreamPeers = Effect.fn("Relay.upstreamPeers")(function*(options: Pick<RelayOptions, "peers" | "topology">) {
  const out: Array<PeerId> = [...(options.peers ?? [])]
  if (options.topology !== undefined) {
    const topology = yield* Topology.load(options.topology)
    const resolved = yield* Topology.resolve(topology)
    for (const e of resolved.failures) yield* Effect.logWarning(e.message)
    const all = [
      ...resolved.localRoots.flatMap((g) => g.peers),
      ...resolved.publicRoots.flatMap((r) => r.peers),
      ...resolved.bootstrapPeers
    ]
    for (const a of all) out.push(PeerId.tcp(a.host, a.port))
  }
  return [...new Set(out)]
})

/**
 * What the relay has done so far.
 *
 * @category models
 * @since 0.1.0
 */
export interface RelayStats {
  readonly appended: number
  readonly rolledBack: number
}

/** A header whose block is still to be fetched (its hash copied, so the message it came in is not kept). */
interface Wanted {
  readonly point: Point & { readonly _tag: "Specific" }
  readonly key: string
}

/**
 * A range of headers to fetch in one request. Only the newest batches keep every header (a roll-back
 * reaches at most k back); older ones keep their ends, so a long catch-up holds one entry per batch.
 */
interface Batch {
  readonly from: Wanted
  to: Wanted
  count: number
  items: Array<Wanted> | undefined
}

/** Cuts a batch after the header `key`; false when the batch does not hold it (or no longer knows). */
const cutAt = (b: Batch, key: string): boolean => {
  if (b.items !== undefined) {
    const at = b.items.findIndex((w) => w.key === key)
    if (at < 0) return false
    b.items.length = at + 1
    b.to = b.items[at]!
    b.count = at + 1
    return true
  }
  if (b.to.key === key) return true
  if (b.from.key !== key) return false
  b.to = b.from
  b.count = 1
  b.items = [b.from]
  return true
}

/**
 * Follows the upstream peers into the store until interrupted: chain-sync starts from the stored
 * tip (then the immutable tip, then the origin), each header of the followed peer is queued, its
 * blocks fetched in ranges of up to `fetchBatch` and appended in order; a roll-back of the followed
 * peer rolls the store back (a roll-back deeper than the volatile part is logged and the relay
 * restarts chain-sync from its tip). `onAppend` is called after each block is stored.
 *
 * @category flows
 * @since 0.1.0
 */
export const run = Effect.fnUntraced(function*(
  peers: ReadonlyArray<PeerId>,
  options: {
    readonly fetchBatch?: number | undefined
    /** k, as the store has it: how far back a roll-back may reach among headers not fetched yet. */
    readonly securityParam?: number | undefined
    readonly onAppend?: ((block: Block.ChainBlock) => Effect.Effect<void>) | undefined
    /** Whether the initiator also has root peers of a topology (for the log). */
    readonly topology?: boolean | undefined
  } = {}
) {
  const store = yield* ChainStore.ChainStore
  const manager = yield* Initiator.InitiatorManager
  const batch = Math.max(1, options.fetchBatch ?? 100)
  const keepBatches = Math.ceil((options.securityParam ?? 2160) / batch) + 1
  const stats = { appended: 0, rolledBack: 0 }

  let leader: PeerId | undefined
  // each peer's newest headers (k and a batch), so another peer can be followed at once when the
  // followed one goes away (a chain-sync restart waits for the peer's pipelined requests to drain)
  const recent = new Map<PeerId, Array<Wanted>>()
  const keepRecent = (options.securityParam ?? 2160) + batch
  let pending: Array<Batch> = []
  interface InFlight {
    readonly id: number
    readonly batch: Batch
    got: number
    stale: boolean
  }
  let inFlight: InFlight | undefined
  let nextId = 1

  const startPoints = Effect.gen(function*() {
    const tip = yield* store.tip
    const imm = yield* store.immutableTip
    const points: Array<Point> = [tip.point]
    if (imm.point._tag === "Specific" && (tip.point._tag !== "Specific" || Point.toString(imm.point) !== Point.toString(tip.point))) {
      points.push(imm.point)
    }
    if (tip.point._tag === "Specific") points.push(Point.origin)
    return points
  })
  const restart = (why: string) =>
    Effect.gen(function*() {
      leader = undefined
      pending = []
      if (inFlight !== undefined) inFlight.stale = true
      const points = yield* startPoints
      yield* Effect.log(`relay: chain-sync from ${points.map(Point.toString).join(", ")} (${why})`)
      yield* manager.execute(Initiator.InitiatorCommand.StartSync(points))
    })

  /**
   * With no peer followed: follows `peer` when its recent headers reach the stored tip (or start the
   * chain, on an empty store), queueing the headers after it.
   */
  const adoptAt = (peer: PeerId, list: ReadonlyArray<Wanted>, why?: string) =>
    Effect.gen(function*() {
      const tip = yield* store.tip
      const at = tip.point._tag === "Origin" ? -1 : list.findIndex((w) => w.key === Point.toString(tip.point))
      if (at < 0 && tip.point._tag !== "Origin") return false
      leader = peer
      for (const w of list.slice(at + 1)) queue(w)
      if (why !== undefined) yield* Effect.log(`relay: following ${peer} from ${Point.toString(tip.point)} (${why})`)
      yield* fetchNext
      return true
    })

  /**
   * The followed peer went away: follows another whose recent headers reach the stored tip; else the
   * first peer whose headers reach it later, or that rolls back to a point of the store.
   */
  const switchLeader = (why: string) =>
    Effect.gen(function*() {
      const old = leader
      leader = undefined
      pending = []
      if (inFlight !== undefined) inFlight.stale = true
      for (const [peer, list] of recent) {
        if (peer !== old && (yield* adoptAt(peer, list, why))) return
      }
      // no chain-sync restart here: a peer at its tip with a full pipeline would answer the new
      // FindIntersect only after that many new blocks; the first peer whose headers reach the stored tip
      // (or that rolls back to a point of the store) is followed
      yield* Effect.log(`relay: ${why}; waiting for a peer that reaches the stored tip`)
    })

  const fetchNext = Effect.suspend(() => {
    if (inFlight !== undefined || pending.length === 0) return Effect.void
    const next = pending.shift()!
    const id = nextId++
    inFlight = { id, batch: next, got: 0, stale: false }
    return manager.execute(Initiator.InitiatorCommand.FetchRange(next.from.point, next.to.point, id))
  })
  const wantedOf = (point: Point & { readonly _tag: "Specific" }): Wanted => ({
    point: Point.specific(point.slot, point.hash.slice()) as Wanted["point"],
    key: Point.toString(point)
  })
  const queue = (w: Wanted) => {
    const last = pending.at(-1)
    if (last !== undefined && last.count < batch && last.items !== undefined) {
      last.items.push(w)
      last.to = w
      last.count++
      return
    }
    pending.push({ from: w, to: w, count: 1, items: [w] })
    const old = pending[pending.length - 1 - keepBatches]
    if (old !== undefined) old.items = undefined
  }

  /** A block of the range in flight: parsed, appended, announced (hoisted: every block passes here). */
  const onBlock = Effect.fnUntraced(function*(e: Initiator.InitiatorEvent & { readonly _tag: "BlockReceived" }, flight: InFlight) {
    const block = yield* Effect.try(() => Block.parse(e.block.bytes)).pipe(Effect.result)
    if (block._tag === "Failure") {
      flight.stale = true
      return yield* Effect.logWarning(`relay: a block from ${e.peer} does not parse: ${String(block.failure)}`)
    }
    const appended = yield* Effect.result(store.append(block.success))
    if (appended._tag === "Failure") {
      flight.stale = true
      yield* Effect.logWarning(`relay: ${appended.failure.message}`)
      return yield* restart("a block did not follow the stored tip")
    }
    flight.got = e.index + 1
    stats.appended++
    yield* Effect.logDebug(`relay: stored block ${block.success.blockNo} ${Point.toString(e.block.point)}`)
    if (options.onAppend !== undefined) yield* options.onAppend(block.success)
  })

  const onEvent = (e: Initiator.InitiatorEvent): Effect.Effect<void, ChainSource.ChainSourceError> => {
    switch (e._tag) {
      case "IntersectionFound":
        return Effect.gen(function*() {
          recent.set(e.peer, [])
          if (leader !== undefined) return
          const tip = yield* store.tip
          if (Point.toString(tip.point) !== Point.toString(e.point)) return
          leader = e.peer
          yield* Effect.log(`relay: following ${e.peer} from ${Point.toString(e.point)}`)
        })
      case "IntersectionNotFound":
        return Effect.logWarning(`relay: ${e.peer} has none of the stored points (its tip is block ${e.tip.blockNo})`)
      case "HeaderReceived": {
        if (e.point._tag !== "Specific") return Effect.void
        const w = wantedOf(e.point)
        const list = recent.get(e.peer) ?? []
        list.push(w)
        if (list.length > keepRecent) list.splice(0, list.length - keepRecent)
        recent.set(e.peer, list)
        if (leader === undefined) return adoptAt(e.peer, list)
        if (e.peer !== leader) return Effect.void
        queue(w)
        return fetchNext
      }
      case "RolledBack": {
        const list = recent.get(e.peer)
        if (list !== undefined) {
          const at = list.findIndex((w) => w.key === Point.toString(e.point))
          list.splice(at + 1)
        }
        if (leader === undefined) {
          // a peer that rolls back to a point of the store: followed from there
          return Effect.gen(function*() {
            const tip = yield* store.tip
            const key = Point.toString(e.point)
            if (Point.toString(tip.point) !== key) {
              const removed = yield* Effect.result(store.rollbackTo(e.point))
              if (removed._tag === "Failure") return
              stats.rolledBack += removed.success.length
              yield* Effect.log(`relay: rolled back ${removed.success.length} block(s) to ${key}`)
            }
            leader = e.peer
            yield* Effect.log(`relay: following ${e.peer} from ${key}`)
          })
        }
        if (e.peer !== leader) return Effect.void
        return Effect.gen(function*() {
          const key = Point.toString(e.point)
          // a roll-back among the headers not fetched yet only drops them
          for (let i = pending.length - 1; i >= 0; i--) {
            if (cutAt(pending[i]!, key)) {
              pending.length = i + 1
              return
            }
          }
          pending = []
          // the range in flight stops at the point, when nothing after it is stored yet
          if (inFlight !== undefined && !inFlight.stale && cutAt(inFlight.batch, key) && inFlight.batch.count >= inFlight.got) return
          if (inFlight !== undefined) inFlight.stale = true
          const tip = yield* store.tip
          if (Point.toString(tip.point) === key) return
          const removed = yield* Effect.result(store.rollbackTo(e.point))
          if (removed._tag === "Failure") {
            yield* Effect.logWarning(`relay: ${removed.failure.message}`)
            return yield* restart("roll-back deeper than the volatile part")
          }
          stats.rolledBack += removed.success.length
          yield* Effect.log(`relay: rolled back ${removed.success.length} block(s) to ${key}`)
        })
      }
      case "BlockReceived": {
        const flight = inFlight
        if (flight === undefined || flight.id !== e.rangeId || flight.stale) return Effect.void
        if (e.index >= flight.batch.count) return Effect.void
        return onBlock(e, flight)
      }
      case "RangeFetched":
      case "RangeFailed": {
        const flight = inFlight
        if (flight === undefined || flight.id !== e.rangeId) return Effect.void
        inFlight = undefined
        if (e._tag === "RangeFailed" && !flight.stale) {
          // ask again for what did not arrive (or follow again from the stored tip when that is not known)
          const b = flight.batch
          const rest: Batch | undefined = flight.got === 0
            ? b
            : b.items !== undefined && flight.got < b.count
            ? { from: b.items[flight.got]!, to: b.to, count: b.count - flight.got, items: b.items.slice(flight.got) }
            : undefined
          if (rest === undefined && flight.got < b.count) return restart(`range failed: ${e.reason}`)
          if (rest !== undefined) pending.unshift(rest)
          return Effect.andThen(Effect.logWarning(`relay: range failed: ${e.reason}`), fetchNext)
        }
        return fetchNext
      }
      case "PeerDemoted":
        if (e.to !== "cold") return Effect.void
        recent.delete(e.peer)
        return e.peer === leader ? switchLeader(`${e.peer} went away: ${e.reason}`) : Effect.void
      case "PeerBanned":
        recent.delete(e.peer)
        return Effect.andThen(
          Effect.logWarning(Initiator.describeEvent(e)),
          e.peer === leader ? switchLeader(`${e.peer} was banned`) : Effect.void
        )
      case "HandshakeResult":
      case "ConnectFailed":
        return Effect.log(`relay: ${Initiator.describeEvent(e)}`)
      default:
        return Effect.void
    }
  }

  for (const p of peers) yield* manager.execute(Initiator.InitiatorCommand.IncludePeer(p))
  const points = yield* startPoints
  const whom = [...(peers.length > 0 ? [peers.join(", ")] : []), ...(options.topology === true ? ["the topology's root peers"] : [])]
  yield* Effect.log(`relay: following ${whom.join(" and ") || "no peer yet"} from ${points.map(Point.toString).join(", ")}`)
  yield* manager.execute(Initiator.InitiatorCommand.StartSync(points))
  yield* manager.events.pipe(Stream.runForEach(onEvent))
  return stats as RelayStats
})
