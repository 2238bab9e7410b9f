/**
 * Local state query (node-to-client, mini-protocol 7): acquire a ledger state (a point, the volatile
 * tip or the immutable tip), run queries against it, release. Queries and results are kept as the
 * exact CBOR bytes; {@link Query} builds the era-independent queries.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"
import * as Cbor from "../cbor/Cbor.ts"
import { Point, PointSchema } from "./Common.ts"
import * as C from "./internal/codec.ts"
import { encodeTagged, withRaw } from "./internal/raw.ts"
import type { Protocol } from "./Protocol.ts"

const tag = Schema.tag("local-state-query")

/**
 * What to acquire: a specific point (`[0, point]` / `[6, point]`), the volatile tip (`[8]` / `[9]`)
 * or the immutable tip (`[10]` / `[11]`).
 *
 * @category schemas
 * @since 0.1.0
 */
export const Target = Schema.Union([
  Schema.TaggedStruct("Point", { point: PointSchema }),
  Schema.TaggedStruct("VolatileTip", {}),
  Schema.TaggedStruct("ImmutableTip", {})
])

/**
 * An acquire target.
 *
 * @category models
 * @since 0.1.0
 */
export type Target = typeof Target.Type

/**
 * `[0, point]` / `[8]` / `[10]`.
 *
 * @category schemas
 * @since 0.1.0
 */
export const MsgAcquire = Schema.TaggedStruct("MsgAcquire", { protocol: tag, target: Target })

/**
 * `[1]`.
 *
 * @category schemas
 * @since 0.1.0
 */
export const MsgAcquired = Schema.TaggedStruct("MsgAcquired", { protocol: tag })

/**
 * `[2, failure]`: 0 point too old, 1 point not on chain.
 *
 * @category schemas
 * @since 0.1.0
 */
export const MsgFailure = Schema.TaggedStruct("MsgFailure", { protocol: tag, failure: Schema.Number })

/**
 * `[3, query]`, the query as exact CBOR bytes.
 *
 * @category schemas
 * @since 0.1.0
 */
export const MsgQuery = Schema.TaggedStruct("MsgQuery", { protocol: tag, query: Schema.Uint8Array })

/**
 * `[4, result]`, the result as exact CBOR bytes.
 *
 * @category schemas
 * @since 0.1.0
 */
export const MsgResult = Schema.TaggedStruct("MsgResult", { protocol: tag, result: Schema.Uint8Array })

/**
 * `[5]`.
 *
 * @category schemas
 * @since 0.1.0
 */
export const MsgRelease = Schema.TaggedStruct("MsgRelease", { protocol: tag })

/**
 * `[6, point]` / `[9]` / `[11]`.
 *
 * @category schemas
 * @since 0.1.0
 */
export const MsgReAcquire = Schema.TaggedStruct("MsgReAcquire", { protocol: tag, target: Target })

/**
 * `[7]`.
 *
 * @category schemas
 * @since 0.1.0
 */
export const MsgDone = Schema.TaggedStruct("MsgDone", { protocol: tag })

/**
 * Every local state query message.
 *
 * @category schemas
 * @since 0.1.0
 */
export const MessageSchema = Schema.Union([
  MsgAcquire,
  MsgAcquired,
  MsgFailure,
  MsgQuery,
  MsgResult,
  MsgRelease,
  MsgReAcquire,
  MsgDone
])

/**
 * A local state query message.
 *
 * @category models
 * @since 0.1.0
 */
export type Message = typeof MessageSchema.Type

const p = "local-state-query" as const

/**
 * Message constructors.
 *
 * @category constructors
 * @since 0.1.0
 */
export const make = {
  acquire: (target: Target): Message => ({ protocol: p, _tag: "MsgAcquire", target }),
  acquired: (): Message => ({ protocol: p, _tag: "MsgAcquired" }),
  failure: (failure: number): Message => ({ protocol: p, _tag: "MsgFailure", failure }),
  query: (query: Uint8Array): Message => ({ protocol: p, _tag: "MsgQuery", query }),
  result: (result: Uint8Array): Message => ({ protocol: p, _tag: "MsgResult", result }),
  release: (): Message => ({ protocol: p, _tag: "MsgRelease" }),
  reAcquire: (target: Target): Message => ({ protocol: p, _tag: "MsgReAcquire", target }),
  done: (): Message => ({ protocol: p, _tag: "MsgDone" })
} as const

/**
 * Acquire targets.
 *
 * @category constructors
 * @since 0.1.0
 */
export const target = {
  point: (point: Point): Target => ({ _tag: "Point", point }),
  volatileTip: { _tag: "VolatileTip" } as Target,
  immutableTip: { _tag: "ImmutableTip" } as Target
} as const

/**
 * The era-independent queries, as the CBOR bytes `MsgQuery` carries.
 *
 * @category constructors
 * @since 0.1.0
 */
