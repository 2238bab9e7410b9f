/**
 * `network2 handshake`, `network2 follow` and `network2 fetch`: the initiator against real peers over
 * TCP, with readable lines or JSON lines (`--json`). Each ends, or says what it waits for: `handshake`
 * and `fetch` have a deadline (`--timeout`), `follow` says when no peer is left.
 *
 * @since 0.1.0
 */
import { Initiator, type PeerId, Protocols } from "@pallas-network2/core"
import { Point } from "@pallas-network2/core/protocol/Common"
import * as TcpInterface from "@pallas-network2/node/TcpInterface"
import * as Command from "effect/cli/Command"
import * as Flag from "effect/cli/Flag"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as fs from "node:fs"
import { CommandFailed, UsageError } from "../Errors.ts"
import * as Params from "../Params.ts"
import * as Telemetry from "../Telemetry.ts"
import * as Fetch from "./Fetch.ts"
import * as Follow from "./Follow.ts"
import * as Handshake from "./Handshake.ts"
import * as LocalCommands from "./LocalCommands.ts"

/**
 * The initiator over TCP, with the given configuration.
 *
 * @category layers
 * @since 0.1.0
 */
export const initiatorLayer = (config: Initiator.InitiatorConfig) =>
  Initiator.managerLayer().pipe(
    Layer.provideMerge(Initiator.layer(config)),
    Layer.provide(TcpInterface.layer({ protocols: Protocols.NodeToNode.protocols }))
  )

const out = (line: string) => Effect.sync(() => void process.stdout.write(line + "\n"))
const err = (line: string) => Effect.sync(() => void process.stderr.write(line + "\n"))

const seconds = (d: Duration.Duration) => `${Duration.toMillis(d) / 1000} s`

/**
 * `network2 handshake HOST:PORT [--magic N] [--query] [--json] [--timeout 30s]`: exit code 0 for an
 * accepted version (or, with `--query`, the peer's version table); 1 for a refusal, a failure, a reply
 * we did not ask for, or no answer by the deadline.
 *
 * @category commands
 * @since 0.1.0
 */
export const handshake = Command.make(
  "handshake",
  {
    peer: Params.peer,
    magic: Params.magic,
    query: Params.toggle("query", "ask for the peer's whole version table instead of negotiating one"),
    json: Params.json,
    timeout: Params.durationOr("timeout", Duration.seconds(30), "give up after this long without an answer (default 30s)")
  },
  (flags) =>
    Effect.gen(function*() {
      const peer = flags.peer
      const config = Handshake.initiatorConfig({ magic: flags.magic, query: flags.query })
      const report = yield* Handshake.run(peer).pipe(
        Effect.timeoutOption(flags.timeout),
        Effect.provide(initiatorLayer(config)),
        Effect.scoped
      )
      if (Option.isNone(report)) {
        const reason = `no answer from ${peer} within ${seconds(flags.timeout)} (waited for its handshake reply)`
        if (flags.json) yield* out(JSON.stringify({ peer, ok: false, error: reason }))
        return yield* new CommandFailed({ detail: reason })
      }
      const unasked = Handshake.unasked(report.value, flags.query)
      if (unasked !== undefined) {
        if (flags.json) yield* out(JSON.stringify({ peer, ok: false, error: unasked }))
        return yield* new CommandFailed({ detail: `${peer}: ${unasked}` })
      }
      yield* out(flags.json ? JSON.stringify(Handshake.toJson(peer, report.value)) : Handshake.toText(peer, report.value))
      if (report.value._tag !== "Result" || report.value.result._tag === "Refused") {
        return yield* new CommandFailed({ detail: "" })
      }
    })
).pipe(
  Command.withDescription(
    "proposes node-to-node versions to a peer and prints the negotiated version and data, or the reason it refused; with --query, the peer's whole version table"
  ),
  Command.withShortDescription("a peer's negotiated version and data, or its refuse reason (--query: its version table)")
)

/**
 * `network2 follow --socket-path P [--magic N] [--from ...] [--limit N] [--json]` follows your own
 * node's blocks over its Unix socket instead (node-to-client local chain-sync).
 *
 * `network2 follow HOST:PORT... [--magic N] [--from origin|tip|SLOT.HASH] [--limit N] [--keep-trying]
 * [--ban-duration 30m] [--json]`: exit code 0 after `--limit` roll forwards (or never, following for ever); 1 when every
 * peer is banned, unless `--keep-trying`.
 *
 * @category commands
 * @since 0.1.0
 */
