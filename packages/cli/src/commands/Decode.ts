/**
 * `network2 decode <protocol> [<hex>] [--check-roundtrip] [--frames]`: decodes mini-protocol
 * messages (or a stream of mux segments) from hex and prints them as JSON. `decode --frames [<hex>]
 * [--n2c]` reads each segment's protocol from its number (node-to-node numbering, or with `--n2c`
 * node-to-client).
 *
 * @since 0.1.0
 */
import * as fs from "node:fs"
import process from "node:process"
import * as Cbor from "@pallas-network2/core/cbor/Cbor"
import * as Argument from "effect/cli/Argument"
import * as Command from "effect/cli/Command"
import * as Params from "../Params.ts"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { CommandFailed, InputError, UsageError } from "../Errors.ts"

/**
 * What the decoder needs from a protocol module: `protocol` (decode / encode) and `toJson`.
 *
 * @category models
 * @since 0.1.0
 */
export interface ProtocolModule {
  readonly protocol: {
    readonly channel: number
    readonly encode: (message: any) => Uint8Array
    readonly decode: (bytes: Uint8Array) => { readonly _tag: string; readonly success?: any; readonly failure?: any }
  }
  readonly toJson: (message: any) => unknown
}

/**
 * The protocol names `decode` accepts, with a loader of the module of `@pallas-network2/core/protocol/`
 * that implements each.
 *
 * @category constants
 * @since 0.1.0
 */
export const protocolModules = {
  "handshake": () => import("@pallas-network2/core/protocol/Handshake"),
  "chain-sync": () => import("@pallas-network2/core/protocol/ChainSync"),
  "block-fetch": () => import("@pallas-network2/core/protocol/BlockFetch"),
  "tx-submission2": () => import("@pallas-network2/core/protocol/TxSubmission2"),
  "keep-alive": () => import("@pallas-network2/core/protocol/KeepAlive"),
  "peer-sharing": () => import("@pallas-network2/core/protocol/PeerSharing"),
  "local-chain-sync": () => import("@pallas-network2/core/protocol/LocalChainSync"),
  "local-tx-submission": () => import("@pallas-network2/core/protocol/LocalTxSubmission"),
  "local-state-query": () => import("@pallas-network2/core/protocol/LocalStateQuery"),
  "local-tx-monitor": () => import("@pallas-network2/core/protocol/LocalTxMonitor")
} as const

/**
 * A protocol name `decode` accepts.
 *
 * @category models
 * @since 0.1.0
 */
export type ProtocolName = keyof typeof protocolModules

/**
 * The mini-protocol numbers of node-to-node and node-to-client connections, for `decode --frames`
 * without a protocol name.
 *
 * @category constants
 * @since 0.1.0
 */
export const protocolNumbers: { readonly n2n: Readonly<Record<number, ProtocolName>>; readonly n2c: Readonly<Record<number, ProtocolName>> } = {
  n2n: { 0: "handshake", 2: "chain-sync", 3: "block-fetch", 4: "tx-submission2", 8: "keep-alive", 10: "peer-sharing" },
  n2c: { 0: "handshake", 5: "local-chain-sync", 6: "local-tx-submission", 7: "local-state-query", 9: "local-tx-monitor" }
}

/**
 * The protocol names, in help order.
 *
 * @category constants
 * @since 0.1.0
 */
export const protocolNames = Object.keys(protocolModules) as ReadonlyArray<ProtocolName>

/**
 * Loads a protocol's module by name.
 *
 * @category loading
 * @since 0.1.0
 */
export const loadProtocol = (name: ProtocolName): Effect.Effect<ProtocolModule> =>
  Effect.promise(() => protocolModules[name]() as Promise<unknown> as Promise<ProtocolModule>)

const inputError = (detail: string) => new InputError({ detail })

const parseHex = (text: string): Uint8Array => {
  const clean = text.trim().replace(/^0x/i, "").replace(/\s+/g, "")
  if (clean.length === 0) throw inputError("empty input")
  if (clean.length % 2 !== 0) throw inputError(`bad hex: odd number of digits (${clean.length})`)
  const bytes = Cbor.fromHex(clean)
  if (bytes === undefined) throw inputError("bad hex: not a hexadecimal string")
  return bytes
}

/** Replaces bigints (which JSON.stringify rejects) and byte arrays by printable forms. */
const jsonReplacer = (_key: string, value: unknown): unknown =>
  typeof value === "bigint"
    ? (Number.isSafeInteger(Number(value)) ? Number(value) : value.toString())
    : value instanceof Uint8Array
    ? Cbor.toHex(value)
    : value

const stringify = (value: unknown): string => JSON.stringify(value, jsonReplacer)

/**
 * Decodes one message from exactly the bytes of one CBOR item; with `checkRoundtrip`, re-encodes it
 * and fails unless the bytes are identical. Returns the message's JSON form.
 *
 * @category decoding
 * @since 0.1.0
 */
