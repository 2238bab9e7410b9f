/**
 * Handshake (mini-protocol 0, node-to-node and node-to-client): the dialler proposes a version table,
 * the other side accepts one version with its data, refuses, or (for a query) replies with its own
 * table. Node-to-client versions carry bit 15 (`v | 0x8000`).
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"
import * as Cbor from "../cbor/Cbor.ts"
import * as C from "./internal/codec.ts"
import * as M from "./internal/messages.ts"

/**
 * The bit that marks a node-to-client version.
 *
 * @category constants
 * @since 0.1.0
 */
export const N2C_BIT = 0x8000

/**
 * Version data, by version: N2N v1-3 the bare magic; v4-10 `[magic, initiatorOnly]`; v11-15 add
 * `peerSharing` and `query`; v16 adds `perasSupport`; N2C up to v14 is the bare magic, v15 and later
 * `[magic, query]`.
 *
 * @category schemas
 * @since 0.1.0
 */
export const VersionDataSchema = Schema.Struct({
  networkMagic: Schema.Number,
  initiatorOnlyDiffusionMode: Schema.optional(Schema.Boolean),
  peerSharing: Schema.optional(Schema.Number),
  query: Schema.optional(Schema.Boolean),
  perasSupport: Schema.optional(Schema.Boolean),
  /**
   * In a proposed or queried table only: the data exactly as received, when it is not the shape its
   * version number uses (a version newer than ours, or malformed data). Such an entry is kept (and
   * re-encoded as received) instead of failing the whole proposal, as the reference does; choosing
   * that version refuses with `HandshakeDecodeError`. `networkMagic` is then NaN.
   */
  undecoded: Schema.optional(Schema.Unknown)
})
/**
 * Version data.
 *
 * @category models
 * @since 0.1.0
 */
export type VersionData = typeof VersionDataSchema.Type
/**
 * A version table: version number to its data, in ascending order on the wire.
 *
 * @category models
 * @since 0.1.0
 */
export type VersionTable = ReadonlyMap<number, VersionData>

/**
 * Why a proposal was refused.
 *
 * @category schemas
 * @since 0.1.0
 */
export const RefuseReasonSchema = Schema.Union([
  Schema.TaggedStruct("VersionMismatch", { versions: Schema.Array(Schema.Number) }),
  Schema.TaggedStruct("HandshakeDecodeError", { version: Schema.Number, message: Schema.String }),
  Schema.TaggedStruct("Refused", { version: Schema.Number, message: Schema.String })
])
/**
 * Why a proposal was refused.
 *
 * @category models
 * @since 0.1.0
 */
export type RefuseReason = typeof RefuseReasonSchema.Type

const VersionTableSchema = Schema.ReadonlyMap(Schema.Number, VersionDataSchema)

const versionTable: M.Field<typeof VersionTableSchema> = {
  schema: VersionTableSchema,
  toCbor: (t) => tableToCbor(t),
  fromCbor: (v) => tableFromCbor(v),
  json: (t) => tableJson(t)
}

const refuseReason: M.Field<typeof RefuseReasonSchema> = {
  schema: RefuseReasonSchema,
  toCbor: (r) => r._tag === "VersionMismatch" ? [0, [...r.versions]] : [r._tag === "HandshakeDecodeError" ? 1 : 2, r.version, r.message],
  fromCbor: (v) => {
    const r = C.array(v, "refuse reason")
    const kind = C.uint(r[0]!, "refuse reason", 2)
    if (kind === 0) {
      C.arrayOf(v, 2, "VersionMismatch")
      return { _tag: "VersionMismatch", versions: C.array(r[1]!, "versions").map((x) => C.uint(x, "version", 0xffff)) }
    }
    C.arrayOf(v, 3, "refuse reason")
    return {
      _tag: kind === 1 ? "HandshakeDecodeError" : "Refused",
      version: C.uint(r[1]!, "version", 0xffff),
      message: C.text(r[2]!, "message")
    }
  }
}

/** The limits of both states with agency: 5 760 bytes, 10 s. */
const eachState = { byteLimit: 5_760, timeout: 10_000 } as const

