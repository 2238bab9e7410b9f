/**
 * Types shared by the mini-protocols: points and tips of the chain, and the hard-fork-combinator
 * wrappings of headers, blocks and transactions, each kept as the exact bytes received.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"
import * as Cbor from "../cbor/Cbor.ts"
import { blake2b256 } from "../chain/Blake2b.ts"
import * as C from "./internal/codec.ts"

/**
 * A point on the chain: the origin, or a slot with the hash of the block there.
 *
 * @example
 * ```ts
 * import { Point } from "@pallas-network2/core/protocol/Common"
 * const genesis = Point.origin
 * const p = Point.specific(27756007, new Uint8Array(32))
 * ```
 *
 * @category models
 * @since 0.1.0
 */
export type Point =
  | { readonly _tag: "Origin" }
  | { readonly _tag: "Specific"; readonly slot: number; readonly hash: Uint8Array }

/**
 * The Schema of {@link Point}.
 *
 * @category schemas
 * @since 0.1.0
 */
export const PointSchema: Schema.Codec<Point> = Schema.Union([
  Schema.TaggedStruct("Origin", {}),
  Schema.TaggedStruct("Specific", { slot: Schema.Number, hash: Schema.Uint8Array })
])

/**
 * Constructors and helpers for {@link Point}.
 *
 * @category constructors
 * @since 0.1.0
 */
export const Point = {
  origin: { _tag: "Origin" } as Point,
  specific: (slot: number, hash: Uint8Array): Point => ({ _tag: "Specific", slot, hash }),
  /** `[]` or `[slot, hash]`. */
  toCbor: (p: Point): Cbor.Value => (p._tag === "Origin" ? [] : [p.slot, p.hash]),
  fromCbor: (v: Cbor.Value): Point => {
    const a = C.array(v, "point")
    if (a.length === 0) return Point.origin
    if (a.length !== 2) return C.fail("point: expected [] or [slot, hash]")
    return Point.specific(C.uint(a[0]!, "point slot"), C.bytes(a[1]!, "point hash"))
  },
  equals: (a: Point, b: Point): boolean =>
    a._tag === "Origin" ? b._tag === "Origin" : b._tag === "Specific" && a.slot === b.slot && bytesEqual(a.hash, b.hash),
  /** `"origin"` or `{ slot, hash }` (hash in hex), the form the CLI prints. */
  toJson: (p: Point): unknown => (p._tag === "Origin" ? "origin" : { slot: p.slot, hash: Cbor.toHex(p.hash) }),
  /** `SLOT.HASH` text, or `origin`. */
  toString: (p: Point): string => (p._tag === "Origin" ? "origin" : `${p.slot}.${Cbor.toHex(p.hash)}`),
  /** Parses `origin` or `SLOT.HASH`. */
  parse: (text: string): Point | undefined => {
    if (text === "origin") return Point.origin
    const m = /^(\d+)\.([0-9a-fA-F]{64})$/.exec(text)
    return m === null ? undefined : Point.specific(Number(m[1]), Cbor.fromHex(m[2]!)!)
  }
} as const

/**
 * The tip of a peer's chain: its last point and block number.
 *
 * @category models
 * @since 0.1.0
 */
export interface Tip {
  readonly point: Point
  readonly blockNo: number
}

/**
 * The Schema of {@link Tip}.
 *
 * @category schemas
 * @since 0.1.0
 */
export const TipSchema: Schema.Codec<Tip> = Schema.Struct({ point: PointSchema, blockNo: Schema.Number })

/**
 * Helpers for {@link Tip}.
 *
 * @category constructors
 * @since 0.1.0
 */
export const Tip = {
  make: (point: Point, blockNo: number): Tip => ({ point, blockNo }),
  origin: { point: { _tag: "Origin" }, blockNo: 0 } as Tip,
  /** `[point, blockNo]`. */
  toCbor: (t: Tip): Cbor.Value => [Point.toCbor(t.point), t.blockNo],
  fromCbor: (v: Cbor.Value): Tip => {
    const a = C.arrayOf(v, 2, "tip")
    return { point: Point.fromCbor(a[0]!), blockNo: C.uint(a[1]!, "tip block number") }
  },
  /** `{ slot, hash, blockNo }` (or `{ point: "origin", blockNo }`). */
  toJson: (t: Tip): unknown =>
    t.point._tag === "Origin"
      ? { point: "origin", blockNo: t.blockNo }
      : { slot: t.point.slot, hash: Cbor.toHex(t.point.hash), blockNo: t.blockNo }
} as const