export const decodeMessage = (mod: ProtocolModule, bytes: Uint8Array, checkRoundtrip: boolean): unknown => {
  let end: number
  try {
    end = Cbor.itemEnd(bytes, 0)
  } catch (e) {
    throw inputError(`bad CBOR: ${e instanceof Error ? e.message : String(e)}`)
  }
  if (end === -1) throw inputError("bad CBOR: truncated (the message is incomplete)")
  if (end !== bytes.length) {
    throw inputError(`bad CBOR: ${bytes.length - end} trailing byte(s) after the message`)
  }
  const r = mod.protocol.decode(bytes)
  if (r._tag !== "Success") {
    const f = r.failure as { detail?: string; message?: string } | undefined
    throw inputError(`not a valid message: ${f?.detail ?? f?.message ?? String(f)}`)
  }
  const message = r.success
  if (checkRoundtrip) {
    const again = mod.protocol.encode(message)
    if (Cbor.toHex(again) !== Cbor.toHex(bytes)) {
      throw inputError(`round-trip mismatch: re-encoded as ${Cbor.toHex(again)}`)
    }
  }
  return mod.toJson(message)
}

/**
 * One parsed mux segment header.
 *
 * @category models
 * @since 0.1.0
 */
export interface SegmentHeader {
  readonly time: number
  readonly mode: "initiator" | "responder"
  readonly protocol: number
  readonly length: number
}

/**
 * Parses a stream of mux segments and decodes the messages they carry, reassembling messages split
 * across segments (per protocol number and direction). The protocol is the given module, or chosen
 * per segment from its protocol number (a string: why no module fits that number). Returns one JSON record per segment; a
 * truncated segment or an undecodable message is an InputError (after the records so far).
 *
 * @category decoding
 * @since 0.1.0
 */
export const decodeFrames = (
  modOrChooser: ProtocolModule | ((protocol: number) => ProtocolModule | string),
  bytes: Uint8Array,
  checkRoundtrip: boolean
): { readonly segments: Array<Record<string, unknown>>; readonly error?: string } => {
  const segments: Array<Record<string, unknown>> = []
  const pending = new Map<string, Uint8Array>()
  let offset = 0
  try {
    while (offset < bytes.length) {
      if (bytes.length - offset < 8) {
        throw inputError(`truncated segment header at byte ${offset} (${bytes.length - offset} byte(s) left)`)
      }
      const view = new DataView(bytes.buffer, bytes.byteOffset + offset, 8)
      const time = view.getUint32(0)
      const word = view.getUint16(4)
      const length = view.getUint16(6)
      const header: SegmentHeader = {
        time,
        mode: (word & 0x8000) !== 0 ? "responder" : "initiator",
        protocol: word & 0x7fff,
        length
      }
      if (bytes.length - offset - 8 < length) {
        throw inputError(
          `truncated segment payload at byte ${offset}: header says ${length}, ${bytes.length - offset - 8} left`
        )
      }
      const chosen = typeof modOrChooser === "function" ? modOrChooser(header.protocol) : modOrChooser
      if (typeof chosen === "string") throw inputError(`segment at byte ${offset}: ${chosen}`)
      const mod = chosen
      const payload = bytes.subarray(offset + 8, offset + 8 + length)
      offset += 8 + length
      const key = `${header.protocol}/${header.mode}`
      const before = pending.get(key)
      let buffer: Uint8Array = payload
      if (before !== undefined) {
        buffer = new Uint8Array(before.length + payload.length)
        buffer.set(before, 0)
        buffer.set(payload, before.length)
      }
      const messages: Array<unknown> = []
      const record: Record<string, unknown> = { segment: header, messages }
      segments.push(record)
      let start = 0
      while (start < buffer.length) {
        let end: number
        try {
          end = Cbor.itemEnd(buffer, start)
        } catch (e) {
          if (e instanceof Cbor.CborError) throw inputError(`bad CBOR: ${e.message}`)
          throw e
        }
        if (end === -1 || end > buffer.length) break
        messages.push(decodeMessage(mod, buffer.slice(start, end), checkRoundtrip))
        start = end
      }
      if (start < buffer.length) {
        pending.set(key, buffer.slice(start))
        record["partial"] = buffer.length - start
      } else pending.delete(key)
    }
    const left = [...pending.entries()].map(([k, b]) => `${k}: ${b.length} byte(s)`)
    if (left.length > 0) return { segments, error: `incomplete message at end of stream (${left.join(", ")})` }
    return { segments }
  } catch (e) {
    if (e instanceof InputError) return { segments, error: e.message }
    throw e
  }
}

const readStdin = (): string => {
  try {
    return fs.readFileSync(0, "utf8")
  } catch {
    return ""
  }
}

