/**
 * The topology file operators already have: cardano-node's P2P `topology.json`, read into typed
 * values, its host names resolved through DNS and resolved again on a schedule, and the peer
 * governor's targets derived from it.
 *
 * The file: `localRoots` (groups of `accessPoints` with `advertise`, `trustable`, `hotValency` (or
 * the older `valency`), `warmValency`, optionally `diffusionMode`), `publicRoots` (`accessPoints`,
 * `advertise`), `bootstrapPeers` (access points, or `null` to turn them off), `useLedgerAfterSlot`
 * (negative or absent: never) and `peerSnapshotFile`. Other keys are ignored.
 *
 * An access point is `{ "address", "port" }`: an IP address, or a host name resolved to its A and
 * AAAA records. An access point with an `address` and no `port` names a DNS SRV record, as the node
 * reads it (the name as written, e.g. `_cardano._tcp.relays.example`, the prefix CIP-0155 gives);
 * its targets' A/AAAA records are used with the ports the SRV record gives.
 *
 * @since 0.1.0
 */
import { type Initiator, type PeerAddress, PeerId } from "@pallas-network2/core"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as PubSub from "effect/PubSub"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import * as dns from "node:dns"
import * as fs from "node:fs"
import * as net from "node:net"

// ---------------------------------------------------------------------------------------------
// errors

/**
 * The topology file could not be used: it could not be read (`Read`), is not JSON (`Json`), or does
 * not have the shape of a topology file or breaks one of its rules (`Invalid`, with where and why).
 *
 * @category errors
 * @since 0.1.0
 */
export class TopologyError extends Schema.TaggedError<TopologyError>()("TopologyError", {
  reason: Schema.Literals(["Read", "Json", "Invalid"]),
  path: Schema.String,
  detail: Schema.String
}) {
  override get message(): string {
    return `topology ${this.path}: ${this.detail}`
  }
}

/**
 * A DNS lookup that failed: the name has no such record (`NotFound`) or the lookup itself failed.
 *
 * @category errors
 * @since 0.1.0
 */
export class DnsError extends Schema.TaggedError<DnsError>()("DnsError", {
  reason: Schema.Literals(["NotFound", "Failed"]),
  name: Schema.String,
  record: Schema.Literals(["A", "AAAA", "SRV"]),
  detail: Schema.String
}) {
  override get message(): string {
    return `DNS ${this.record} ${this.name}: ${this.detail}`
  }
}

// ---------------------------------------------------------------------------------------------
// the file

/**
 * Where a root peer is reached: an IP address and port, a host name and port (A/AAAA), or the name
 * of an SRV record (the ports come from the record).
 *
 * @category models
 * @since 0.1.0
 */
export type AccessPoint =
  | { readonly _tag: "Address"; readonly host: string; readonly port: number }
  | { readonly _tag: "Domain"; readonly domain: string; readonly port: number }
  | { readonly _tag: "Srv"; readonly domain: string }

/**
 * A local root group: peers the node always tries to keep, `hotValency` of them hot and
 * `warmValency` of them established.
 *
 * @category models
 * @since 0.1.0
 */
export interface LocalRootGroup {
  readonly accessPoints: ReadonlyArray<AccessPoint>
  readonly advertise: boolean
  readonly trustable: boolean
  readonly hotValency: number
  readonly warmValency: number
  readonly diffusionMode: "InitiatorOnly" | "InitiatorAndResponder" | undefined
}

/**
 * A public root group.
 *
 * @category models
 * @since 0.1.0
 */
export interface PublicRoot {
  readonly accessPoints: ReadonlyArray<AccessPoint>
  readonly advertise: boolean
}

/**
 * A topology file, read.
 *
 * @category models
 * @since 0.1.0
 */
export interface Topology {
  readonly localRoots: ReadonlyArray<LocalRootGroup>
  readonly publicRoots: ReadonlyArray<PublicRoot>
  /** `undefined`: bootstrap peers are off (`null` or absent in the file). */
  readonly bootstrapPeers: ReadonlyArray<AccessPoint> | undefined
  /** `undefined`: ledger peers are never used (negative or absent in the file). */
  readonly useLedgerAfterSlot: number | undefined
  readonly peerSnapshotFile: string | undefined
}