/**
 * A node-to-node chain-sync header with its hard-fork wrapping: `[era, #6.24(bytes)]`, or for Byron
 * `[0, [[subtag, sizeHint], #6.24(bytes)]]`. `bytes` are exactly the header bytes received.
 *
 * @category models
 * @since 0.1.0
 */
export interface WrappedHeader {
  /** The era index: 0 Byron, 1 Shelley, 2 Allegra, 3 Mary, 4 Alonzo, 5 Babbage, 6 Conway, 7 Dijkstra. */
  readonly era: number
  /** Byron only: 0 for an epoch boundary block, 1 for a main block, and the block size hint. */
  readonly byron?: { readonly subtag: number; readonly sizeHint: number } | undefined
  readonly bytes: Uint8Array
}

/**
 * The Schema of {@link WrappedHeader}.
 *
 * @category schemas
 * @since 0.1.0
 */
export const WrappedHeaderSchema: Schema.Codec<WrappedHeader> = Schema.Struct({
  era: Schema.Number,
  byron: Schema.optional(Schema.UndefinedOr(Schema.Struct({ subtag: Schema.Number, sizeHint: Schema.Number }))),
  bytes: Schema.Uint8Array
})

/**
 * Codec helpers for {@link WrappedHeader}.
 *
 * @category encoding
 * @since 0.1.0
 */
export const WrappedHeader = {
  toCbor: (h: WrappedHeader): Cbor.Value =>
    h.byron === undefined
      ? [h.era, C.wrap24(h.bytes)]
      : [h.era, [[h.byron.subtag, h.byron.sizeHint], C.wrap24(h.bytes)]],
  fromCbor: (v: Cbor.Value): WrappedHeader => {
    const a = C.arrayOf(v, 2, "header")
    const era = C.uint(a[0]!, "header era", 0xff)
    if (era === 0) {
      const inner = C.arrayOf(a[1]!, 2, "byron header")
      const prefix = C.arrayOf(inner[0]!, 2, "byron header prefix")
      return {
        era,
        byron: { subtag: C.uint(prefix[0]!, "byron subtag", 0xff), sizeHint: C.uint(prefix[1]!, "byron size hint") },
        bytes: C.tag24(inner[1]!, "byron header")
      }
    }
    return { era, bytes: C.tag24(a[1]!, "header") }
  }
} as const

/**
 * A block as block-fetch and local chain-sync carry it: `#6.24(bytes)` where `bytes` is the CBOR
 * `[blockTag, block]` exactly as received. `tag` is read from those bytes (0 Byron boundary block,
 * 1 Byron main, 2 Shelley, 3 Allegra, 4 Mary, 5 Alonzo, 6 Babbage, 7 Conway), or -1 when the bytes do
 * not start with such a pair.
 *
 * @category models
 * @since 0.1.0
 */
export interface WrappedBlock {
  readonly tag: number
  readonly bytes: Uint8Array
}

/**
 * The Schema of {@link WrappedBlock}.
 *
 * @category schemas
 * @since 0.1.0
 */
export const WrappedBlockSchema: Schema.Codec<WrappedBlock> = Schema.Struct({
  tag: Schema.Number,
  bytes: Schema.Uint8Array
})

/**
 * Helpers for {@link WrappedBlock}.
 *
 * @category encoding
 * @since 0.1.0
 */
export const WrappedBlock = {
  /** Wraps block bytes (`[blockTag, block]`), reading the tag from them. */
  fromBytes: (bytes: Uint8Array): WrappedBlock => ({ tag: blockTagOf(bytes), bytes }),
  toCbor: (b: WrappedBlock): Cbor.Value => C.wrap24(b.bytes),
  /** The bytes `toCbor` wraps in tag 24 (a message `[tag, #6.24(block)]` is written from them). */
  wrapped: (b: WrappedBlock): Uint8Array => b.bytes,
  /** What `fromCbor` makes of `#6.24(bytes)`, from the bytes (such a message is read without a value tree). */
  unwrapped: (bytes: Uint8Array): WrappedBlock => WrappedBlock.fromBytes(bytes),
  fromCbor: (v: Cbor.Value): WrappedBlock => WrappedBlock.fromBytes(C.tag24(v, "block"))
} as const