export const Query = {
  /** `[1]`: the chain's system start. */
  getSystemStart: (): Uint8Array => Cbor.encode([1]),
  /** `[2]`: the block number of the chain tip. */
  getChainBlockNo: (): Uint8Array => Cbor.encode([2]),
  /** `[3]`: the point of the chain tip. */
  getChainPoint: (): Uint8Array => Cbor.encode([3]),
  /** `[0, [2, [1]]]`: the hard-fork combinator's current era. */
  getCurrentEra: (): Uint8Array => Cbor.encode([0, [2, [1]]]),
  /**
   * `[0, [0, [era, [1]]]]`: the epoch number, asked of the given era (era index 1 Shelley ... 6
   * Conway); the node answers with an era mismatch when that era is not the current one.
   */
  getEpochNo: (era: number): Uint8Array => Cbor.encode([0, [0, [era, [1]]]])
} as const

/**
 * Readers of the results of the {@link Query} helpers; each throws nothing and returns `undefined`
 * when the result is not of the expected shape.
 *
 * @example
 * ```ts
 * import { LocalStateQuery } from "@pallas-network2/core/protocol"
 * // the answer to a GetChainPoint query
 * const chainPointOf = (message: LocalStateQuery.Message) =>
 *   message._tag === "MsgResult" ? LocalStateQuery.Results.chainPoint(message.result) : undefined
 * ```
 *
 * @category decoding
 * @since 0.1.0
 */
export const Results = {
  /** `[year, dayOfYear, picosecondsOfDay]`. */
  systemStart: (result: Uint8Array): { year: number; dayOfYear: number; picosecondsOfDay: bigint } | undefined => {
    const v = safe(result)
    if (!Array.isArray(v) || v.length !== 3) return undefined
    const [y, d, ps] = v as Array<Cbor.Value>
    if (typeof y !== "number" || typeof d !== "number" || (typeof ps !== "number" && typeof ps !== "bigint")) return undefined
    return { year: y, dayOfYear: d, picosecondsOfDay: BigInt(ps) }
  },
  /** A point (`[]` origin or `[slot, hash]`). */
  chainPoint: (result: Uint8Array): Point | undefined => {
    const v = safe(result)
    try {
      return v === undefined ? undefined : Point.fromCbor(v)
    } catch {
      return undefined
    }
  },
  /** `[0]` origin, `[1, blockNo]`. */
  chainBlockNo: (result: Uint8Array): number | "origin" | undefined => {
    const v = safe(result)
    if (!Array.isArray(v)) return undefined
    if (v.length === 1 && v[0] === 0) return "origin"
    return v.length === 2 && v[0] === 1 && typeof v[1] === "number" ? v[1] : undefined
  },
  /** The era index. */
  currentEra: (result: Uint8Array): number | undefined => {
    const v = safe(result)
    return typeof v === "number" ? v : undefined
  },
  /** `[epochNo]` when the era matched. */
  epochNo: (result: Uint8Array): number | undefined => {
    const v = safe(result)
    return Array.isArray(v) && v.length === 1 && typeof v[0] === "number" ? v[0] : undefined
  }
} as const

const safe = (bytes: Uint8Array): Cbor.Value | undefined => {
  try {
    return Cbor.decode(bytes)
  } catch {
    return undefined
  }
}

const targetToCbor = (t: Target, tags: readonly [number, number, number]): Cbor.Value =>
  t._tag === "Point" ? [tags[0], Point.toCbor(t.point)] : t._tag === "VolatileTip" ? [tags[1]] : [tags[2]]

/**
 * The CBOR codec (exact bytes).
 *
 * @category encoding
 * @since 0.1.0
 */
export const codec = withRaw<Message>((rawSecond) =>
  C.makeCodec<Message, typeof MessageSchema>(
    p,
    MessageSchema,
    (m) => {
      switch (m._tag) {
        case "MsgAcquire":
          return targetToCbor(m.target, [0, 8, 10])
        case "MsgAcquired":
          return [1]
        case "MsgFailure":
          return [2, m.failure]
        case "MsgQuery":
          return [3, Cbor.decode(m.query)]
        case "MsgResult":
          return [4, Cbor.decode(m.result)]
        case "MsgRelease":
          return [5]
        case "MsgReAcquire":
          return targetToCbor(m.target, [6, 9, 11])
        case "MsgDone":
          return [7]
      }
    },
    (v) => {
      const [t, a] = C.messageTag(v, p)
      const n = (len: number, what: string) => C.arrayOf(v, len, what)
      switch (t) {
        case 0:
          n(2, "MsgAcquire")
          return make.acquire(target.point(Point.fromCbor(a[1]!)))
        case 8:
          n(1, "MsgAcquire")
          return make.acquire(target.volatileTip)
        case 10:
          n(1, "MsgAcquire")
          return make.acquire(target.immutableTip)
        case 1:
          n(1, "MsgAcquired")
          return make.acquired()
        case 2:
          n(2, "MsgFailure")
          return make.failure(C.uint(a[1]!, "failure", 1))
        case 3:
          n(2, "MsgQuery")
          return make.query(rawSecond(a[1]!))
        case 4:
          n(2, "MsgResult")
          return make.result(rawSecond(a[1]!))
        case 5:
          n(1, "MsgRelease")
          return make.release()
        case 6:
          n(2, "MsgReAcquire")
          return make.reAcquire(target.point(Point.fromCbor(a[1]!)))
        case 9:
          n(1, "MsgReAcquire")
          return make.reAcquire(target.volatileTip)
        case 11:
          n(1, "MsgReAcquire")
          return make.reAcquire(target.immutableTip)
        case 7:
          n(1, "MsgDone")
          return make.done()
        default:
          return C.fail(`local-state-query: unknown message tag ${t}`)
      }
    }
  )
)