/**
 * Decodes one hex input (a message, or with `frames` a segment stream) and returns the JSON line to
 * print and whether it succeeded.
 */
const decodeInput = (
  mod: ProtocolModule | ((protocol: number) => ProtocolModule | string),
  hex: string,
  options: { readonly checkRoundtrip: boolean; readonly frames: boolean }
): { readonly ok: boolean; readonly line: string } => {
  try {
    const bytes = parseHex(hex)
    if (options.frames) {
      const r = decodeFrames(mod, bytes, options.checkRoundtrip)
      return r.error === undefined
        ? { ok: true, line: stringify({ segments: r.segments }) }
        : { ok: false, line: stringify({ segments: r.segments, error: r.error }) }
    }
    if (typeof mod === "function") throw inputError("a protocol name is needed to decode a message without --frames")
    return { ok: true, line: stringify(decodeMessage(mod, bytes, options.checkRoundtrip)) }
  } catch (e) {
    if (e instanceof InputError) return { ok: false, line: stringify({ error: e.message }) }
    return { ok: false, line: stringify({ error: `internal error: ${e instanceof Error ? e.message : String(e)}` }) }
  }
}

/**
 * The `decode` subcommand: exit code 1 if any input did not decode (or round-trip).
 *
 * @category commands
 * @since 0.1.0
 */
export const command = Command.make(
  "decode",
  {
    protocol: Argument.String("protocol").pipe(
      Argument.filter(
        (t) => (protocolNames as ReadonlyArray<string>).includes(t) || /^(0x)?[0-9a-fA-F]+$/.test(t),
        () => `one of ${protocolNames.join(", ")} (or, with --frames, the hex)`
      ),
      Argument.optional,
      Argument.withDescription(
        `the mini-protocol: ${protocolNames.join(", ")}; absent with --frames, each segment's protocol is read from its number`
      )
    ),
    hex: Argument.String("hex").pipe(
      Argument.optional,
      Argument.withDescription("the message in hex (absent: one hex input per stdin line, one JSON line each)")
    ),
    checkRoundtrip: Params.toggle("check-roundtrip", "re-encode each message and fail unless the bytes are identical"),
    frames: Params.toggle("frames", "the input is a stream of mux segments: print each segment's header and messages"),
    n2c: Params.toggle("n2c", "--frames without a protocol: node-to-client numbering (5 local chain-sync, 6, 7, 9) instead of node-to-node")
  },
  Effect.fnUntraced(function*(flags) {
    const named = Option.filter(flags.protocol, (t) => (protocolNames as ReadonlyArray<string>).includes(t))
    // `decode --frames HEX`: the one argument is the hex
    const hexArgument = Option.isNone(named) && Option.isSome(flags.protocol) ? flags.protocol : Option.none<string>()
    if (Option.isSome(hexArgument) && Option.isSome(flags.hex)) {
      return yield* new UsageError({ detail: `unknown protocol ${flags.protocol.pipe(Option.getOrElse(() => ""))}` })
    }
    if (Option.isNone(named) && !flags.frames) {
      return yield* new UsageError({ detail: "give the protocol (its name), or --frames to read each segment's protocol from its number" })
    }
    let mod: ProtocolModule | ((protocol: number) => ProtocolModule | string)
    if (Option.isSome(named)) mod = yield* loadProtocol(named.value as ProtocolName)
    else {
      const table = flags.n2c ? protocolNumbers.n2c : protocolNumbers.n2n
      const loaded = new Map<number, ProtocolModule>()
      for (const [n, name] of Object.entries(table)) loaded.set(Number(n), yield* loadProtocol(name))
      mod = (n) =>
        loaded.get(n) ??
          `no ${flags.n2c ? "node-to-client" : "node-to-node"} mini-protocol has number ${n}${
            flags.n2c ? "" : " (--n2c for node-to-client numbering)"
          }`
    }
    const input = Option.orElse(flags.hex, () => hexArgument)
    const options = { checkRoundtrip: flags.checkRoundtrip, frames: flags.frames }
    if (Option.isSome(input)) {
      const r = decodeInput(mod, input.value, options)
      if (r.ok || options.frames) process.stdout.write(r.line + "\n")
      if (!r.ok) return yield* new CommandFailed({ detail: (JSON.parse(r.line) as { error: string }).error })
      return
    }
    let failed = 0
    for (const raw of readStdin().split(/\r?\n/)) {
      if (raw.trim().length === 0) continue
      const r = decodeInput(mod, raw, options)
      if (!r.ok) failed++
      process.stdout.write(r.line + "\n")
    }
    if (failed > 0) return yield* new CommandFailed({ detail: "" })
  })
).pipe(
  Command.withDescription(
    "decode mini-protocol messages (or with --frames a stream of mux segments) from hex and print them as JSON"
  ),
  Command.withShortDescription("decode mini-protocol messages or mux segments from hex and print them as JSON")
)