const handshake = M.protocol({
  name: "handshake",
  channel: 0,
  ingressLimit: 5_760,
  maxInFlight: 1,
  messages: [
    M.msg(0, "MsgProposeVersions", "propose", [["versionTable", versionTable]], {
      json: (m) => ({
        mode: [...m.versionTable.keys()].some(isNodeToClient) ? "node-to-client" : "node-to-node",
        versionTable: tableJson(m.versionTable)
      })
    }),
    M.msg(1, "MsgAcceptVersion", "accept", [
      ["version", M.F.uint("version", 0xffff)],
      ["versionData", { schema: VersionDataSchema, json: (d) => versionDataJson(d) }]
    ], {
      // the data's shape depends on the version before it
      wire: {
        tags: [1],
        toCbor: (m) => [1, m.version, versionDataToCbor(m.version, m.versionData)],
        fromCbor: (_, a, v) => {
          C.arrayOf(v, 3, "MsgAcceptVersion")
          const version = C.uint(a[1]!, "version", 0xffff)
          return [version, versionDataFromCbor(version, a[2]!)]
        }
      }
    }),
    M.msg(2, "MsgRefuse", "refuse", [["reason", refuseReason]], {
      json: ({ reason }) => ({
        reason: reason._tag,
        ...(reason._tag === "VersionMismatch" ? { versions: reason.versions } : { version: reason.version, message: reason.message })
      })
    }),
    M.msg(3, "MsgQueryReply", "queryReply", [["versionTable", versionTable]])
  ],
  initialState: "Propose",
  states: { Propose: { agency: "client", ...eachState }, Confirm: { agency: "server", ...eachState }, Done: "nobody" },
  transitions: {
    Propose: { MsgProposeVersions: "Confirm" },
    Confirm: { MsgAcceptVersion: "Done", MsgRefuse: "Done", MsgQueryReply: "Done" }
  }
})

/**
 * The handshake messages, a Schema each:
 * - `MsgProposeVersions`, client: the versions it supports, each with its version data.
 *   `[0, {* version => data}]`.
 * - `MsgAcceptVersion`, server: the version chosen and its data. `[1, version, data]`.
 * - `MsgRefuse`, server: no version agreed, with the reason. `[2, reason]`.
 * - `MsgQueryReply`, server: its own version table, in answer to a proposal with the query flag
 *   set. `[3, table]`.
 *
 * @category schemas
 * @since 0.1.0
 */
export const { MsgProposeVersions, MsgAcceptVersion, MsgRefuse, MsgQueryReply } = handshake.schemas

/**
 * The handshake protocol (channel 0; 5 760 bytes and 10 s per state) and its messages:
 * `MessageSchema` (every message), `make` (their constructors), `codec` (the exact CBOR codec) and
 * `toJson` (the JSON form the CLI prints).
 *
 * @category protocols
 * @since 0.1.0
 */
export const { protocol, MessageSchema, make, codec, toJson } = handshake

/**
 * A handshake message.
 *
 * @category models
 * @since 0.1.0
 */
export type Message = typeof MessageSchema.Type

/**
 * Whether a version number is node-to-client.
 *
 * @category utils
 * @since 0.1.0
 */
export const isNodeToClient = (version: number): boolean => (version & N2C_BIT) !== 0

/**
 * The first node-to-node version whose data is `[magic, initiatorOnly]` (diffusion mode added in the
 * handshake); versions 1 to 3 carry the bare network magic. Both shapes are long obsolete, but an old
 * client's proposal is still read and re-encoded byte for byte, and refused with `VersionMismatch`.
 *
 * @category constants
 * @since 0.1.0
 */
export const N2N_DIFFUSION_MODE_VERSION = 4

/**
 * Version data to CBOR, in the shape its version uses.
 *
 * @category encoding
 * @since 0.1.0
 */
export const versionDataToCbor = (version: number, d: VersionData): Cbor.Value => {
  if (d.undecoded !== undefined) return d.undecoded as Cbor.Value
  if (isNodeToClient(version) || version < N2N_DIFFUSION_MODE_VERSION) {
    const v = version & ~N2C_BIT
    return isNodeToClient(version) && v >= 15 ? [d.networkMagic, d.query ?? false] : d.networkMagic
  }
  if (version <= 10) return [d.networkMagic, d.initiatorOnlyDiffusionMode ?? false]
  const base: Array<Cbor.Value> = [d.networkMagic, d.initiatorOnlyDiffusionMode ?? false, d.peerSharing ?? 0, d.query ?? false]
  return version >= 16 ? [...base, d.perasSupport ?? false] : base
}

/**
 * Version data from CBOR, by version.
 *
 * @category decoding
 * @since 0.1.0
 */