export const follow = Command.make(
  "follow",
  {
    peers: Params.peersOrSocket,
    socketPath: Params.socketPath.pipe(
      Flag.withDescription("follow your own node's blocks over its Unix socket (node-to-client) instead of peers")
    ),
    timeout: Params.nodeTimeout.pipe(
      Flag.withDescription("--socket-path: give up when the node has not answered the handshake and the intersection within this (default 30s)")
    ),
    magic: Params.magic,
    from: Params.syncStart,
    limit: Params.optional(Params.positive("limit"), "stop after this many roll forwards (default: follow until interrupted)"),
    keepTrying: Params.toggle("keep-trying", "when every peer is banned, wait for the bans to end instead of exiting 1"),
    banDuration: Params.durationOr("ban-duration", Duration.minutes(30), "how long a peer that broke the protocol stays banned (default 30m)"),
    json: Params.json,
    ...Params.telemetry
  },
  (flags) =>
    Effect.gen(function*() {
      if (Option.isSome(flags.socketPath)) {
        if (flags.peers.length > 0) return yield* new UsageError({ detail: "give peers or --socket-path, not both" })
        const start = flags.from
        return yield* LocalCommands.followSocket({
          socketPath: flags.socketPath.value,
          magic: flags.magic,
          timeout: flags.timeout,
          from: start._tag === "Origin" ? "origin" : start._tag === "Tip" ? "tip" : start.points,
          limit: Option.getOrUndefined(flags.limit),
          json: flags.json
        })
      }
      if (flags.peers.length === 0) return yield* new UsageError({ detail: "give at least one HOST:PORT peer, or --socket-path PATH" })
      const config = Follow.initiatorConfig({ magic: flags.magic, peers: flags.peers.length, banDuration: flags.banDuration })
      const line = (value: string | Record<string, unknown> | undefined) =>
        value === undefined ? Effect.void : out(typeof value === "string" ? value : JSON.stringify(value))
      const end = yield* Follow.run({
        peers: flags.peers,
        start: flags.from,
        limit: Option.getOrUndefined(flags.limit),
        keepTrying: flags.keepTrying,
        print: (e) => line(flags.json ? Follow.eventJson(e) : Follow.eventText(e)),
        notice: (n) => Effect.flatMap(Effect.clockWith((c) => c.currentTimeMillis), (now) => line(flags.json ? Follow.noticeJson(n) : Follow.noticeText(n, now)))
      }).pipe(Effect.provide(initiatorLayer(config)), Effect.scoped)
      if (end._tag === "NoPeerLeft") {
        return yield* new CommandFailed({
          detail: `no peer left: every peer is banned (${end.reasons.join("; ")}); --keep-trying waits for the bans to end`
        })
      }
    }).pipe(Effect.provide(Telemetry.layer(flags)))
).pipe(
  Command.withDescription(
    "follows the chain from one or more peers, printing each roll forward and backward with the best tip; says when no peer is left and when it retries"
  ),
  Command.withShortDescription("follow the chain from one or more peers, printing each roll forward and backward")
)

const blockLine = (json: boolean, block: Initiator.ReceivedBlock) => {
  const at = Point.toString(block.point)
  return json
    ? JSON.stringify({ event: "block", point: at, blockNo: block.blockNo, size: block.bytes.length })
    : `block ${block.blockNo} at ${at} (${block.bytes.length} bytes)`
}

/**
 * `network2 fetch HOST:PORT --from SLOT.HASH --to SLOT.HASH [--out FILE] [--magic N] [--timeout 60s]
 * [--json]`: each attempt on stderr; exit code 0 when the whole range arrived, 1 on a failure or at the
 * deadline.
 *
 * @category commands
 * @since 0.1.0
 */
export const fetch = Command.make(
  "fetch",
  {
    peer: Params.peer,
    from: Params.point("from").pipe(Flag.withDescription("the first block of the range")),
    to: Params.point("to").pipe(Flag.withDescription("the last block of the range")),
    out: Flag.String("out").pipe(
      Flag.withMetavar("FILE"),
      Flag.optional,
      Flag.withDescription("write the blocks' CBOR to FILE, one after another (a chunk file's layout)")
    ),
    magic: Params.magic,
    timeout: Params.durationOr("timeout", Duration.seconds(60), "give up after this long, saying what it was waiting for (default 60s)"),
    json: Params.json
  },
  (flags) =>
    Effect.gen(function*() {
      const peer: PeerId = flags.peer
      const outPath = Option.getOrUndefined(flags.out)
      const file = outPath === undefined ? undefined : fs.openSync(outPath, "w")
      const config = Fetch.initiatorConfig({ magic: flags.magic })
      const report = yield* Fetch.run({
        peer,
        from: flags.from,
        to: flags.to,
        timeout: flags.timeout,
        say: (line) => err(`fetch: ${line}`),
        onBlock: (block) =>
          Effect.sync(() => {
            if (file !== undefined) fs.writeSync(file, block.bytes)
            process.stdout.write(blockLine(flags.json, block) + "\n")
          })
      }).pipe(
        Effect.ensuring(Effect.sync(() => file !== undefined && fs.closeSync(file))),
        Effect.provide(initiatorLayer(config)),
        Effect.scoped
      )
      switch (report._tag) {
        case "Fetched":
          return yield* out(
            flags.json ? JSON.stringify({ event: "done", ...report }) : `fetched ${report.blocks} blocks (${report.bytes} bytes)`
          )
        case "Failed":
          yield* out(
            flags.json ? JSON.stringify({ event: "done", ...report }) : `failed: ${report.reason} after ${report.blocks} blocks`
          )
          return yield* new CommandFailed({ detail: "" })
        case "TimedOut": {
          const reason = `no ${report.blocks === 0 ? "blocks" : "more blocks"} from ${peer} within ${
            seconds(flags.timeout)
          } after ${report.attempts} attempt${report.attempts === 1 ? "" : "s"}: waiting for ${report.waitingFor}`
          if (flags.json) yield* out(JSON.stringify({ event: "done", ...report, reason }))
          return yield* new CommandFailed({ detail: reason })
        }
      }
    })
).pipe(
  Command.withDescription(
    "fetches a range of blocks from a peer, each checked to link to the one before; --out FILE writes their CBOR one after another"
  ),
  Command.withShortDescription("fetch a range of blocks from a peer (--out FILE writes their CBOR one after another)")
)
