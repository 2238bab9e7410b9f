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
import * as M from "./internal/messages.ts"

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

const targetField: M.Field<typeof Target> = { schema: Target }

/** MsgAcquire and MsgReAcquire: one message, three wire tags (a point, the volatile tip, the immutable tip). */
const targetWire = (name: string, tags: readonly [number, number, number]): M.Wire<{ readonly target: Target }> => ({
  tags,
  toCbor: (m) => m.target._tag === "Point" ? [tags[0], Point.toCbor(m.target.point)] : [m.target._tag === "VolatileTip" ? tags[1] : tags[2]],
  fromCbor: (t, a, v) => {
    C.arrayOf(v, t === tags[0] ? 2 : 1, name)
    return [t === tags[0] ? target.point(Point.fromCbor(a[1]!)) : t === tags[1] ? target.volatileTip : target.immutableTip]
  }
})

const targetJson = (t: Target, tags: readonly [number, number]): Record<string, unknown> =>
  t._tag === "Point"
    ? { point: Point.toJson(t.point) }
    : t._tag === "VolatileTip"
    ? { target: `VolatileTip ([${tags[0]}])` }
    : { target: `ImmutableTip ([${tags[1]}])` }

const localStateQuery = M.protocol({
  name: "local-state-query",
  channel: 7,
  ingressLimit: 0xffffffff,
  maxInFlight: 1,
  messages: [
    M.msg(0, "MsgAcquire", "acquire", [["target", targetField]], {
      wire: targetWire("MsgAcquire", [0, 8, 10]),
      json: (m) => targetJson(m.target, [8, 10])
    }),
    M.msg(1, "MsgAcquired", "acquired", []),
    M.msg(2, "MsgFailure", "failure", [[
      "failure",
      M.withJson(M.F.uint("failure", 1), "reason", (f) => f === 0 ? "AcquireFailurePointTooOld(0)" : "AcquireFailurePointNotOnChain(1)")
    ]]),
    M.msg(3, "MsgQuery", "query", [["query", M.F.raw()]], {
      json: (m) => {
        const query = describeQuery(m.query)
        return query === undefined ? { query_cbor: Cbor.toHex(m.query) } : { query, query_cbor: Cbor.toHex(m.query) }
      }
    }),
    M.msg(4, "MsgResult", "result", [["result", M.withJson(M.F.raw(), "result_cbor")]]),
    M.msg(5, "MsgRelease", "release", []),
    M.msg(6, "MsgReAcquire", "reAcquire", [["target", targetField]], {
      wire: targetWire("MsgReAcquire", [6, 9, 11]),
      json: (m) => targetJson(m.target, [9, 11])
    }),
    M.msg(7, "MsgDone", "done", [])
  ],
  // node-to-client: no byte limits or timeouts
  initialState: "Idle",
  states: { Idle: "client", Acquiring: "server", Acquired: "client", Querying: "server", Done: "nobody" },
  transitions: {
    Idle: { MsgAcquire: "Acquiring", MsgDone: "Done" },
    Acquiring: { MsgAcquired: "Acquired", MsgFailure: "Idle" },
    Acquired: { MsgQuery: "Querying", MsgRelease: "Idle", MsgReAcquire: "Acquiring" },
    Querying: { MsgResult: "Acquired" }
  }
})

/**
 * The local state query messages, a Schema each:
 * - `MsgAcquire`, client: acquires the ledger state at a point, the volatile tip or the immutable
 *   tip. `[0, point]` / `[8]` / `[10]`.
 * - `MsgAcquired`, server: the state is held. `[1]`.
 * - `MsgFailure`, server: 0 point too old, 1 point not on chain. `[2, failure]`.
 * - `MsgQuery`, client: a query, as exact CBOR bytes. `[3, query]`.
 * - `MsgResult`, server: its result, as exact CBOR bytes. `[4, result]`.
 * - `MsgRelease`, client: releases the state. `[5]`.
 * - `MsgReAcquire`, client: acquires another state while one is held. `[6, point]` / `[9]` / `[11]`.
 * - `MsgDone`, client: ends the protocol. `[7]`.
 *
 * @category schemas
 * @since 0.1.0
 */
export const { MsgAcquire, MsgAcquired, MsgFailure, MsgQuery, MsgResult, MsgRelease, MsgReAcquire, MsgDone } =
  localStateQuery.schemas

/**
 * The local state query protocol (channel 7, no byte limits or timeouts) and its messages:
 * `MessageSchema` (every message), `make` (their constructors), `codec` (the exact CBOR codec) and
 * `toJson` (the JSON form the CLI prints, naming the era-independent and hard-fork queries).
 *
 * @category protocols
 * @since 0.1.0
 */
export const { protocol, MessageSchema, make, codec, toJson } = localStateQuery

/**
 * A local state query message.
 *
 * @category models
 * @since 0.1.0
 */
export type Message = typeof MessageSchema.Type

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
    const v = C.decodeOrUndefined(result)
    if (!Array.isArray(v) || v.length !== 3) return undefined
    const [y, d, ps] = v as Array<Cbor.Value>
    if (typeof y !== "number" || typeof d !== "number" || (typeof ps !== "number" && typeof ps !== "bigint")) return undefined
    return { year: y, dayOfYear: d, picosecondsOfDay: BigInt(ps) }
  },
  /** A point (`[]` origin or `[slot, hash]`). */
  chainPoint: (result: Uint8Array): Point | undefined => {
    const v = C.decodeOrUndefined(result)
    try {
      return v === undefined ? undefined : Point.fromCbor(v)
    } catch {
      return undefined
    }
  },
  /** `[0]` origin, `[1, blockNo]`. */
  chainBlockNo: (result: Uint8Array): number | "origin" | undefined => {
    const v = C.decodeOrUndefined(result)
    if (!Array.isArray(v)) return undefined
    if (v.length === 1 && v[0] === 0) return "origin"
    return v.length === 2 && v[0] === 1 && typeof v[1] === "number" ? v[1] : undefined
  },
  /** The era index. */
  currentEra: (result: Uint8Array): number | undefined => {
    const v = C.decodeOrUndefined(result)
    return typeof v === "number" ? v : undefined
  },
  /** `[epochNo]` when the era matched. */
  epochNo: (result: Uint8Array): number | undefined => {
    const v = C.decodeOrUndefined(result)
    return Array.isArray(v) && v.length === 1 && typeof v[0] === "number" ? v[0] : undefined
  }
} as const

/** A readable name of a query, for the era-independent ones and the hard-fork queries (else the JSON has its bytes only). */
const describeQuery = (bytes: Uint8Array): unknown => {
  const v = C.decodeOrUndefined(bytes)
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
  return undefined
}
