/**
 * `network2 relay --db DIR (--peer HOST:PORT... | --topology FILE) [--host 127.0.0.1] [--port 3001]
 * [--socket-path P] [--magic N] [--security-param K] [--target-known N] [--target-established N]
 * [--target-hot N] [--resolve-interval D] [--hard-limit N] [--soft-limit N] [--per-ip-limit N]
 * [--handshake-timeout MS] [--ban-duration MS] [--sdu-timeout MS]`: follows the upstream peers (the
 * topology's local root groups kept at their valency, trustable and bootstrap peers first, names
 * resolved again every `--resolve-interval`), keeps the chain in DIR (the node's ImmutableDB layout
 * for the immutable part, the last k blocks in memory) and serves it to downstream peers over
 * node-to-node TCP (bounded by the limit flags) and, with `--socket-path`, to local clients over
 * node-to-client; restarted on the same DIR it resumes from the stored tip. Runs until interrupted.
 *
 * @since 0.1.0
 */
import { PeerId } from "@pallas-network2/core"
import { Point } from "@pallas-network2/core/protocol/Common"
import * as ChainStore from "@pallas-network2/node/ChainStore"
import * as Relay from "@pallas-network2/node/Relay"
import * as TcpInterface from "@pallas-network2/node/TcpInterface"
import * as Topology from "@pallas-network2/node/Topology"
import * as Command from "effect/cli/Command"
import * as Flag from "effect/cli/Flag"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import { CommandFailed, UsageError } from "../Errors.ts"
import * as Params from "../Params.ts"
import * as Telemetry from "../Telemetry.ts"

/**
 * Runs a relay until interrupted: builds {@link Relay.layer}, logs what it holds and where it listens,
 * then follows `peers` and the topology's root peers into the store. Fails when there is no upstream
 * peer at all (no `peers`, and no address from the topology).
 *
 * @category flows
 * @since 0.1.0
 */
export const run = Effect.fnUntraced(function*(options: Relay.RelayOptions, peers: ReadonlyArray<PeerId>) {
  const context = yield* Layer.build(Relay.layer(options))
  const roots = Topology.rootPeersOf(yield* Context.get(context, Topology.RootPeers).current)
  const fromTopology = roots.localRoots.reduce((n, g) => n + g.peers.length, 0) + roots.publicRoots.length + roots.bootstrapPeers.length
  if (peers.length === 0 && fromTopology === 0) {
    return yield* new CommandFailed({ detail: `no upstream peer: ${options.topology ?? "the topology"} names none that resolves` })
  }
  const store = Context.get(context, ChainStore.ChainStore)
  const bound = Context.get(context, TcpInterface.TcpListenAddress)
  const tip = yield* store.tip
  const counts = yield* store.counts
  yield* Effect.log(
    `chain store ${options.dir}: ${counts.immutable} blocks on disk, tip block ${tip.blockNo} at ${Point.toString(tip.point)}`
  )
  yield* Effect.log(
    `listening on ${bound?.host ?? options.host}:${bound?.port ?? options.port}, network magic ${options.networkMagic}, node-to-node v11-v16${
      options.socketPath !== undefined ? `; node-to-client on ${options.socketPath}` : ""
    }; Ctrl-C to stop`
  )
  return yield* Relay.run(peers, { fetchBatch: options.fetchBatch, securityParam: options.securityParam, topology: options.topology !== undefined }).pipe(Effect.provideContext(context))
}, Effect.scoped)

/**
 * The `relay` subcommand.
 *
 * @category commands
 * @since 0.1.0
 */
export const command = Command.make(
  "relay",
  {
    db: Flag.String("db").pipe(Flag.withMetavar("DIR"), Flag.withDescription("the chain store's folder (made when absent)")),
    peer: Flag.String("peer").pipe(
      Flag.withMetavar("HOST:PORT"),
      Flag.filterMap((text) => Option.fromUndefinedOr(PeerId.fromString(text)), (text) => `not a HOST:PORT address: ${text}`),
      Flag.atLeast(0),
      Flag.withDescription("an upstream peer to follow (repeatable)")
    ),
    topology: Flag.String("topology").pipe(
      Flag.withMetavar("FILE"),
      Flag.optional,
      Flag.withDescription("a cardano-node P2P topology.json: its local roots, public roots and bootstrap peers are followed")
    ),
    host: Flag.String("host").pipe(Flag.withDefault("127.0.0.1"), Flag.withDescription("address to listen on for downstream peers")),
    port: Params.natural("port").pipe(Flag.withDefault(3001), Flag.withDescription("TCP port for downstream peers (0: any free port)")),
    socketPath: Params.socketPath.pipe(Flag.withDescription("serve local clients (node-to-client) on this Unix socket too")),
    magic: Params.magic,
    securityParam: Params.positive("security-param").pipe(
      Flag.withDefault(2160),
      Flag.withDescription("k: how many of the newest blocks stay in memory and can roll back (default 2160)")
    ),
    ...Params.governorTargets,
    resolveInterval: Params.durationOr("resolve-interval", Duration.seconds(60), "resolve the topology's host names again this often (default 60s)"),
    ...Params.responderLimits,
    ...Params.telemetry
  },
  (flags) =>
    Effect.gen(function*() {
      const topology = Option.getOrUndefined(flags.topology)
      if (flags.peer.length === 0 && topology === undefined) {
        return yield* new UsageError({ detail: "give at least one --peer HOST:PORT or a --topology FILE" })
      }
      const opt = <A>(o: Option.Option<A>) => Option.getOrUndefined(o)
      const targets = {
        ...(Option.isSome(flags.targetKnown) ? { known: flags.targetKnown.value } : {}),
        ...(Option.isSome(flags.targetEstablished) ? { established: flags.targetEstablished.value } : {}),
        ...(Option.isSome(flags.targetHot) ? { active: flags.targetHot.value } : {})
      }
      const limits = {
        ...(Option.isSome(flags.hardLimit) ? { hardLimit: flags.hardLimit.value } : {}),
        ...(Option.isSome(flags.softLimit) ? { softLimit: flags.softLimit.value } : {}),
        ...(Option.isSome(flags.perIpLimit) ? { perIpLimit: flags.perIpLimit.value } : {}),
        ...(Option.isSome(flags.handshakeTimeout) ? { idleTimeout: Duration.millis(flags.handshakeTimeout.value) } : {}),
        ...(Option.isSome(flags.banDuration) ? { banDuration: Duration.millis(flags.banDuration.value) } : {})
      }
      const peers = [...new Set(flags.peer)]
      yield* run({
        dir: flags.db,
        peers,
        topology,
        host: flags.host,
        port: flags.port,
        socketPath: opt(flags.socketPath),
        networkMagic: flags.magic,
        securityParam: flags.securityParam,
        targets,
        resolveInterval: flags.resolveInterval,
        limits,
        sduTimeout: opt(flags.sduTimeout)
      }, peers)
    }).pipe(Effect.provide(Telemetry.layer(flags)))
).pipe(
  Command.withDescription(
    "follow upstream peers (--peer, --topology: local root groups kept at their valency, trustable and bootstrap peers first, names resolved again every --resolve-interval), keep the chain in --db (the node's ImmutableDB layout plus the last k blocks in memory) and serve it to downstream peers over TCP (bounded by --hard-limit, --soft-limit, --per-ip-limit) and, with --socket-path, to local clients; restarted on the same --db it resumes from its stored tip"
  ),
  Command.withShortDescription("follow peers, store the chain, serve it downstream")
)
