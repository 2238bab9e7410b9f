/**
 * The flags and arguments several `network2` subcommands share, validated by effect/cli: a bad value
 * is one line and exit code 2 before the command runs.
 *
 * @since 0.1.0
 */
import { Initiator, type PeerId, PeerId as PeerIds } from "@pallas-network2/core"
import * as Argument from "effect/cli/Argument"
import * as Flag from "effect/cli/Flag"
import * as Duration from "effect/Duration"
import * as Option from "effect/Option"
import { parsePoint } from "./commands/Fetch.ts"
import { parseStart } from "./commands/Follow.ts"

const magicRange = (n: number) => n >= 0 && n <= 0xffffffff
const magicRangeMessage = () => "a network magic, 0..4294967295"

/**
 * The network magic proposed or served (default mainnet, 764824073).
 *
 * @category flags
 * @since 0.1.0
 */
export const magic = Flag.Int("magic").pipe(
  Flag.filter(magicRange, magicRangeMessage),
  Flag.withDefault(764824073),
  Flag.withDescription("network magic (default 764824073, mainnet)")
)

/**
 * A boolean flag, off unless given.
 *
 * @category flags
 * @since 0.2.0
 */
export const toggle = (name: string, description: string): Flag.Flag<boolean> =>
  Flag.Boolean(name).pipe(Flag.withDefault(false), Flag.withDescription(description))

/**
 * A flag made optional (`Option.none()` when absent), with its description.
 *
 * @category flags
 * @since 0.2.0
 */
export const optional = <A>(flag: Flag.Flag<A>, description: string): Flag.Flag<Option.Option<A>> =>
  flag.pipe(Flag.optional, Flag.withDescription(description))

/**
 * `--json`: one JSON value per line instead of readable lines.
 *
 * @category flags
 * @since 0.1.0
 */
export const json = toggle("json", "print JSON lines instead of readable lines")

/**
 * A non-negative integer flag.
 *
 * @category flags
 * @since 0.1.0
 */
export const natural = (name: string) =>
  Flag.Int(name).pipe(Flag.filter((n) => n >= 0, () => "a non-negative integer"))

/**
 * A positive integer flag.
 *
 * @category flags
 * @since 0.1.0
 */
export const positive = (name: string) =>
  Flag.Int(name).pipe(Flag.filter((n) => n >= 1, () => "a positive integer"))

/**
 * Parses a duration like `20s`, `500ms`, `1m` or a bare number of seconds.
 *
 * @category parsing
 * @since 0.1.0
 */
export const parseDuration = (text: string): Duration.Duration | undefined => {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text.trim())
  if (m === null) return undefined
  const n = Number(m[1])
  return m[2] === "ms" ? Duration.millis(n) : m[2] === "m" ? Duration.minutes(n) : Duration.seconds(n)
}

/**
 * A duration flag (`20s`, `500ms`, `1m`; a bare number is seconds).
 *
 * @category flags
 * @since 0.1.0
 */
export const duration = (name: string) =>
  Flag.String(name).pipe(
    Flag.withMetavar("DURATION"),
    Flag.filterMap(
      (text) => Option.fromUndefinedOr(parseDuration(text)),
      () => "a duration like 20s, 500ms or 1m"
    )
  )

const peerOf = (text: string) => Option.fromUndefinedOr(PeerIds.fromString(text))

/**
 * One `HOST:PORT` peer argument.
 *
 * @category arguments
 * @since 0.1.0
 */
export const peer: Argument.Argument<PeerId> = Argument.String("peer").pipe(
  Argument.withMetavar("HOST:PORT"),
  Argument.filterMap(peerOf, () => "a HOST:PORT address"),
  Argument.withDescription("the peer's address")
)

/**
 * A duration flag with a default, and its description.
 *
 * @category flags
 * @since 0.2.0
 */