/**
 * Reads the block tag of `[blockTag, block]` bytes without decoding the block: -1 if absent.
 *
 * @category encoding
 * @since 0.1.0
 */
export const blockTagOf = (bytes: Uint8Array): number =>
  bytes.length >= 2 && bytes[0] === 0x82 && bytes[1]! < 24 ? bytes[1]! : -1

/**
 * The kinds of a Byron-era "transaction" (what the Byron mempool holds), the tag of its
 * `[kind, payload]` pair and of its id's `[kind, hash]` pair: 0 a transaction, 1 a delegation
 * certificate, 2 an update proposal, 3 an update vote.
 *
 * @category constants
 * @since 0.1.0
 */
export const ByronTxKind = { Tx: 0, DelegationCertificate: 1, UpdateProposal: 2, UpdateVote: 3 } as const

/**
 * A transaction with its era (the hard-fork combinator's GenTx), the same in tx-submission2, local
 * tx-submission and local tx-monitor: Shelley and later `[era, #6.24(bytes)]`, `bytes` the
 * transaction exactly as carried; Byron (era 0) `[0, [kind, payload]]`, not wrapped in tag 24, and
 * `bytes` are then the CBOR of the `[kind, payload]` pair (kind: {@link ByronTxKind}; a transaction's
 * payload is `[tx, witnesses]`). A Byron pair is read into a CBOR tree and written again, which gives
 * back the bytes received when they use the shortest heads, as every reference encoder writes them.
 *
 * @example
 * ```ts
 * import { EraTx } from "@pallas-network2/core/protocol/Common"
 * import { Cbor } from "@pallas-network2/core"
 * const conway: EraTx = { era: 6, bytes: new Uint8Array([0x84, 0xa0, 0xa0, 0xf5, 0xf6]) }
 * Cbor.encode(EraTx.toCbor(conway)) // 82 06 d8 18 45 84a0a0f5f6
 * const byron = EraTx.byron(0, Cbor.encode([[], []]))
 * Cbor.encode(EraTx.toCbor(byron)) // 82 00 82 00 82 80 80
 * ```
 *
 * @category models
 * @since 0.1.0
 */
export interface EraTx {
  readonly era: number
  readonly bytes: Uint8Array
}

/**
 * The Schema of {@link EraTx}.
 *
 * @category schemas
 * @since 0.1.0
 */
export const EraTxSchema: Schema.Codec<EraTx> = Schema.Struct({ era: Schema.Number, bytes: Schema.Uint8Array })

const byronPair = (v: Cbor.Value, what: string): readonly [number, Cbor.Value] => {
  const pair = C.arrayOf(v, 2, `Byron ${what} ([kind, ...], not tag 24)`)
  return [C.uint(pair[0]!, `Byron ${what} kind`, 3), pair[1]!]
}

/** The bytes of the first item inside the array that starts `bytes` (a transaction's body or Byron tx). */
const firstItem = (bytes: Uint8Array): Uint8Array | undefined => {
  const head = bytes[0]
  if (head === undefined || head >> 5 !== 4) return undefined
  const info = head & 0x1f
  const start = info < 24 ? 1 : info === 24 ? 2 : info === 25 ? 3 : info === 26 ? 5 : info === 31 ? 1 : -1
  if (start < 0 || start >= bytes.length) return undefined
  try {
    const end = Cbor.itemEnd(bytes, start)
    return end > start ? bytes.subarray(start, end) : undefined
  } catch {
    return undefined
  }
}

/**
 * Codec helpers for {@link EraTx}.
 *
 * @category encoding
 * @since 0.1.0
 */