const Port = Schema.Number.check(Schema.isInt(), Schema.isBetween({ minimum: 0, maximum: 65_535 }))
const Count = Schema.Number.check(Schema.isInt(), Schema.isBetween({ minimum: 0, maximum: 2 ** 31 - 1 }))
const RawAccessPoint = Schema.Struct({
  address: Schema.String.check(Schema.isMinLength(1)),
  port: Schema.optionalKey(Port)
})
const RawLocalRoot = Schema.Struct({
  accessPoints: Schema.Array(RawAccessPoint),
  advertise: Schema.optionalKey(Schema.Boolean),
  trustable: Schema.optionalKey(Schema.Boolean),
  valency: Schema.optionalKey(Count),
  hotValency: Schema.optionalKey(Count),
  warmValency: Schema.optionalKey(Count),
  diffusionMode: Schema.optionalKey(Schema.Literals(["InitiatorOnly", "InitiatorAndResponder"]))
})
const RawPublicRoot = Schema.Struct({
  accessPoints: Schema.Array(RawAccessPoint),
  advertise: Schema.optionalKey(Schema.Boolean)
})
/**
 * The Schema of a topology file as written (before defaults and checks).
 *
 * @category schemas
 * @since 0.1.0
 */
export const TopologyFile = Schema.Struct({
  localRoots: Schema.optionalKey(Schema.Array(RawLocalRoot)),
  publicRoots: Schema.optionalKey(Schema.Array(RawPublicRoot)),
  bootstrapPeers: Schema.optionalKey(Schema.NullOr(Schema.Array(RawAccessPoint))),
  useLedgerAfterSlot: Schema.optionalKey(Schema.Number.check(Schema.isInt())),
  peerSnapshotFile: Schema.optionalKey(Schema.NullOr(Schema.String))
})

const accessPointOf = (raw: { readonly address: string; readonly port?: number }): AccessPoint => {
  if (raw.port === undefined) return { _tag: "Srv", domain: raw.address.replace(/\.$/, "") }
  const bare = raw.address.replace(/^\[(.*)\]$/, "$1")
  return net.isIP(bare) !== 0
    ? { _tag: "Address", host: bare, port: raw.port }
    : { _tag: "Domain", domain: raw.address.replace(/\.$/, ""), port: raw.port }
}

const decodeFile = Schema.decodeUnknownEffect(TopologyFile)

/**
 * Reads a topology from a parsed JSON value. A local root group's `hotValency` defaults to its
 * `valency`, then to its number of access points; `warmValency` defaults to `hotValency` and may not
 * be below it; `advertise` and `trustable` default to false.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Topology } from "@pallas-network2/node"
 * const topology = Effect.runSync(Topology.decode({
 *   localRoots: [{ accessPoints: [{ address: "127.0.0.1", port: 3001 }], advertise: false, trustable: true, hotValency: 1 }],
 *   publicRoots: [],
 *   bootstrapPeers: null
 * }))
 * topology.localRoots[0]?.trustable // true
 * ```
 *
 * @category decoding
 * @since 0.1.0
 */
export const decode = (json: unknown, path = "topology"): Effect.Effect<Topology, TopologyError> =>
  Effect.gen(function*() {
    const raw = yield* decodeFile(json).pipe(
      Effect.mapError((e) => new TopologyError({ reason: "Invalid", path, detail: e.message }))
    )
    const localRoots: Array<LocalRootGroup> = []
    for (const [i, group] of (raw.localRoots ?? []).entries()) {
      const hotValency = group.hotValency ?? group.valency ?? group.accessPoints.length
      const warmValency = group.warmValency ?? hotValency
      if (warmValency < hotValency) {
        return yield* new TopologyError({
          reason: "Invalid",
          path,
          detail: `localRoots[${i}]: warmValency ${warmValency} is below hotValency ${hotValency}`
        })
      }
      localRoots.push({
        accessPoints: group.accessPoints.map(accessPointOf),
        advertise: group.advertise ?? false,
        trustable: group.trustable ?? false,
        hotValency,
        warmValency,
        diffusionMode: group.diffusionMode
      })
    }
    return {
      localRoots,
      publicRoots: (raw.publicRoots ?? []).map((r) => ({
        accessPoints: r.accessPoints.map(accessPointOf),
        advertise: r.advertise ?? false
      })),
      bootstrapPeers: raw.bootstrapPeers === undefined || raw.bootstrapPeers === null
        ? undefined
        : raw.bootstrapPeers.map(accessPointOf),
      useLedgerAfterSlot: raw.useLedgerAfterSlot === undefined || raw.useLedgerAfterSlot < 0
        ? undefined
        : raw.useLedgerAfterSlot,
      peerSnapshotFile: raw.peerSnapshotFile ?? undefined
    }
  })