export const durationOr = (name: string, fallback: Duration.Duration, description: string) =>
  duration(name).pipe(Flag.withDefault(fallback), Flag.withDescription(description))

const peerList = (min: number, description: string): Argument.Argument<ReadonlyArray<PeerId>> =>
  peer.pipe(Argument.variadic({ min }), Argument.withDescription(description))

/**
 * One or more `HOST:PORT` peer arguments.
 *
 * @category arguments
 * @since 0.1.0
 */
export const peers = peerList(1, "the peers' addresses")

/**
 * A `SLOT.HASH` point flag (not origin).
 *
 * @category flags
 * @since 0.1.0
 */
export const point = (name: string) =>
  Flag.String(name).pipe(
    Flag.withMetavar("SLOT.HASH"),
    Flag.filterMap((text) => Option.fromUndefinedOr(parsePoint(text)), () => "a point SLOT.HASH (the hash in hex)")
  )

/**
 * `--from` of `follow`: `origin`, `tip` or `SLOT.HASH`.
 *
 * @category flags
 * @since 0.1.0
 */
export const syncStart = Flag.String("from").pipe(
  Flag.withMetavar("origin|tip|SLOT.HASH"),
  Flag.filterMap((text) => Option.fromUndefinedOr(parseStart(text)), () => "origin, tip or a point SLOT.HASH"),
  Flag.withDefault(Initiator.SyncStart.tip),
  Flag.withDescription("where to start: origin, tip (default) or a point SLOT.HASH")
)

/**
 * `--socket-path PATH`: the node's Unix socket (cardano-cli's flag); absent, the commands read
 * `CARDANO_NODE_SOCKET_PATH`.
 *
 * @category flags
 * @since 0.1.0
 */
export const socketPath = Flag.String("socket-path").pipe(
  Flag.withMetavar("PATH"),
  Flag.optional,
  Flag.withDescription("the node's Unix socket (default: $CARDANO_NODE_SOCKET_PATH)")
)

/**
 * `--mainnet` or `--testnet-magic N`, as cardano-cli spells them; `--magic N` is kept for the other
 * commands. Read by {@link networkMagic}.
 *
 * @category flags
 * @since 0.1.0
 */
export const network = {
  mainnet: toggle("mainnet", "the mainnet (magic 764824073; the default)"),
  testnetMagic: Flag.Int("testnet-magic").pipe(
    Flag.filter(magicRange, magicRangeMessage),
    Flag.optional,
    Flag.withDescription("a test network's magic (1 preprod, 2 preview, 4 sanchonet, 42 a local devnet)")
  )
} as const

/**
 * The magic of `--mainnet` / `--testnet-magic N` (mainnet when neither is given), or a usage
 * message when both are.
 *
 * @category parsing
 * @since 0.1.0
 */
export const networkMagic = (flags: { readonly mainnet: boolean; readonly testnetMagic: Option.Option<number> }): number | string =>
  Option.isSome(flags.testnetMagic)
    ? flags.mainnet ? "give --mainnet or --testnet-magic N, not both" : flags.testnetMagic.value
    : 764824073

/**
 * A deadline flag for a node-to-client command (default 30 s): the command gives up with one line
 * saying what it waited for.
 *
 * @category flags
 * @since 0.1.0
 */
export const nodeTimeout = durationOr("timeout", Duration.seconds(30), "give up after this long without the node's answer (default 30s)")

/**
 * Zero or more `HOST:PORT` peer arguments (for a command that can use a socket instead).
 *
 * @category arguments
 * @since 0.1.0
 */
export const peersOrSocket = peerList(0, "the peers' addresses (none with --socket-path)")

/**
 * `--metrics HOST:PORT`: serve the Prometheus scrape endpoint (`/metrics`) there (port 0: a free
 * one, printed on stderr).
 *
 * @category flags
 * @since 0.1.0
 */
