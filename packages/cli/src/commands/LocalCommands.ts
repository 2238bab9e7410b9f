/**
 * The node-to-client commands, in the conventions cardano-cli users know (`--socket-path`, else
 * `CARDANO_NODE_SOCKET_PATH`; `--mainnet` or `--testnet-magic N`; `--json`): `network2 query tip`,
 * `query utxo --address A`, `query protocol-parameters`, `network2 submit-tx FILE` and
 * `network2 mempool [--watch]`; and the socket modes of `follow` and `serve` (`--socket-path P`).
 *
 * Every command has a deadline (`--timeout`, default 30s) and ends with one readable line and exit
 * code 1 on a bad socket path, a refused handshake (another magic), a node that stops answering, a
 * query the node cannot answer, a rejected or malformed transaction.
 *
 * @since 0.1.0
 */
import { Blake2b, Cbor, ChainSource, LocalNode, LocalServer, Protocols } from "@pallas-network2/core"
import { type EraTx, Point } from "@pallas-network2/core/protocol/Common"
import * as LocalNodeSocket from "@pallas-network2/node/LocalNodeSocket"
import * as Argument from "effect/cli/Argument"
import * as Command from "effect/cli/Command"
import * as Flag from "effect/cli/Flag"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as References from "effect/References"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import * as fs from "node:fs"
import { CommandFailed, UsageError } from "../Errors.ts"
import * as Params from "../Params.ts"
import * as Telemetry from "../Telemetry.ts"

/**
 * The era names by hard-fork index (0 Byron ... 6 Conway, 7 Dijkstra).
 *
 * @category constants
 * @since 0.1.0
 */
export const ERA_NAMES: ReadonlyArray<string> = ["Byron", "Shelley", "Allegra", "Mary", "Alonzo", "Babbage", "Conway", "Dijkstra"]

const eraName = (era: number) => ERA_NAMES[era] ?? `era ${era}`

const out = (line: string) => Effect.sync(() => void process.stdout.write(line + "\n"))

const seconds = (d: Duration.Duration) => `${Duration.toMillis(d) / 1000} s`

// ---------------------------------------------------------------------------------------------------
// the connection
// ---------------------------------------------------------------------------------------------------

/**
 * What every node-to-client command is given: the socket path (absent: `CARDANO_NODE_SOCKET_PATH`),
 * the network magic and the deadline.
 *
 * @category models
 * @since 0.1.0
 */
export interface NodeOptions {
  readonly socketPath: string | undefined
  readonly magic: number
  readonly timeout: Duration.Duration
}

/**
 * What a command is waiting for, said when its deadline passes.
 *
 * @category models
 * @since 0.1.0
 */
export interface Stage {
  waitingFor: string
}

/**
 * Runs `program` with a LocalNode on the node's Unix socket, under the deadline. A bad socket path,
 * the node's typed errors and the deadline each become one {@link CommandFailed} line naming the
 * socket.
 *
 * @category running
 * @since 0.1.0
 */
