/**
 * `network2 demo [--chain PATH] [--blocks N] [--peers K] [--json]`: the main job. Starts K responders
 * on free 127.0.0.1 ports serving the generated chain (or a real chunk), runs the initiator against
 * them over real TCP, syncs every header and fetches every block with a progress bar, checks every
 * link by hash and prints a summary. Exit code 0 only if the whole chain arrived intact.
 *
 * @since 0.1.0
 */
import { type Block, ChainSource, GeneratedChain, Initiator, Observability, PeerId, Protocols, Responder } from "@pallas-network2/core"
import * as ImmutableDb from "@pallas-network2/node/ImmutableDb"
import * as TcpInterface from "@pallas-network2/node/TcpInterface"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Command from "effect/cli/Command"
import * as Flag from "effect/cli/Flag"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import { CommandFailed, UsageError } from "../Errors.ts"
import * as Params from "../Params.ts"
import * as Telemetry from "../Telemetry.ts"
import * as Demo from "./Demo.ts"

const MAGIC = 764824073

/**
 * The per-peer table the demo ends with, from the metrics (`network2_peer_*`): blocks, bytes in and
 * out, and the last round trip, for the given peers (the initiator's side of each connection).
 *
 * @category encoding
 * @since 0.1.0
 */
export const peerTable = (figures: ReadonlyArray<Observability.PeerFigures>, peers: ReadonlyArray<PeerId>) => {
  const rows = peers.map((peer) => {
    const f = figures.find((x) => x.peer === peer)
    return { peer, blocks: f?.blocks ?? 0, bytesIn: f?.bytesIn ?? 0, bytesOut: f?.bytesOut ?? 0, rttMs: f?.rtt === undefined ? null : Math.round(f.rtt * 10000) / 10 }
  })
  const cells = [["peer", "blocks", "bytes in", "bytes out", "rtt"], ...rows.map((r) => [r.peer, String(r.blocks), Demo.formatBytes(r.bytesIn), Demo.formatBytes(r.bytesOut), r.rttMs === null ? "-" : `${r.rttMs} ms`])]
  const widths = cells[0]!.map((_, i) => Math.max(...cells.map((c) => c[i]!.length)))
  const text = cells.map((c) => "  " + c.map((x, i) => i === 0 ? x.padEnd(widths[i]!) : x.padStart(widths[i]!)).join("  ")).join("\n")
  return { rows, text: `per peer (from the metrics):\n${text}` }
}

/**
 * A node-to-node responder over TCP serving `chain` on a free 127.0.0.1 port until the scope closes,
 * its events drained so it is never held back: its port and peer id. The demo starts its responders
 * with it.
 *
 * @category constructors
 * @since 0.2.0
 */
export const startResponder = (chain: ChainSource.ChainSourceShape, networkMagic: number = MAGIC) =>
  Effect.gen(function*() {
    const context = yield* Layer.build(
      Responder.layerManager({ networkMagic }).pipe(
        Layer.provideMerge(Layer.succeed(ChainSource.ChainSource, chain)),
        Layer.provideMerge(TcpInterface.layer({ protocols: Protocols.NodeToNode.protocols, listen: { host: "127.0.0.1", port: 0 } }))
      )
    )
    const { port } = Context.get(context, TcpInterface.TcpListenAddress)!
    yield* Effect.forkScoped(Stream.runDrain(Context.get(context, Responder.ResponderManager).events))
    return { port, peer: PeerId.tcp("127.0.0.1", port) }
  })


/**
 * The demo's sync: the initiator over TCP (its own scope's connections) syncs every header and fetches
 * every block from `peers`, each checked against `blocks`; progress to `progress` (default: none).
 *
 * @category flows
 * @since 0.2.0
 */
export const syncFrom = (
  peers: ReadonlyArray<PeerId>,
  blocks: ReadonlyArray<Block.ChainBlock>,
  options: { readonly networkMagic?: number; readonly progress?: Demo.Progress } = {}
) =>
  Effect.gen(function*() {
    const initiator = yield* Layer.build(
      Initiator.managerLayer().pipe(
        Layer.provideMerge(Initiator.layer({
          networkMagic: options.networkMagic ?? MAGIC,
          targets: { known: 10, established: peers.length, active: peers.length }
        })),
        Layer.provideMerge(TcpInterface.layer({ protocols: Protocols.NodeToNode.protocols }))
      )
    )
    const progress = options.progress ?? Demo.makeProgress({ tty: false, json: false, write: () => undefined, writeErr: () => undefined })
    return yield* Demo.run({ peers, expected: Demo.expectedChain(blocks), progress, behavior: Context.get(initiator, Initiator.InitiatorBehavior) }).pipe(
      Effect.provide(Layer.succeedContext(initiator))
    )
  })