export const EraTx = {
  /** A Byron-era transaction from its kind and the exact CBOR bytes of its payload. */
  byron: (kind: number, payload: Uint8Array): EraTx => {
    const k = Cbor.encode(kind)
    const out = new Uint8Array(1 + k.length + payload.length)
    out[0] = 0x82
    out.set(k, 1)
    out.set(payload, 1 + k.length)
    return { era: 0, bytes: out }
  },
  /** The kind of a Byron-era transaction ({@link ByronTxKind}), or undefined for later eras. */
  byronKind: (t: EraTx): number | undefined => {
    if (t.era !== 0) return undefined
    return t.bytes.length >= 2 && t.bytes[0] === 0x82 && t.bytes[1]! < 24 ? t.bytes[1]! : undefined
  },
  toCbor: (t: EraTx): Cbor.Value => (t.era === 0 ? [0, Cbor.decode(t.bytes)] : [t.era, C.wrap24(t.bytes)]),
  fromCbor: (v: Cbor.Value): EraTx => {
    const a = C.arrayOf(v, 2, "tx")
    const era = C.uint(a[0]!, "tx era", 0xff)
    if (era === 0) {
      const [kind, payload] = byronPair(a[1]!, "transaction")
      return { era, bytes: Cbor.encode([kind, payload]) }
    }
    return { era, bytes: C.tag24(a[1]!, "tx") }
  },
  /**
   * The id of a transaction, as the node computes it: Shelley and later, blake2b-256 of the body (the
   * first item of the transaction's bytes); Byron, blake2b-256 of the `tx` of a `[tx, witnesses]`
   * payload, or of the whole payload for a certificate, proposal or vote, with its kind.
   */
  txId: (t: EraTx): EraTxId => {
    if (t.era === 0) {
      const kind = EraTx.byronKind(t)
      const payload = t.bytes.subarray(2)
      const hashed = kind === ByronTxKind.Tx ? firstItem(payload) ?? payload : payload
      return kind === undefined
        ? { era: 0, txId: blake2b256(t.bytes) }
        : { era: 0, txId: blake2b256(hashed), byronKind: kind }
    }
    return { era: t.era, txId: blake2b256(firstItem(t.bytes) ?? t.bytes) }
  },
  toJson: (t: EraTx): unknown =>
    t.era === 0
      ? { era: 0, byron_kind: EraTx.byronKind(t), byron_cbor: Cbor.toHex(t.bytes) }
      : { era: t.era, tx_cbor_tag24: Cbor.toHex(t.bytes) }
} as const

/**
 * A transaction id with its era (the hard-fork combinator's GenTxId): Shelley and later
 * `[era, txId]`; Byron `[0, [kind, txId]]`, the kind ({@link ByronTxKind}) in `byronKind`. A Byron id
 * read without a kind (`[0, txId]`, which the reference does not write) is kept so and written back so.
 *
 * @category models
 * @since 0.1.0
 */
export interface EraTxId {
  readonly era: number
  readonly txId: Uint8Array
  /** Byron only: the kind of the transaction the id names. */
  readonly byronKind?: number | undefined
}

/**
 * The Schema of {@link EraTxId}.
 *
 * @category schemas
 * @since 0.1.0
 */
export const EraTxIdSchema: Schema.Codec<EraTxId> = Schema.Struct({
  era: Schema.Number,
  txId: Schema.Uint8Array,
  byronKind: Schema.optional(Schema.UndefinedOr(Schema.Number))
})

/**
 * Codec helpers for {@link EraTxId}.
 *
 * @category encoding
 * @since 0.1.0
 */
export const EraTxId = {
  toCbor: (t: EraTxId): Cbor.Value =>
    t.era === 0 && t.byronKind !== undefined ? [0, [t.byronKind, t.txId]] : [t.era, t.txId],
  fromCbor: (v: Cbor.Value): EraTxId => {
    const a = C.arrayOf(v, 2, "tx id")
    const era = C.uint(a[0]!, "tx id era", 0xff)
    if (era === 0 && Array.isArray(a[1])) {
      const [kind, hash] = byronPair(a[1], "tx id")
      return { era, txId: C.bytes(hash, "Byron tx id hash"), byronKind: kind }
    }
    return { era, txId: C.bytes(a[1]!, "tx id") }
  },
  equals: (a: EraTxId, b: EraTxId): boolean => a.era === b.era && a.byronKind === b.byronKind && bytesEqual(a.txId, b.txId),
  toJson: (t: EraTxId): unknown =>
    t.byronKind === undefined
      ? { era: t.era, txid: Cbor.toHex(t.txId) }
      : { era: t.era, byron_kind: t.byronKind, txid: Cbor.toHex(t.txId) }
} as const

/**
 * Byte-wise equality of two byte arrays.
 *
 * @category utils
 * @since 0.1.0
 */
export const bytesEqual = (a: Uint8Array, b: Uint8Array): boolean => {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}