export const withNode = <A, E>(
  options: NodeOptions,
  program: (node: LocalNode.LocalNodeShape, stage: Stage) => Effect.Effect<A, E>,
  deadline: "whole" | "none" = "whole"
): Effect.Effect<A, CommandFailed | E> =>
  Effect.gen(function*() {
    const path = yield* LocalNodeSocket.socketPath(options.socketPath).pipe(
      Effect.mapError((e) => new CommandFailed({ detail: e.path === "" ? e.detail : `socket ${e.path}: ${e.detail}` }))
    )
    const stage: Stage = { waitingFor: "the connection and the handshake" }
    const context = yield* Layer.build(
      LocalNodeSocket.layerUnix({
        socketPath: path,
        networkMagic: options.magic,
        connectTimeout: Math.max(1, Math.min(Duration.toMillis(options.timeout), 30_000)),
        // a long-running command (follow, mempool --watch) has no whole deadline: each answer that is
        // due gets --timeout instead, plus a second so the connection's own deadline (which names the
        // stage) ends the handshake first (a wait for the next block at the tip is never cut)
        ...(deadline === "none" ? { answerTimeout: Duration.toMillis(options.timeout) + 1_000 } : {})
      })
    ).pipe(Effect.mapError((e) => new CommandFailed({ detail: e.message })))
    const node = Context.get(context, LocalNode.LocalNode)
    const mapped = <X, Y>(effect: Effect.Effect<X, Y>) =>
      effect.pipe(
        Effect.mapError((e): CommandFailed | Exclude<Y, LocalNode.LocalNodeError> =>
          isLocalNodeError(e) ? new CommandFailed({ detail: `node at ${path}: ${e.message}` }) : e as Exclude<Y, LocalNode.LocalNodeError>
        )
      )
    const within = <X, Y>(effect: Effect.Effect<X, Y>) =>
      Effect.flatMap(Effect.timeoutOption(effect, options.timeout), (o) =>
        Option.isSome(o) ? Effect.succeed(o.value) : Effect.fail(
          new CommandFailed({
            detail: `no answer from the node at ${path} within ${seconds(options.timeout)} (waiting for ${stage.waitingFor})`
          })
        ))
    if (deadline === "none") {
      // the deadline bounds the connection and the handshake only
      yield* within(mapped(node.connect))
      return yield* mapped(Effect.suspend(() => program(node, stage)))
    }
    return yield* within(mapped(Effect.andThen(node.connect, Effect.suspend(() => program(node, stage)))))
  }).pipe(Effect.scoped, Effect.provideService(References.MinimumLogLevel, "Warn"))

const LOCAL_NODE_ERRORS = new Set([
  "HandshakeRefused",
  "ConnectionClosed",
  "AcquireFailed",
  "QueryFailed",
  "TxRejected",
  "IntersectNotFound",
  "CommandRejected"
])

const isLocalNodeError = (e: unknown): e is LocalNode.LocalNodeError =>
  typeof e === "object" && e !== null && "_tag" in e && LOCAL_NODE_ERRORS.has((e as { _tag: string })._tag)

const nodeFlags = {
  socketPath: Params.socketPath,
  mainnet: Params.network.mainnet,
  testnetMagic: Params.network.testnetMagic,
  timeout: Params.nodeTimeout,
  json: Params.json
} as const

const nodeOptions = (flags: {
  readonly socketPath: Option.Option<string>
  readonly mainnet: boolean
  readonly testnetMagic: Option.Option<number>
  readonly timeout: Duration.Duration
}): Effect.Effect<NodeOptions, UsageError> => {
  const magic = Params.networkMagic(flags)
  return typeof magic === "string"
    ? Effect.fail(new UsageError({ detail: magic }))
    : Effect.succeed({ socketPath: Option.getOrUndefined(flags.socketPath), magic, timeout: flags.timeout })
}

// ---------------------------------------------------------------------------------------------------
// query
// ---------------------------------------------------------------------------------------------------

/**
 * The tip as `query tip --json` prints it (cardano-cli's field names).
 *
 * @category utils
 * @since 0.1.0
 */
export const tipJson = (tip: LocalNode.LocalTip): Record<string, unknown> => ({
  block: tip.blockNo === "origin" ? null : tip.blockNo,
  epoch: tip.epoch ?? null,
  era: eraName(tip.era),
  hash: tip.point._tag === "Origin" ? null : Cbor.toHex(tip.point.hash),
  slot: tip.point._tag === "Origin" ? null : tip.point.slot
})

const tipCommand = Command.make("tip", nodeFlags, (flags) =>
  Effect.gen(function*() {
    const options = yield* nodeOptions(flags)
    const tip = yield* withNode(options, (node, stage) => {
      stage.waitingFor = "the tip's state queries"
      return node.queryTip
    })
    yield* out(
      flags.json
        ? JSON.stringify(tipJson(tip))
        : `tip: block ${tip.blockNo} at ${Point.toString(tip.point)}, era ${eraName(tip.era)}${
          tip.epoch === undefined ? "" : `, epoch ${tip.epoch}`
        }`
    )
  })).pipe(Command.withDescription("the node's tip: block number, slot, hash, era and epoch"))

const BECH32 = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"

const polymod = (values: ReadonlyArray<number>): number => {
  const G = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3]
  let chk = 1
  for (const v of values) {
    const top = chk >>> 25
    chk = ((chk & 0x1ffffff) << 5) ^ v
    for (let i = 0; i < 5; i++) if ((top >>> i) & 1) chk ^= G[i]!
  }
  return chk >>> 0
}