/**
 * Reads a topology from the text of a file.
 *
 * @category decoding
 * @since 0.1.0
 */
export const parse = (text: string, path = "topology"): Effect.Effect<Topology, TopologyError> =>
  Effect.try({
    try: () => JSON.parse(text) as unknown,
    catch: (e) => new TopologyError({ reason: "Json", path, detail: e instanceof Error ? e.message : String(e) })
  }).pipe(Effect.flatMap((json) => decode(json, path)))

/**
 * Reads a topology file.
 *
 * @category constructors
 * @since 0.1.0
 */
export const load = Effect.fn("Topology.load")(function*(file: string) {
  const text = yield* Effect.try({
    try: () => fs.readFileSync(file, "utf8"),
    catch: (e) => new TopologyError({ reason: "Read", path: file, detail: e instanceof Error ? e.message : String(e) })
  })
  return yield* parse(text, file)
})

// ---------------------------------------------------------------------------------------------
// targets

/**
 * The peer governor's targets: how many peers to know, keep established and keep active, how many
 * root peers, and each local root group's own hot and warm targets.
 *
 * @category models
 * @since 0.1.0
 */
export interface GovernorTargets {
  readonly known: number
  readonly established: number
  readonly active: number
  readonly rootPeers: number
  readonly localRoots: ReadonlyArray<{ readonly hot: number; readonly warm: number; readonly trustable: boolean }>
}

/**
 * Targets given on the command line or by the application; each replaces the derived one.
 *
 * @category models
 * @since 0.1.0
 */
export interface TargetOverrides {
  readonly known?: number
  readonly established?: number
  readonly active?: number
  readonly rootPeers?: number
}

/**
 * The governor's targets from a topology: each local root group keeps its `hotValency` hot and its
 * `warmValency` established; the overall targets default to the reference relay's (known 150,
 * established 30, active 20, root peers 60), raised where the local roots need more, and replaced by
 * `overrides`. Known is never below established, nor established below active.
 *
 * @category constructors
 * @since 0.1.0
 */
export const targets = (topology: Topology, overrides: TargetOverrides = {}): GovernorTargets => {
  const localRoots = topology.localRoots.map((g) => ({ hot: g.hotValency, warm: g.warmValency, trustable: g.trustable }))
  const hot = localRoots.reduce((n, g) => n + g.hot, 0)
  const warm = localRoots.reduce((n, g) => n + g.warm, 0)
  const active = overrides.active ?? Math.max(20, hot)
  const established = Math.max(overrides.established ?? Math.max(30, warm), active)
  const known = Math.max(overrides.known ?? 150, established)
  return { known, established, active, rootPeers: overrides.rootPeers ?? 60, localRoots }
}

// ---------------------------------------------------------------------------------------------
// DNS

/**
 * One SRV record.
 *
 * @category models
 * @since 0.1.0
 */
export interface SrvRecord {
  readonly name: string
  readonly port: number
  readonly priority: number
  readonly weight: number
}

/**
 * The shape of a DNS resolver.
 *
 * @category models
 * @since 0.1.0
 */
export interface ResolverShape {
  readonly ipv4: (name: string) => Effect.Effect<ReadonlyArray<string>, DnsError>
  readonly ipv6: (name: string) => Effect.Effect<ReadonlyArray<string>, DnsError>
  readonly srv: (name: string) => Effect.Effect<ReadonlyArray<SrvRecord>, DnsError>
}

/**
 * The DNS resolver the topology's names go through: the system's ({@link layerSystemResolver}) or a
 * test's ({@link layerStaticResolver}).
 *
 * @category services
 * @since 0.1.0
 */
export class Resolver extends Context.Service<Resolver, ResolverShape>()("@pallas-network2/node/Topology/Resolver") {}

const dnsError = (name: string, record: "A" | "AAAA" | "SRV") => (e: unknown) => {
  const code = (e as { code?: string } | undefined)?.code
  const notFound = code === "ENOTFOUND" || code === "ENODATA" || code === "EAI_NONAME" || code === "NOTFOUND" ||
    code === "NODATA"
  return new DnsError({
    reason: notFound ? "NotFound" : "Failed",
    name,
    record,
    detail: e instanceof Error ? e.message : String(e)
  })
}