export const versionDataFromCbor = (version: number, v: Cbor.Value): VersionData => {
  if (!isNodeToClient(version) && version < N2N_DIFFUSION_MODE_VERSION) {
    return { networkMagic: C.uint(v, `v${version} version data (the bare network magic)`, 0xffffffff) }
  }
  if (isNodeToClient(version)) {
    if (typeof v === "number") return { networkMagic: C.uint(v, "network magic", 0xffffffff) }
    const a = C.arrayOf(v, 2, "node-to-client version data")
    return { networkMagic: C.uint(a[0]!, "network magic", 0xffffffff), query: C.bool(a[1]!, "query") }
  }
  const a = C.array(v, "version data")
  const networkMagic = C.uint(a[0]!, "network magic", 0xffffffff)
  if (version <= 10) {
    C.arrayOf(v, 2, `v${version} version data`)
    return { networkMagic, initiatorOnlyDiffusionMode: C.bool(a[1]!, "initiatorOnlyDiffusionMode") }
  }
  C.arrayOf(v, version >= 16 ? 5 : 4, `v${version} version data`)
  const data: VersionData = {
    networkMagic,
    initiatorOnlyDiffusionMode: C.bool(a[1]!, "initiatorOnlyDiffusionMode"),
    peerSharing: C.uint(a[2]!, "peerSharing", version <= 12 ? 2 : 1),
    query: C.bool(a[3]!, "query")
  }
  return version >= 16 ? { ...data, perasSupport: C.bool(a[4]!, "perasSupport") } : data
}

const tableToCbor = (t: VersionTable): Cbor.Value =>
  new Map([...t.entries()].sort((a, b) => a[0] - b[0]).map(([v, d]) => [v, versionDataToCbor(v, d)] as [Cbor.Value, Cbor.Value]))

const tableFromCbor = (v: Cbor.Value): VersionTable => {
  const m = C.map(v, "version table")
  const out = new Map<number, VersionData>()
  for (const [k, d] of m) {
    const version = C.uint(k, "version number", 0xffff)
    let data: VersionData
    try {
      data = versionDataFromCbor(version, d)
    } catch (e) {
      if (!(e instanceof C.ShapeError)) throw e
      data = { networkMagic: Number.NaN, undecoded: d }
    }
    out.set(version, data)
  }
  return out
}

/**
 * The node-to-node versions a current node proposes (14 to 16): the default of
 * {@link n2nVersionTable} and of the initiator.
 *
 * @category constants
 * @since 0.3.0
 */
export const N2N_VERSIONS: ReadonlyArray<number> = [14, 15, 16]

/**
 * The node-to-node versions a responder accepts by default (11 to 16): from the first whose data
 * carries peer sharing and the query flag.
 *
 * @category constants
 * @since 0.3.0
 */
export const N2N_ACCEPTED_VERSIONS: ReadonlyArray<number> = [11, 12, 13, 14, 15, 16]

/**
 * A node-to-node version table.
 *
 * @example
 * ```ts
 * import { Handshake } from "@pallas-network2/core/protocol"
 * const table = Handshake.n2nVersionTable({ magic: 764824073 }) // v14, v15, v16
 * ```
 *
 * @category constructors
 * @since 0.1.0
 */
export const n2nVersionTable = (options: {
  readonly magic: number
  readonly versions?: ReadonlyArray<number>
  readonly initiatorOnly?: boolean
  readonly peerSharing?: boolean
  readonly query?: boolean
}): VersionTable =>
  new Map((options.versions ?? N2N_VERSIONS).map((v) => [v, {
    networkMagic: options.magic,
    initiatorOnlyDiffusionMode: options.initiatorOnly ?? false,
    peerSharing: options.peerSharing === false ? 0 : 1,
    query: options.query ?? false,
    ...(v >= 16 ? { perasSupport: false } : {})
  }]))

/**
 * The outcome of a negotiation.
 *
 * @category models
 * @since 0.1.0
 */
export type Negotiation =
  | { readonly _tag: "Accept"; readonly version: number; readonly data: VersionData }
  | { readonly _tag: "Refuse"; readonly reason: RefuseReason }

/**
 * Negotiates as the reference does: the highest common version; the network magic must be equal;
 * initiator-only if either side is; peer sharing only if both; query if either; Peras the minimum.
 *
 * @category negotiation
 * @since 0.1.0
 */