/**
 * An address given as bech32 (`addr1...`, `addr_test1...`, checksum checked) or as hex: its raw bytes,
 * or `undefined`.
 *
 * @category parsing
 * @since 0.1.0
 */
export const parseAddress = (text: string): Uint8Array | undefined => {
  const t = text.trim()
  if (/^[0-9a-fA-F]+$/.test(t) && t.length % 2 === 0) return Cbor.fromHex(t)
  const lower = t.toLowerCase()
  if (lower !== t && t.toUpperCase() !== t) return undefined
  const sep = lower.lastIndexOf("1")
  if (sep < 1 || sep + 7 > lower.length) return undefined
  const hrp = lower.slice(0, sep)
  const data: Array<number> = []
  for (const c of lower.slice(sep + 1)) {
    const v = BECH32.indexOf(c)
    if (v < 0) return undefined
    data.push(v)
  }
  const expanded = [...[...hrp].map((c) => c.charCodeAt(0) >> 5), 0, ...[...hrp].map((c) => c.charCodeAt(0) & 31)]
  if (polymod([...expanded, ...data]) !== 1) return undefined
  // 5-bit groups to bytes
  const bytes: Array<number> = []
  let acc = 0
  let bits = 0
  for (const v of data.slice(0, -6)) {
    acc = (acc << 5) | v
    bits += 5
    if (bits >= 8) {
      bits -= 8
      bytes.push((acc >> bits) & 0xff)
    }
  }
  if (bits >= 5 || (acc & ((1 << bits) - 1)) !== 0) return undefined
  return bytes.length === 0 ? undefined : Uint8Array.from(bytes)
}

const lovelaceOf = (value: Cbor.Value): { lovelace: number | bigint | undefined; assets: number } => {
  if (typeof value === "number" || typeof value === "bigint") return { lovelace: value, assets: 0 }
  if (Array.isArray(value) && value.length === 2) {
    const coin = value[0] as Cbor.Value
    const multi = value[1] as Cbor.Value
    let assets = 0
    if (multi instanceof Map) for (const policy of multi.values()) assets += policy instanceof Map ? policy.size : 0
    return { lovelace: typeof coin === "number" || typeof coin === "bigint" ? coin : undefined, assets }
  }
  return { lovelace: undefined, assets: 0 }
}

/**
 * One UTxO entry read from a `GetUTxOByAddress` result: `txid#ix`, the address, the lovelace and
 * the count of other assets, and the output's exact CBOR.
 *
 * @category models
 * @since 0.1.0
 */
export interface UtxoEntry {
  readonly input: string
  readonly address: string
  readonly lovelace: string | undefined
  readonly assets: number
  readonly cborHex: string
}

/**
 * Reads a UTxO result (a map from `[txId, index]` to an output, any era's output shape); `undefined`
 * when it is not one.
 *
 * @category parsing
 * @since 0.1.0
 */
export const readUtxo = (cbor: Uint8Array): ReadonlyArray<UtxoEntry> | undefined => {
  let value: Cbor.Value
  try {
    value = Cbor.decode(cbor)
  } catch {
    return undefined
  }
  if (!(value instanceof Map)) return undefined
  const entries: Array<UtxoEntry> = []
  for (const [key, output] of value) {
    if (!Array.isArray(key) || !(key[0] instanceof Uint8Array) || typeof key[1] !== "number") return undefined
    // an output: [address, value, ...] (up to Alonzo) or {0: address, 1: value, ...} (Babbage on)
    const address = output instanceof Map ? output.get(0) : Array.isArray(output) ? output[0] : undefined
    const amount = output instanceof Map ? output.get(1) : Array.isArray(output) ? output[1] : undefined
    const { assets, lovelace } = amount === undefined ? { lovelace: undefined, assets: 0 } : lovelaceOf(amount)
    entries.push({
      input: `${Cbor.toHex(key[0])}#${key[1]}`,
      address: address instanceof Uint8Array ? Cbor.toHex(address) : "",
      lovelace: lovelace === undefined ? undefined : String(lovelace),
      assets,
      cborHex: Cbor.toHex(Cbor.encode(output as Cbor.Value))
    })
  }
  return entries
}