/**
 * The system's resolver: A and AAAA records through the system's name lookup (so `/etc/hosts` and
 * `localhost` work), SRV records through DNS queries.
 *
 * @category layers
 * @since 0.1.0
 */
export const layerSystemResolver: Layer.Layer<Resolver> = Layer.succeed(
  Resolver,
  Resolver.of({
    ipv4: (name) =>
      Effect.tryPromise({
        try: () => dns.promises.lookup(name, { all: true, family: 4 }),
        catch: dnsError(name, "A")
      }).pipe(Effect.map((rs) => rs.map((r) => r.address))),
    ipv6: (name) =>
      Effect.tryPromise({
        try: () => dns.promises.lookup(name, { all: true, family: 6 }),
        catch: dnsError(name, "AAAA")
      }).pipe(Effect.map((rs) => rs.map((r) => r.address))),
    srv: (name) =>
      Effect.tryPromise({ try: () => dns.promises.resolveSrv(name), catch: dnsError(name, "SRV") })
  })
)

/**
 * A resolver answering from tables (for tests and for pinning names): `a`, `aaaa` and `srv` by name;
 * a name absent from a table is not found. The tables are read at each lookup, so a test can change
 * them between two resolutions.
 *
 * @category layers
 * @since 0.1.0
 */
export const layerStaticResolver = (tables: {
  readonly a?: Record<string, ReadonlyArray<string>>
  readonly aaaa?: Record<string, ReadonlyArray<string>>
  readonly srv?: Record<string, ReadonlyArray<SrvRecord>>
}): Layer.Layer<Resolver> => {
  const answer = <A>(table: Record<string, ReadonlyArray<A>> | undefined, name: string, record: "A" | "AAAA" | "SRV") =>
    Effect.suspend(() => {
      const found = table?.[name]
      return found === undefined || found.length === 0
        ? Effect.fail(new DnsError({ reason: "NotFound", name, record, detail: "no such record" }))
        : Effect.succeed([...found])
    })
  return Layer.succeed(
    Resolver,
    Resolver.of({
      ipv4: (name) => answer(tables.a, name, "A"),
      ipv6: (name) => answer(tables.aaaa, name, "AAAA"),
      srv: (name) => answer(tables.srv, name, "SRV")
    })
  )
}

/**
 * A TCP peer address resolved from the topology.
 *
 * @category models
 * @since 0.1.0
 */
export type TcpAddress = Extract<PeerAddress, { readonly _tag: "Tcp" }>

const hostAddresses = (name: string, port: number, resolver: ResolverShape) =>
  Effect.all([Effect.result(resolver.ipv4(name)), Effect.result(resolver.ipv6(name))], { concurrency: 2 }).pipe(
    Effect.flatMap(([v4, v6]) => {
      const hosts = [...(v4._tag === "Success" ? v4.success : []), ...(v6._tag === "Success" ? v6.success : [])]
      if (hosts.length > 0) return Effect.succeed(hosts.map((host): TcpAddress => ({ _tag: "Tcp", host, port })))
      return Effect.fail(v4._tag === "Failure" ? v4.failure : (v6 as { failure: DnsError }).failure)
    })
  )

/**
 * The addresses of one access point: itself for an IP address; the A and AAAA records of a host
 * name (failing only when neither answers); for an SRV name, its targets' addresses in the record's
 * order (priority, then weight, highest first), each with the target's port.
 *
 * @category constructors
 * @since 0.1.0
 */
export const resolveAccessPoint = (
  ap: AccessPoint
): Effect.Effect<ReadonlyArray<TcpAddress>, DnsError, Resolver> =>
  Effect.gen(function*() {
    const resolver = yield* Resolver
    switch (ap._tag) {
      case "Address":
        return [{ _tag: "Tcp", host: ap.host, port: ap.port }]
      case "Domain":
        return yield* hostAddresses(ap.domain, ap.port, resolver)
      case "Srv": {
        const records = yield* resolver.srv(ap.domain)
        const ordered = [...records].sort((a, b) => a.priority - b.priority || b.weight - a.weight)
        const lists = yield* Effect.forEach(ordered, (r) =>
          net.isIP(r.name) !== 0
            ? Effect.succeed<ReadonlyArray<TcpAddress>>([{ _tag: "Tcp", host: r.name, port: r.port }])
            : Effect.orElseSucceed(hostAddresses(r.name, r.port, resolver), (): ReadonlyArray<TcpAddress> => []))
        return lists.flat()
      }
    }
  })