const encode = (m: Message): Uint8Array =>
  m._tag === "MsgQuery" ? encodeTagged(3, m.query) : m._tag === "MsgResult" ? encodeTagged(4, m.result) : codec.encode(m)

/**
 * The local state query protocol: channel 7, no byte limits or timeouts.
 *
 * @category protocol
 * @since 0.1.0
 */
export const protocol: Protocol<Message> = {
  name: p,
  channel: 7,
  initialState: "Idle",
  states: {
    Idle: { agency: "client" },
    Acquiring: { agency: "server" },
    Acquired: { agency: "client" },
    Querying: { agency: "server" },
    Done: { agency: "nobody" }
  },
  transitions: [
    { from: "Idle", message: "MsgAcquire", to: "Acquiring" },
    { from: "Idle", message: "MsgDone", to: "Done" },
    { from: "Acquiring", message: "MsgAcquired", to: "Acquired" },
    { from: "Acquiring", message: "MsgFailure", to: "Idle" },
    { from: "Acquired", message: "MsgQuery", to: "Querying" },
    { from: "Acquired", message: "MsgRelease", to: "Idle" },
    { from: "Acquired", message: "MsgReAcquire", to: "Acquiring" },
    { from: "Querying", message: "MsgResult", to: "Acquired" }
  ],
  ingressLimit: 0xffffffff,
  maxInFlight: 1,
  schema: codec.schema,
  encode,
  decode: codec.decode
}

/** A readable name of a query, for the era-independent ones and the hard-fork queries. */
const describeQuery = (bytes: Uint8Array): unknown => {
  try {
    const v = Cbor.decode(bytes)
    if (!Array.isArray(v)) return undefined
    if (v.length === 1 && v[0] === 1) return "GetSystemStart"
    if (v.length === 1 && v[0] === 2) return "GetChainBlockNo"
    if (v.length === 1 && v[0] === 3) return "GetChainPoint"
    if (v.length === 2 && v[0] === 0 && Array.isArray(v[1])) {
      const b = v[1] as ReadonlyArray<Cbor.Value>
      if (b.length === 2 && b[0] === 2 && Array.isArray(b[1])) {
        const h = b[1] as ReadonlyArray<Cbor.Value>
        if (h.length === 1 && h[0] === 0) return { BlockQuery: { QueryHardFork: "GetInterpreter" } }
        if (h.length === 1 && h[0] === 1) return { BlockQuery: { QueryHardFork: "GetCurrentEra" } }
      }
    }
  } catch {
    // kept as bytes only
  }
  return undefined
}

const targetJson = (t: Target, tags: readonly [number, number]): Record<string, unknown> =>
  t._tag === "Point"
    ? { point: Point.toJson(t.point) }
    : t._tag === "VolatileTip"
    ? { target: `VolatileTip ([${tags[0]}])` }
    : { target: `ImmutableTip ([${tags[1]}])` }

/**
 * The JSON form the CLI prints.
 *
 * @category encoding
 * @since 0.1.0
 */
export const toJson = (m: Message): Record<string, unknown> => {
  switch (m._tag) {
    case "MsgAcquire":
      return { msg: m._tag, ...targetJson(m.target, [8, 10]) }
    case "MsgReAcquire":
      return { msg: m._tag, ...targetJson(m.target, [9, 11]) }
    case "MsgFailure":
      return {
        msg: m._tag,
        reason: m.failure === 0 ? "AcquireFailurePointTooOld(0)" : "AcquireFailurePointNotOnChain(1)"
      }
    case "MsgQuery": {
      const query = describeQuery(m.query)
      return query === undefined
        ? { msg: m._tag, query_cbor: Cbor.toHex(m.query) }
        : { msg: m._tag, query, query_cbor: Cbor.toHex(m.query) }
    }
    case "MsgResult":
      return { msg: m._tag, result_cbor: Cbor.toHex(m.result) }
    default:
      return { msg: m._tag }
  }
}