const currentEra = (node: LocalNode.LocalNodeShape, stage: Stage) => {
  stage.waitingFor = "the ledger's current era"
  return node.query(LocalNode.Queries.currentEra)
}

/** An era's query on the node: the ledger's current era first, then `query(era)`, waiting for `what`. */
const queryInEra = <A>(options: NodeOptions, what: string, query: (era: number) => LocalNode.LocalQuery<A>) =>
  withNode(options, (node, stage) =>
    Effect.gen(function*() {
      const era = yield* currentEra(node, stage)
      stage.waitingFor = what
      return yield* node.query(query(era))
    }))

const utxoCommand = Command.make(
  "utxo",
  {
    ...nodeFlags,
    address: Flag.String("address").pipe(
      Flag.withMetavar("ADDRESS"),
      Flag.filterMap((t) => Option.fromUndefinedOr(parseAddress(t)), () => "an address in bech32 (addr1..., addr_test1...) or hex"),
      Flag.withDescription("the address whose unspent outputs are listed")
    )
  },
  (flags) =>
    Effect.gen(function*() {
      const options = yield* nodeOptions(flags)
      const result = yield* queryInEra(options, "the UTxO query's result", (era) => LocalNode.Queries.utxoByAddress(era, [flags.address]))
      const entries = readUtxo(result.cbor)
      if (entries === undefined) {
        return yield* new CommandFailed({ detail: `the node's UTxO result is not a UTxO map: ${Cbor.toHex(result.cbor)}` })
      }
      if (flags.json) {
        return yield* out(JSON.stringify({
          era: eraName(result.era),
          utxo: Object.fromEntries(entries.map((e) => [e.input, { address: e.address, lovelace: e.lovelace, assets: e.assets, cborHex: e.cborHex }]))
        }))
      }
      yield* out(`${entries.length} unspent output${entries.length === 1 ? "" : "s"} (${eraName(result.era)})`)
      for (const e of entries) {
        yield* out(`${e.input} ${e.lovelace ?? "?"} lovelace${e.assets === 0 ? "" : ` + ${e.assets} asset${e.assets === 1 ? "" : "s"}`}`)
      }
    })
).pipe(Command.withDescription("the unspent outputs at an address (bech32 or hex)"))

const protocolParametersCommand = Command.make("protocol-parameters", nodeFlags, (flags) =>
  Effect.gen(function*() {
    const options = yield* nodeOptions(flags)
    const result = yield* queryInEra(options, "the protocol parameters", LocalNode.Queries.protocolParameters)
    // the parameters' shape is the era's; kept as its exact CBOR
    yield* out(
      flags.json
        ? JSON.stringify({ era: eraName(result.era), cborHex: Cbor.toHex(result.cbor) })
        : `protocol parameters (${eraName(result.era)}, ${result.cbor.length} bytes of CBOR): ${Cbor.toHex(result.cbor)}`
    )
  })).pipe(Command.withDescription("the current protocol parameters, as the era's exact CBOR (hex)"))

/**
 * `network2 query tip | utxo --address A | protocol-parameters`.
 *
 * @category commands
 * @since 0.1.0
 */
export const query = Command.make("query").pipe(
  Command.withDescription("ask the node's ledger over its socket: the tip, an address's UTxO, the protocol parameters"),
  Command.withShortDescription("query the node's ledger over its socket (tip, utxo, protocol-parameters)"),
  Command.withSubcommands([tipCommand, utxoCommand, protocolParametersCommand])
)

// ---------------------------------------------------------------------------------------------------
// submit-tx
// ---------------------------------------------------------------------------------------------------

/**
 * A transaction file that cannot be read as one.
 *
 * @category errors
 * @since 0.1.0
 */
export class TxFileError extends Schema.TaggedError<TxFileError>()("TxFileError", {
  path: Schema.String,
  detail: Schema.String
}) {
  override get message(): string {
    return `${this.path}: ${this.detail}`
  }
}

const ENVELOPE_ERA = /(Byron|Shelley|Allegra|Mary|Alonzo|Babbage|Conway|Dijkstra)Era/