/**
 * The demo as an Effect: resolves to the summary.
 *
 * @category flows
 * @since 0.1.0
 */
export const demo = (options: { readonly chain?: string | undefined; readonly blocks: number; readonly peers: number; readonly json: boolean }) =>
  Effect.gen(function*() {
    const blocks = options.chain === undefined
      ? GeneratedChain.generate({ blocks: options.blocks })
      : yield* ImmutableDb.readBlocks(options.chain)
    if (blocks.length === 0) return yield* new UsageError({ detail: `the chain at ${options.chain} has no blocks` })
    const chain = yield* ChainSource.makeMemory(blocks, options.chain ?? "generated synthetic chain")
    const progress = Demo.makeProgress({
      tty: process.stderr.isTTY === true && !options.json,
      json: options.json,
      write: (t) => process.stdout.write(t),
      writeErr: (t) => process.stderr.write(t)
    })
    progress.line(
      options.chain === undefined
        ? `serving a SYNTHETIC generated chain of ${blocks.length} blocks (fake signatures, not a real Cardano chain) from ${options.peers} responders on 127.0.0.1`
        : `serving ${blocks.length} real blocks from ${options.chain} from ${options.peers} responders on 127.0.0.1`,
      { event: "start", blocks: blocks.length, synthetic: options.chain === undefined, responders: options.peers }
    )
    const peers: Array<PeerId> = []
    for (let i = 0; i < options.peers; i++) peers.push((yield* startResponder(chain)).peer)
    const summary = yield* syncFrom(peers, blocks, { progress })
    const mb = summary.bytes / 1e6
    progress.line(
      [
        `${summary.ok ? "OK" : "FAILED"}: ${summary.blocks} blocks (${Demo.formatBytes(summary.bytes)}) and ${summary.headers} headers from ${summary.peers} peers`,
        `  headers: ${summary.headerMillis} ms; blocks: ${summary.blockMillis} ms (${(mb / (summary.blockMillis / 1000)).toFixed(1)} MB/s, ${summary.blocksPerSecond} blocks/s)`,
        `  blocks by peer: ${Object.entries(summary.blocksByPeer).map(([p, n]) => `${p}=${n}`).join(", ")}`,
        `  every header links to the one before it and every block matches its header: ${summary.ok ? "yes" : "no"}`,
        ...summary.problems.map((p) => `  problem: ${p}`)
      ].join("\n"),
      { event: "summary", ...summary }
    )
    const table = peerTable(yield* Observability.peerFigures, peers)
    progress.line(table.text, { event: "peers", peers: table.rows })
    return summary
  }).pipe(Effect.scoped)

/**
 * The `demo` subcommand: exit code 0 only if the whole chain arrived intact.
 *
 * @category commands
 * @since 0.1.0
 */
export const command = Command.make(
  "demo",
  {
    chain: Flag.String("chain").pipe(
      Flag.withMetavar("PATH"),
      Flag.optional,
      Flag.withDescription("a chunk file or ImmutableDB folder to serve (default: a generated SYNTHETIC chain)")
    ),
    blocks: Params.positive("blocks").pipe(Flag.withDefault(1000), Flag.withDescription("blocks in the generated chain")),
    peers: Params.positive("peers").pipe(Flag.withDefault(3), Flag.withDescription("responders to start and sync from")),
    json: Params.json,
    ...Params.telemetry
  },
  (flags) =>
    demo({ chain: Option.getOrUndefined(flags.chain), blocks: flags.blocks, peers: flags.peers, json: flags.json }).pipe(
      Effect.flatMap((summary) => summary.ok ? Effect.void : Effect.fail(new CommandFailed({ detail: "" }))),
      Effect.provide(Telemetry.layer(flags))
    )
).pipe(
  Command.withDescription(
    "starts K responders on free 127.0.0.1 ports serving a chain, syncs every header and fetches every block from them over TCP, checks every hash link and prints a summary"
  ),
  Command.withShortDescription("serve a chain on loopback and sync it with the initiator over TCP (the main job)")
)