export const negotiate = (local: VersionTable, remote: VersionTable): Negotiation => {
  let best = -1
  for (const v of remote.keys()) if (local.has(v) && v > best) best = v
  if (best < 0) return { _tag: "Refuse", reason: { _tag: "VersionMismatch", versions: [...local.keys()].sort((a, b) => a - b) } }
  const ours = local.get(best)!
  const theirs = remote.get(best)!
  if (theirs.undecoded !== undefined || ours.undecoded !== undefined) {
    return {
      _tag: "Refuse",
      reason: { _tag: "HandshakeDecodeError", version: best, message: `the version data of v${best} is not the shape that version uses` }
    }
  }
  if (ours.networkMagic !== theirs.networkMagic) {
    return {
      _tag: "Refuse",
      reason: {
        _tag: "Refused",
        version: best,
        message: `version data mismatch: network magic ${theirs.networkMagic} is not ours (${ours.networkMagic})`
      }
    }
  }
  const data: VersionData = { networkMagic: ours.networkMagic }
  const out: { -readonly [K in keyof VersionData]: VersionData[K] } = { ...data }
  if (ours.initiatorOnlyDiffusionMode !== undefined || theirs.initiatorOnlyDiffusionMode !== undefined) {
    out.initiatorOnlyDiffusionMode = (ours.initiatorOnlyDiffusionMode ?? false) || (theirs.initiatorOnlyDiffusionMode ?? false)
  }
  if (ours.peerSharing !== undefined || theirs.peerSharing !== undefined) {
    out.peerSharing = (ours.peerSharing ?? 0) > 0 && (theirs.peerSharing ?? 0) > 0 ? Math.min(ours.peerSharing!, theirs.peerSharing!) : 0
  }
  if (ours.query !== undefined || theirs.query !== undefined) out.query = (ours.query ?? false) || (theirs.query ?? false)
  if (ours.perasSupport !== undefined || theirs.perasSupport !== undefined) {
    out.perasSupport = (ours.perasSupport ?? false) && (theirs.perasSupport ?? false)
  }
  return { _tag: "Accept", version: best, data: out }
}

/**
 * Version data as JSON (its fields as they are; data kept undecoded as its CBOR in hex), as the CLI
 * prints it.
 *
 * @category encoding
 * @since 0.3.0
 */
export const versionDataJson = (d: VersionData): Record<string, unknown> =>
  d.undecoded !== undefined ? { undecoded: Cbor.toHex(Cbor.encode(d.undecoded as Cbor.Value)) } : { ...d }
const tableJson = (t: VersionTable): Record<string, unknown> =>
  Object.fromEntries([...t.entries()].sort((a, b) => a[0] - b[0]).map(([v, d]) => [String(v), versionDataJson(d)]))

/**
 * The node-to-client versions a current node speaks (16 to 23), without the node-to-client bit.
 *
 * @category constants
 * @since 0.1.0
 */
export const N2C_VERSIONS: ReadonlyArray<number> = [16, 17, 18, 19, 20, 21, 22, 23]

/**
 * A version number without the node-to-client bit.
 *
 * @category utils
 * @since 0.1.0
 */
export const plainVersion = (version: number): number => version & ~N2C_BIT

/**
 * A node-to-client version table: each version (given without the bit, sent with it) with its data,
 * `[magic, query]` from v15 on, the bare magic before.
 *
 * @example
 * ```ts
 * import { Handshake } from "@pallas-network2/core/protocol"
 * const table = Handshake.n2cVersionTable({ magic: 2 }) // v16 to v23, bit 15 set
 * ```
 *
 * @category constructors
 * @since 0.1.0
 */
export const n2cVersionTable = (options: {
  readonly magic: number
  readonly versions?: ReadonlyArray<number>
  readonly query?: boolean
}): VersionTable =>
  new Map(
    [...(options.versions ?? N2C_VERSIONS)].sort((a, b) => a - b).map((v) => {
      const data: VersionData = plainVersion(v) >= 15
        ? { networkMagic: options.magic, query: options.query ?? false }
        : { networkMagic: options.magic }
      return [v | N2C_BIT, data] as const
    })
  )

/**
 * One line about node-to-node version data: magic, diffusion mode, peer sharing, and the query flag
 * when set.
 *
 * @category utils
 * @since 0.1.0
 */
export const describeVersionData = (d: VersionData): string =>
  `magic ${d.networkMagic}, ${(d.initiatorOnlyDiffusionMode ?? false) ? "initiator-only" : "duplex"}, peer-sharing ${
    (d.peerSharing ?? 0) > 0 ? "on" : "off"
  }${(d.query ?? false) ? ", query" : ""}`

/**
 * Whether version data asks for peer sharing.
 *
 * @category utils
 * @since 0.1.0
 */
export const sharesPeers = (d: VersionData): boolean => (d.peerSharing ?? 0) > 0

/**
 * A node-to-node refuse reason as text, as the dialling side reports it.
 *
 * @category utils
 * @since 0.1.0
 */
export const describeRefuseReason = (reason: RefuseReason): string => {
  switch (reason._tag) {
    case "VersionMismatch":
      return `version mismatch (the peer supports ${reason.versions.join(", ")})`
    case "HandshakeDecodeError":
      return `the peer could not decode our version data for v${reason.version}: ${reason.message}`
    case "Refused":
      return `refused v${reason.version}: ${reason.message}`
  }
}