/**
 * Reads a transaction file: a cardano-cli text envelope (JSON with `type` and `cborHex`; the era
 * from its type), hex, or raw CBOR. The bytes must be one CBOR array. `era` is the envelope's era,
 * else `undefined` (the caller asks the node).
 *
 * @category parsing
 * @since 0.1.0
 */
export const readTxFile = (path: string): Effect.Effect<{ readonly era: number | undefined; readonly bytes: Uint8Array }, TxFileError> =>
  Effect.suspend(() => {
    const fail = (detail: string) => Effect.fail(new TxFileError({ path, detail }))
    let raw: Uint8Array
    try {
      raw = fs.readFileSync(path)
    } catch (e) {
      return fail(`cannot read the file (${(e as NodeJS.ErrnoException).code ?? String(e)})`)
    }
    const text = Buffer.from(raw).toString("utf8").trim()
    let era: number | undefined
    let bytes: Uint8Array | undefined
    if (text.startsWith("{")) {
      let envelope: unknown
      try {
        envelope = JSON.parse(text)
      } catch {
        return fail("not valid JSON (expected a text envelope with cborHex)")
      }
      const e = envelope as { type?: unknown; cborHex?: unknown }
      if (typeof e.cborHex !== "string") return fail("a JSON file without a cborHex field")
      bytes = Cbor.fromHex(e.cborHex)
      if (bytes === undefined) return fail("cborHex is not hex")
      const m = typeof e.type === "string" ? ENVELOPE_ERA.exec(e.type) : null
      if (m !== null) era = ERA_NAMES.indexOf(m[1]!)
    } else if (/^[0-9a-fA-F\s]+$/.test(text) && text.length > 0) {
      bytes = Cbor.fromHex(text.replace(/\s+/g, ""))
      if (bytes === undefined) return fail("odd number of hex digits")
    } else {
      bytes = raw
    }
    if (bytes.length === 0) return fail("empty")
    let end: number
    try {
      end = Cbor.itemEnd(bytes, 0)
    } catch {
      end = -1
    }
    if (end !== bytes.length) return fail(`not one CBOR item (${bytes.length} bytes)`)
    if (bytes[0]! >> 5 !== 4) return fail("not a transaction (a transaction is a CBOR array)")
    return Effect.succeed({ era, bytes })
  })

/**
 * A transaction's id: blake2b-256 of its first element (the body), or of the whole bytes when they
 * are not an array.
 *
 * @category utils
 * @since 0.1.0
 */
export const txId = (tx: Uint8Array): Uint8Array => {
  const head = tx[0]
  if (head !== undefined && head >> 5 === 4) {
    const info = head & 0x1f
    const start = info < 24 ? 1 : info === 24 ? 2 : info === 25 ? 3 : info === 26 ? 5 : info === 31 ? 1 : -1
    if (start > 0 && start < tx.length) {
      const end = Cbor.itemEnd(tx, start)
      if (end > start) return Blake2b.blake2b256(tx.subarray(start, end))
    }
  }
  return Blake2b.blake2b256(tx)
}

/**
 * `network2 submit-tx FILE [--era N]`: exit code 0 when the node accepted it (its id printed); 1
 * when it rejected it: one line naming the decoded ledger failures where the era's shape is known,
 * then the reason's exact CBOR; with `--json`, also `{ txId, accepted: false, rejection }` on stdout
 * (the decoded tree, see `Protocols.TxRejection.toJson`).
 *
 * @category commands
 * @since 0.1.0
 */