const keyOf = (ap: AccessPoint): string =>
  ap._tag === "Address" ? `ip ${ap.host} ${ap.port}` : ap._tag === "Domain" ? `a ${ap.domain} ${ap.port}` : `srv ${ap.domain}`

/**
 * A topology with its access points resolved. `failures` holds the lookups that failed this time;
 * an access point whose lookup failed keeps the addresses it had before, if any.
 *
 * @category models
 * @since 0.1.0
 */
export interface ResolvedTopology {
  readonly localRoots: ReadonlyArray<{ readonly group: LocalRootGroup; readonly peers: ReadonlyArray<TcpAddress> }>
  readonly publicRoots: ReadonlyArray<{ readonly root: PublicRoot; readonly peers: ReadonlyArray<TcpAddress> }>
  readonly bootstrapPeers: ReadonlyArray<TcpAddress>
  /** Each distinct access point with its addresses. */
  readonly addresses: ReadonlyArray<{ readonly accessPoint: AccessPoint; readonly peers: ReadonlyArray<TcpAddress> }>
  readonly failures: ReadonlyArray<DnsError>
}

/**
 * Resolves every access point of a topology (concurrently, at most 8 lookups at a time).
 * `previous` gives the addresses kept for access points whose lookup fails.
 *
 * @category constructors
 * @since 0.1.0
 */
export const resolve = Effect.fn("Topology.resolve")(function*(topology: Topology, previous?: ResolvedTopology) {
  const kept = new Map<string, ReadonlyArray<TcpAddress>>()
  for (const a of previous?.addresses ?? []) kept.set(keyOf(a.accessPoint), a.peers)
  const all = [
    ...topology.localRoots.flatMap((g) => g.accessPoints),
    ...topology.publicRoots.flatMap((r) => r.accessPoints),
    ...(topology.bootstrapPeers ?? [])
  ]
  const unique = [...new Map(all.map((ap) => [keyOf(ap), ap])).values()]
  const failures: Array<DnsError> = []
  const answers = new Map<string, ReadonlyArray<TcpAddress>>()
  yield* Effect.forEach(unique, (ap) =>
    resolveAccessPoint(ap).pipe(
      Effect.tap((peers) => Effect.sync(() => answers.set(keyOf(ap), peers))),
      Effect.catch((e: DnsError) =>
        Effect.sync(() => {
          failures.push(e)
          const before = kept.get(keyOf(ap))
          if (before !== undefined) answers.set(keyOf(ap), before)
        })
      )
    ), { concurrency: 8, discard: true })
  const peersOf = (aps: ReadonlyArray<AccessPoint>): Array<TcpAddress> => {
    const seen = new Set<string>()
    const out: Array<TcpAddress> = []
    for (const ap of aps) {
      for (const p of answers.get(keyOf(ap)) ?? []) {
        const k = `${p.host}|${p.port}`
        if (!seen.has(k)) {
          seen.add(k)
          out.push(p)
        }
      }
    }
    return out
  }
  const result: ResolvedTopology = {
    localRoots: topology.localRoots.map((group) => ({ group, peers: peersOf(group.accessPoints) })),
    publicRoots: topology.publicRoots.map((root) => ({ root, peers: peersOf(root.accessPoints) })),
    bootstrapPeers: peersOf(topology.bootstrapPeers ?? []),
    addresses: unique.map((accessPoint) => ({ accessPoint, peers: answers.get(keyOf(accessPoint)) ?? [] })),
    failures
  }
  return result
})

// ---------------------------------------------------------------------------------------------
// the root peers, kept resolved

/**
 * The root peers of a topology, resolved and kept resolved: the current resolution, every change,
 * and the governor's targets.
 *
 * @category models
 * @since 0.1.0
 */
export interface RootPeersShape {
  readonly topology: Topology
  readonly targets: GovernorTargets
  /** The latest resolution. */
  readonly current: Effect.Effect<ResolvedTopology>
  /** The latest resolution, read synchronously (a new object after each resolution). */
  readonly currentUnsafe: () => ResolvedTopology
  /** Each resolution whose addresses differ from the one before (a new subscription per run). */
  readonly changes: Stream.Stream<ResolvedTopology>
  /** Resolves again now. */
  readonly refresh: Effect.Effect<ResolvedTopology>
  /** The trustable local roots' addresses (preferred when the node syncs). */
  readonly trustable: Effect.Effect<ReadonlyArray<TcpAddress>>
}