export const metrics = Flag.String("metrics").pipe(
  Flag.withMetavar("HOST:PORT"),
  Flag.filterMap((text) => {
    const m = /^(.+):(\d+)$/.exec(text.trim())
    const port = m === null ? -1 : Number(m[2])
    return m === null || port > 65535 ? Option.none() : Option.some({ host: m[1]!.replace(/^\[|\]$/g, ""), port })
  }, () => "a HOST:PORT address"),
  Flag.optional,
  Flag.withDescription("serve Prometheus metrics at http://HOST:PORT/metrics")
)

/**
 * `--otlp URL`: send traces, metrics and logs to this OTLP/HTTP collector (absent: the standard
 * `OTEL_EXPORTER_OTLP_ENDPOINT`, when set).
 *
 * @category flags
 * @since 0.1.0
 */
export const otlp = Flag.String("otlp").pipe(
  Flag.withMetavar("URL"),
  Flag.filter((text) => /^https?:\/\/\S+$/.test(text), () => "an http:// or https:// URL"),
  Flag.optional,
  Flag.withDescription("send traces, metrics and logs to this OTLP/HTTP collector (default: $OTEL_EXPORTER_OTLP_ENDPOINT)")
)

/**
 * `--log-format pretty|json|logfmt`: log lines (connections opening and closing, handshakes,
 * faults, with the peer) on stderr in this format, debug level included.
 *
 * @category flags
 * @since 0.1.0
 */
export const logFormat = Flag.Literals("log-format", ["pretty", "json", "logfmt"] as const).pipe(
  Flag.optional,
  Flag.withDescription("log on stderr in this format, connection events included")
)

/**
 * The governor's targets of `relay`: `--target-known`, `--target-established` and `--target-hot`
 * (active peers), each replacing the one the topology file gives (or the default 150, 30, 20).
 *
 * @category flags
 * @since 0.2.0
 */
export const governorTargets = {
  targetKnown: optional(natural("target-known"), "peers to know (default 150, or what the topology's local roots need)"),
  targetEstablished: optional(natural("target-established"), "peers to keep connected, warm or hot (default 30, or what the topology's local roots need)"),
  targetHot: optional(natural("target-hot"), "peers to keep hot, syncing (default 20, or what the topology's local roots need)")
} as const

/**
 * The responder's limits of `relay`, to bound downstream connections: `--hard-limit`,
 * `--soft-limit`, `--per-ip-limit`, `--handshake-timeout MS`, `--ban-duration MS` and
 * `--sdu-timeout MS` (the last three `serve` takes too).
 *
 * @category flags
 * @since 0.2.0
 */
export const responderLimits = {
  hardLimit: optional(natural("hard-limit"), "refuse inbound connections above this many (default 512)"),
  softLimit: optional(natural("soft-limit"), "above this many inbound connections, each new one closes the least recently active idle one (default 384)"),
  perIpLimit: optional(positive("per-ip-limit"), "at most this many inbound connections from one IP (default 10)"),
  handshakeTimeout: positive("handshake-timeout").pipe(
    Flag.withMetavar("MS"),
    Flag.optional,
    Flag.withDescription("close an inbound connection that has not completed its handshake after MS (default 5000)")
  ),
  banDuration: natural("ban-duration").pipe(
    Flag.withMetavar("MS"),
    Flag.optional,
    Flag.withDescription("how long an IP stays banned after a protocol violation (default 900000, 15 minutes)")
  ),
  sduTimeout: positive("sdu-timeout").pipe(
    Flag.withMetavar("MS"),
    Flag.optional,
    Flag.withDescription("time for a started segment to arrive whole, during and after the handshake (default 10000 / 30000)")
  )
} as const

/**
 * The telemetry flags every long-running command takes: `--metrics`, `--otlp` and `--log-format`
 * (what `Telemetry.layer` reads).
 *
 * @category flags
 * @since 0.2.0
 */
export const telemetry = { metrics, otlp, logFormat } as const