export const submitTx = Command.make(
  "submit-tx",
  {
    file: Argument.String("file").pipe(
      Argument.withMetavar("FILE"),
      Argument.withDescription("the transaction: a cardano-cli text envelope (JSON with cborHex), hex, or raw CBOR")
    ),
    era: Flag.Int("era").pipe(
      Flag.filter((n) => n >= 0 && n <= 7, () => "an era index, 0 (Byron) to 7"),
      Flag.optional,
      Flag.withDescription("the transaction's era index when the file does not say (default: the ledger's current era)")
    ),
    ...nodeFlags
  },
  (flags) =>
    Effect.gen(function*() {
      const file = yield* readTxFile(flags.file)
      const options = yield* nodeOptions(flags)
      const given = file.era ?? Option.getOrUndefined(flags.era)
      const id = yield* withNode(options, (node, stage) =>
        Effect.gen(function*() {
          const era = given ?? (yield* currentEra(node, stage))
          const tx: EraTx = { era, bytes: file.bytes }
          stage.waitingFor = "the node's verdict on the transaction"
          return yield* node.submitTx(tx).pipe(
            Effect.catchTag("TxRejected", (e) =>
              Effect.gen(function*() {
                const id = Cbor.toHex(txId(file.bytes))
                const decoded = e.decoded
                if (flags.json) {
                  yield* out(JSON.stringify({ txId: id, accepted: false, rejection: Protocols.TxRejection.toJson(decoded) }))
                }
                const why = decoded.known
                  ? `${decoded.failures.map((f) => Protocols.TxRejection.names(f).join(".")).join("; ")} (${Cbor.toHex(e.reason)})`
                  : Cbor.toHex(e.reason)
                return yield* new CommandFailed({
                  detail: `transaction ${id} rejected${e.era === undefined ? "" : ` (${eraName(e.era)})`}: ${why}`
                })
              }))
          )
        }))
      yield* out(flags.json ? JSON.stringify({ txId: Cbor.toHex(id), accepted: true }) : `transaction ${Cbor.toHex(id)} accepted`)
    })
).pipe(Command.withDescription("submit a transaction to the node (a text envelope, hex or raw CBOR); prints its id, or the node's reason"))

// ---------------------------------------------------------------------------------------------------
// mempool
// ---------------------------------------------------------------------------------------------------

const snapshotJson = (s: LocalNode.MempoolSnapshot) => ({
  slot: s.slot,
  numberOfTxs: s.numberOfTxs,
  sizeInBytes: s.sizeInBytes,
  capacityInBytes: s.capacityInBytes,
  txs: s.txs.map((t) => ({ txId: Cbor.toHex(txId(t.bytes)), era: eraName(t.era), size: t.bytes.length }))
})

const snapshotText = (s: LocalNode.MempoolSnapshot) =>
  `mempool at slot ${s.slot}: ${s.numberOfTxs} transaction${s.numberOfTxs === 1 ? "" : "s"}, ${s.sizeInBytes} of ${s.capacityInBytes} bytes`

/**
 * `network2 mempool [--watch] [--interval 1s]`: a snapshot of the node's mempool (sizes and every
 * transaction's id); with `--watch`, a line for each change until interrupted.
 *
 * @category commands
 * @since 0.1.0
 */
export const mempool = Command.make(
  "mempool",
  {
    ...nodeFlags,
    watch: Params.toggle("watch", "print each change until interrupted"),
    interval: Params.durationOr("interval", Duration.seconds(1), "--watch: time between snapshots (default 1s)"),
    ...Params.telemetry
  },
  (flags) =>
    Effect.gen(function*() {
      const options = yield* nodeOptions(flags)
      const print = (s: LocalNode.MempoolSnapshot) =>
        flags.json
          ? out(JSON.stringify(snapshotJson(s)))
          : Effect.gen(function*() {
            yield* out(snapshotText(s))
            for (const t of s.txs) yield* out(`  ${Cbor.toHex(txId(t.bytes))} ${eraName(t.era)} ${t.bytes.length} bytes`)
          })
      if (!flags.watch) {
        const s = yield* withNode(options, (node, stage) => {
          stage.waitingFor = "a mempool snapshot"
          return node.mempool
        })
        return yield* print(s)
      }
      // each snapshot has its own deadline; a change (other transactions or sizes) is printed
      yield* withNode(options, (node, stage) =>
        Effect.gen(function*() {
          let last = ""
          while (true) {
            stage.waitingFor = "a mempool snapshot"
            const s = yield* node.mempool.pipe(Effect.timeoutOption(options.timeout))
            if (Option.isNone(s)) {
              return yield* new CommandFailed({
                detail: `no answer from the node within ${seconds(options.timeout)} (waiting for ${stage.waitingFor})`
              })
            }
            const key = JSON.stringify({ ...snapshotJson(s.value), slot: 0 })
            if (key !== last) yield* print(s.value)
            last = key
            yield* Effect.sleep(flags.interval)
          }
        }), "none")
    }).pipe(Effect.provide(Telemetry.layer(flags)))
).pipe(
  Command.withDescription("the node's mempool: sizes and each transaction's id; --watch prints each change until interrupted"),
  Command.withShortDescription("the node's mempool (sizes, transactions); --watch for changes")
)