/**
 * The RootPeers service.
 *
 * @category services
 * @since 0.1.0
 */
export class RootPeers extends Context.Service<RootPeers, RootPeersShape>()("@pallas-network2/node/Topology/RootPeers") {}

/**
 * Options of {@link makeRootPeers}.
 *
 * @category models
 * @since 0.1.0
 */
export interface RootPeersOptions {
  /** Time between two resolutions. Default 60 seconds (the node's re-initialisation delay). */
  readonly interval?: Duration.Input
  /** Targets replacing the derived ones. */
  readonly targets?: TargetOverrides
}

const sameAddresses = (a: ResolvedTopology, b: ResolvedTopology): boolean => {
  const flat = (r: ResolvedTopology) =>
    JSON.stringify([r.localRoots.map((g) => g.peers), r.publicRoots.map((p) => p.peers), r.bootstrapPeers])
  return flat(a) === flat(b)
}

/**
 * Resolves a topology now and again every `interval` in the current scope (the fiber stops with
 * the scope). Time comes from Effect's Clock, so TestClock drives it in tests.
 *
 * @category constructors
 * @since 0.1.0
 */
export const makeRootPeers = Effect.fnUntraced(function*(topology: Topology, options: RootPeersOptions = {}) {
  const resolver = yield* Resolver
  const provide = Effect.provideService(Resolver, resolver)
  const interval = Duration.fromInputUnsafe(options.interval ?? "60 seconds")
  const pubsub = yield* PubSub.unbounded<ResolvedTopology>()
  yield* Effect.addFinalizer(() => PubSub.shutdown(pubsub))
  let current = yield* provide(resolve(topology))
  const refresh = Effect.gen(function*() {
    const next = yield* provide(resolve(topology, current))
    const changed = !sameAddresses(current, next)
    current = next
    if (changed) yield* PubSub.publish(pubsub, next)
    return next
  })
  yield* Effect.forkScoped(Effect.forever(Effect.andThen(Effect.sleep(interval), refresh)))
  const self: RootPeersShape = {
    topology,
    targets: targets(topology, options.targets),
    current: Effect.sync(() => current),
    currentUnsafe: () => current,
    changes: Stream.fromPubSub(pubsub),
    refresh,
    trustable: Effect.sync(() => current.localRoots.filter((g) => g.group.trustable).flatMap((g) => g.peers))
  }
  return self
})

/**
 * A RootPeers layer for a topology (needs a {@link Resolver}).
 *
 * @category layers
 * @since 0.1.0
 */
export const layerRootPeers = (topology: Topology, options: RootPeersOptions = {}): Layer.Layer<RootPeers, never, Resolver> =>
  Layer.effect(RootPeers, Effect.map(makeRootPeers(topology, options), (peers) => RootPeers.of(peers)))

/**
 * A resolution as the initiator's root peers: each local root group with its addresses and valency,
 * the public roots' addresses, the bootstrap peers' addresses.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Topology } from "@pallas-network2/node"
 * const topology = Effect.runSync(Topology.decode({
 *   localRoots: [{ accessPoints: [{ address: "127.0.0.1", port: 3001 }], trustable: true, hotValency: 1 }]
 * }))
 * const roots = Topology.rootPeersOf(Effect.runSync(Topology.resolve(topology).pipe(Effect.provide(Topology.layerStaticResolver({})))))
 * roots.localRoots[0]?.peers // ["127.0.0.1:3001"]
 * ```
 *
 * @category constructors
 * @since 0.2.0
 */
export const rootPeersOf = (resolved: ResolvedTopology): Initiator.RootPeers => {
  const ids = (peers: ReadonlyArray<TcpAddress>) => peers.map((p) => PeerId.tcp(p.host, p.port))
  return {
    localRoots: resolved.localRoots.map(({ group, peers }) => ({
      peers: ids(peers),
      hotValency: group.hotValency,
      warmValency: group.warmValency,
      trustable: group.trustable
    })),
    publicRoots: resolved.publicRoots.flatMap((r) => ids(r.peers)),
    bootstrapPeers: ids(resolved.bootstrapPeers)
  }
}