// ---------------------------------------------------------------------------------------------------
// follow and serve on a socket
// ---------------------------------------------------------------------------------------------------

/**
 * One block-stream step as `follow --socket-path` prints it.
 *
 * @category utils
 * @since 0.1.0
 */
export const updateLine = (json: boolean, u: LocalNode.ChainUpdate): string => {
  if (u._tag === "RollBackward") {
    return json
      ? JSON.stringify({ event: "rollBackward", point: Point.toString(u.point), tipBlockNo: u.tip.blockNo })
      : `roll back to ${Point.toString(u.point)} (tip block ${u.tip.blockNo})`
  }
  const b = u.block
  const at = `${b.slot}.${Cbor.toHex(b.hash)}`
  return json
    ? JSON.stringify({ event: "block", era: eraName(b.era), blockNo: b.blockNo, point: at, size: b.bytes.length, tipBlockNo: u.tip.blockNo })
    : `block ${b.blockNo} at ${at} (${eraName(b.era)}, ${b.bytes.length} bytes; tip block ${u.tip.blockNo})`
}

/**
 * `follow --socket-path P`: the node's blocks over local chain-sync from `from` (origin, tip or
 * points), one line each, until `limit` blocks (or for ever). The deadline bounds the connection and
 * the intersection only (a node at its tip may be quiet for long).
 *
 * @category flows
 * @since 0.1.0
 */
export const followSocket = (options: NodeOptions & {
  readonly from: LocalNode.From
  readonly limit: number | undefined
  readonly json: boolean
}) =>
  withNode(options, (node) =>
    Effect.gen(function*() {
      let blocks = 0
      const stream = node.blocks(options.from).pipe(
        Stream.tap((u) => out(updateLine(options.json, u))),
        Stream.takeUntil((u) => u._tag === "RollForward" && ++blocks === options.limit)
      )
      yield* Stream.runDrain(stream)
    }), "none")

/**
 * The stand-in's options on a socket: where, the magic, the chain.
 *
 * @category models
 * @since 0.1.0
 */
export interface StandInOptions {
  readonly socketPath: string
  readonly magic: number
  /** The chain is a generated one (said in a warning: not a real chain). */
  readonly synthetic?: boolean | undefined
}

/**
 * `serve --socket-path P`: the local-node stand-in on a Unix socket, serving the chain (any
 * ChainSource) until interrupted, each client's life logged; the socket file is removed at the end.
 *
 * @category flows
 * @since 0.1.0
 */
export const serveSocket = <E>(options: StandInOptions, chain: Layer.Layer<ChainSource.ChainSource, E>) =>
  Effect.gen(function*() {
    const context = yield* Layer.build(
      LocalNodeSocket.layerStandInUnix({ socketPath: options.socketPath, networkMagic: options.magic }).pipe(Layer.provideMerge(chain))
    )
    const source = Context.get(context, ChainSource.ChainSource)
    const manager = Context.get(context, LocalServer.LocalServerManager)
    const tip = yield* source.tip
    if (options.synthetic === true) {
      yield* Effect.logWarning(
        `serving a SYNTHETIC chain: ${source.label}; generated blocks with fake signatures, not a real Cardano chain (use --chain PATH to serve real blocks)`
      )
    }
    yield* Effect.log(`serving ${source.label}: ${yield* source.length} blocks, tip block ${tip.blockNo} at ${Point.toString(tip.point)}`)
    yield* Effect.log(`listening on ${options.socketPath}, network magic ${options.magic}, node-to-client v16-v23; Ctrl-C to stop`)
    yield* Effect.addFinalizer(() =>
      Effect.sync(() => {
        try {
          fs.unlinkSync(options.socketPath)
        } catch {
          // already gone
        }
      })
    )
    yield* manager.events.pipe(
      Stream.runForEach((event) => {
        const line = LocalServer.describeEvent(event)
        return event._tag === "ProtocolViolation" || event._tag === "HandshakeRefused" || event._tag === "QueryRefused"
          ? Effect.logWarning(line)
          : Effect.log(line)
      })
    )
  }).pipe(Effect.scoped)
