/**
 * Proving a block as received against its header, for every era, before anyone sees it: the
 * block's hash is the point asked for (and the chain-sync header's, where there is one), and its
 * body is the one the header commits to. Every hash is taken over slices of the bytes as received,
 * never over a re-encoding.
 *
 * - Shelley, Allegra, Mary: the header body's block body hash is blake2b-256 over the concatenated
 *   blake2b-256 hashes of the three body parts (transaction bodies, witness sets, auxiliary data).
 * - Alonzo, Babbage, Conway: the same over four parts (adding the invalid transactions).
 * - Byron main blocks: the header's body proof: the transaction count, the Merkle root of the
 *   transactions (leaves blake2b-256(0x00 || tx), branches blake2b-256(0x01 || left || right), the
 *   empty tree blake2b-256 of nothing), the witnesses hash (blake2b-256 of the witness lists as an
 *   indefinite CBOR list), the delegation and update payload hashes; the SSC proof is checked for
 *   shape (the same variant as the payload), as its hashes are over a map encoding the body does not
 *   carry (the reference ignores it altogether).
 * - Byron boundary blocks: the header's body proof is blake2b-256 of the body.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import * as Cbor from "../cbor/Cbor.ts"
import { bytesEqual, type Point, type WrappedHeader } from "../protocol/Common.ts"
import { hash } from "./Blake2b.ts"
import * as Block from "./Block.ts"

/**
 * Why a block is refused.
 *
 * - `Unreadable`: the bytes are not a block of a known era and shape.
 * - `UnknownEra`: a block tag past Conway: its body cannot be proven.
 * - `PointMismatch`: the block's hash or slot is not the point asked for.
 * - `HeaderMismatch`: the block's header is not the header chain-sync announced.
 * - `BodyHashMismatch`: Shelley and later, the body parts do not hash to the header's block body hash.
 * - `TxProofMismatch`: Byron, the transactions do not match the count, Merkle root or witnesses hash.
 * - `SscProofMismatch`: Byron, the SSC proof is not of the payload's variant.
 * - `DelegationProofMismatch`, `UpdateProofMismatch`: Byron, those payloads do not hash to their proofs.
 * - `BoundaryBodyMismatch`: Byron boundary block, the body does not hash to the header's body proof.
 *
 * @category errors
 * @since 0.1.0
 */
export class BlockProofError extends Schema.TaggedError<BlockProofError>()("BlockProofError", {
  reason: Schema.Literals([
    "Unreadable",
    "UnknownEra",
    "PointMismatch",
    "HeaderMismatch",
    "BodyHashMismatch",
    "TxProofMismatch",
    "SscProofMismatch",
    "DelegationProofMismatch",
    "UpdateProofMismatch",
    "BoundaryBodyMismatch"
  ]),
  detail: Schema.String
}) {
  override get message(): string {
    return `${this.reason}: ${this.detail}`
  }
}

/**
 * What a block is checked against besides its own header: the point asked for and the header
 * chain-sync announced for it, each when known.
 *
 * @category models
 * @since 0.1.0
 */
export interface Expected {
  readonly point?: Point | undefined
  readonly header?: WrappedHeader | undefined
}

type Reason = BlockProofError["reason"]

const refuse = (reason: Reason, detail: string): never => {
  throw new BlockProofError({ reason, detail })
}

const EMPTY = new Uint8Array(0)
const LEAF = new Uint8Array([0x00])
const BRANCH = new Uint8Array([0x01])
const INDEF_ARRAY = new Uint8Array([0x9f])
const BREAK = new Uint8Array([0xff])

const h256 = (...parts: ReadonlyArray<Uint8Array>): Uint8Array => hash(parts, 32)

/** The end of the item at `pos`, or a refusal. */
const end = (bytes: Uint8Array, pos: number, limit: number, what: string): number => {
  let e: number
  try {
    e = Cbor.itemEnd(bytes, pos, limit)
  } catch {
    e = -1
  }
  if (e < 0) refuse("Unreadable", `${what} is not well-formed CBOR`)
  return e
}

/**
 * The spans of the elements of the array at `[start, limit)` (definite or indefinite), after an
 * optional tag when `allowTag`. Spans are pairs of offsets into `bytes`.
 */
const items = (bytes: Uint8Array, start: number, limit: number, what: string, allowTag = false): Array<number> => {
  let pos = start
  let initial = bytes[pos]
  if (allowTag && initial !== undefined && initial >> 5 === 6) {
    const info = initial & 0x1f
    pos += info < 24 ? 1 : info === 24 ? 2 : info === 25 ? 3 : info === 26 ? 5 : 9
    initial = bytes[pos]
  }
  if (initial === undefined || initial >> 5 !== 4) return refuse("Unreadable", `${what} is not an array`)
  const info = initial & 0x1f
  pos++
  const out: Array<number> = []
  if (info === 31) {
    while (pos < limit && bytes[pos] !== 0xff) {
      const e = end(bytes, pos, limit, what)
      out.push(pos, e)
      pos = e
    }
    if (pos >= limit) refuse("Unreadable", `${what} is truncated`)
    return out
  }
  let count = info
  if (info === 24) count = bytes[pos++]!
  else if (info === 25) {
    count = (bytes[pos]! << 8) | bytes[pos + 1]!
    pos += 2
  } else if (info === 26) {
    count = bytes[pos]! * 0x1000000 + ((bytes[pos + 1]! << 16) | (bytes[pos + 2]! << 8) | bytes[pos + 3]!)
    pos += 4
  } else if (info > 26) return refuse("Unreadable", `${what} is too long`)
  if (count > limit - pos) refuse("Unreadable", `${what} is truncated`)
  for (let i = 0; i < count; i++) {
    const e = end(bytes, pos, limit, what)
    out.push(pos, e)
    pos = e
  }
  return out
}

/** The 32 bytes of the byte string at `[start, stop)`, or a refusal. */
const hash32 = (bytes: Uint8Array, start: number, stop: number, what: string): Uint8Array => {
  if (stop - start !== 34 || bytes[start] !== 0x58 || bytes[start + 1] !== 0x20) {
    return refuse("Unreadable", `${what} is not a 32-byte hash`)
  }
  return bytes.subarray(start + 2, stop)
}

const short = (b: Uint8Array): string => Cbor.toHex(b.subarray(0, 8))

/** The small unsigned integer at `pos` (major type 0, up to 32 bits), or -1. */
const uintAt = (bytes: Uint8Array, pos: number): number => {
  const initial = bytes[pos]
  if (initial === undefined || initial >> 5 !== 0) return -1
  const info = initial & 0x1f
  if (info < 24) return info
  if (info === 24) return bytes[pos + 1]!
  if (info === 25) return (bytes[pos + 1]! << 8) | bytes[pos + 2]!
  if (info === 26) return bytes[pos + 1]! * 0x1000000 + ((bytes[pos + 2]! << 16) | (bytes[pos + 3]! << 8) | bytes[pos + 4]!)
  return -1
}

// ---- Shelley and later ----------------------------------------------------------------------------

const proveShelley = (bytes: Uint8Array, tag: number, start: number, stop: number): void => {
  const parts = tag <= 4 ? 3 : 4
  const block = items(bytes, start, stop, "the block")
  if (block.length !== 2 * (1 + parts)) {
    refuse("Unreadable", `a block of this era has ${1 + parts} elements, not ${block.length / 2}`)
  }
  const header = items(bytes, block[0]!, block[1]!, "the header")
  if (header.length !== 4) refuse("Unreadable", "the header is not [header body, signature]")
  const fields = items(bytes, header[0]!, header[1]!, "the header body")
  // Shelley to Alonzo: 15 fields, the body hash 9th; Babbage and Conway: 10 fields, the body hash 8th
  const [count, index] = tag <= 5 ? [15, 8] : [10, 7]
  if (fields.length !== 2 * count) refuse("Unreadable", `a header body of this era has ${count} fields, not ${fields.length / 2}`)
  const claimed = hash32(bytes, fields[2 * index]!, fields[2 * index + 1]!, "the block body hash")
  const hashes: Array<Uint8Array> = []
  for (let i = 1; i <= parts; i++) hashes.push(h256(bytes.subarray(block[2 * i]!, block[2 * i + 1]!)))
  const actual = hash(hashes, 32)
  if (!bytesEqual(actual, claimed)) {
    refuse("BodyHashMismatch", `the body hashes to ${short(actual)}.., the header claims ${short(claimed)}..`)
  }
}

// ---- Byron ----------------------------------------------------------------------------------------

/** The largest power of two strictly below `n` (n >= 2). */
const splitPoint = (n: number): number => {
  let p = 1
  while (p * 2 < n) p *= 2
  return p
}

/** The Merkle root of the transactions whose spans are `spans[2i], spans[2i+1]` for i in [from, to). */
const merkle = (bytes: Uint8Array, spans: ReadonlyArray<number>, from: number, to: number): Uint8Array => {
  const n = to - from
  if (n === 1) return h256(LEAF, bytes.subarray(spans[2 * from]!, spans[2 * from + 1]!))
  const mid = from + splitPoint(n)
  return h256(BRANCH, merkle(bytes, spans, from, mid), merkle(bytes, spans, mid, to))
}

const proveByronMain = (bytes: Uint8Array, start: number, stop: number): void => {
  const block = items(bytes, start, stop, "the block")
  if (block.length !== 6) refuse("Unreadable", "a Byron block is [header, body, extra]")
  const header = items(bytes, block[0]!, block[1]!, "the header")
  if (header.length !== 10) refuse("Unreadable", "a Byron header has 5 elements")
  const proof = items(bytes, header[4]!, header[5]!, "the body proof")
  if (proof.length !== 8) refuse("Unreadable", "a Byron body proof has 4 elements")
  const body = items(bytes, block[2]!, block[3]!, "the body")
  if (body.length !== 8) refuse("Unreadable", "a Byron body has 4 elements")

  // transactions: [count, Merkle root, witnesses hash] against [[tx, witnesses], ...]
  const txProof = items(bytes, proof[0]!, proof[1]!, "the transactions proof")
  if (txProof.length !== 6) refuse("Unreadable", "a Byron transactions proof has 3 elements")
  const claimedCount = uintAt(bytes, txProof[0]!)
  const claimedRoot = hash32(bytes, txProof[2]!, txProof[3]!, "the Merkle root")
  const claimedWitnesses = hash32(bytes, txProof[4]!, txProof[5]!, "the witnesses hash")
  const txAux = items(bytes, body[0]!, body[1]!, "the transactions")
  const n = txAux.length / 2
  if (claimedCount !== n) refuse("TxProofMismatch", `the body holds ${n} transactions, the header claims ${claimedCount}`)
  const txs: Array<number> = []
  const witnessParts: Array<Uint8Array> = [INDEF_ARRAY]
  for (let i = 0; i < n; i++) {
    const pair = items(bytes, txAux[2 * i]!, txAux[2 * i + 1]!, `transaction ${i}`)
    if (pair.length !== 4) refuse("Unreadable", `transaction ${i} is not [tx, witnesses]`)
    txs.push(pair[0]!, pair[1]!)
    witnessParts.push(bytes.subarray(pair[2]!, pair[3]!))
  }
  witnessParts.push(BREAK)
  const root = n === 0 ? h256(EMPTY) : merkle(bytes, txs, 0, n)
  if (!bytesEqual(root, claimedRoot)) {
    refuse("TxProofMismatch", `the transactions' Merkle root is ${short(root)}.., the header claims ${short(claimedRoot)}..`)
  }
  const witnesses = hash(witnessParts, 32)
  if (!bytesEqual(witnesses, claimedWitnesses)) {
    refuse("TxProofMismatch", `the witnesses hash to ${short(witnesses)}.., the header claims ${short(claimedWitnesses)}..`)
  }

  // SSC: the proof is of the payload's variant (0 commitments, 1 openings, 2 shares, 3 certificates)
  const sscProof = items(bytes, proof[2]!, proof[3]!, "the SSC proof")
  const sscPayload = items(bytes, body[2]!, body[3]!, "the SSC payload")
  const proofVariant = sscProof.length >= 2 ? uintAt(bytes, sscProof[0]!) : -1
  const payloadVariant = sscPayload.length >= 2 ? uintAt(bytes, sscPayload[0]!) : -1
  if (proofVariant < 0 || proofVariant > 3 || sscProof.length !== (proofVariant === 3 ? 4 : 6)) {
    refuse("Unreadable", "the SSC proof is not one of its four variants")
  }
  for (let i = 2; i < sscProof.length; i += 2) hash32(bytes, sscProof[i]!, sscProof[i + 1]!, "an SSC proof hash")
  if (payloadVariant !== proofVariant) {
    refuse("SscProofMismatch", `the SSC payload is of variant ${payloadVariant}, its proof of variant ${proofVariant}`)
  }

  // delegation and update payloads: each hashed as received
  const dlgClaimed = hash32(bytes, proof[4]!, proof[5]!, "the delegation proof")
  const dlg = h256(bytes.subarray(body[4]!, body[5]!))
  if (!bytesEqual(dlg, dlgClaimed)) {
    refuse("DelegationProofMismatch", `the delegation payload hashes to ${short(dlg)}.., the header claims ${short(dlgClaimed)}..`)
  }
  const updClaimed = hash32(bytes, proof[6]!, proof[7]!, "the update proof")
  const upd = h256(bytes.subarray(body[6]!, body[7]!))
  if (!bytesEqual(upd, updClaimed)) {
    refuse("UpdateProofMismatch", `the update payload hashes to ${short(upd)}.., the header claims ${short(updClaimed)}..`)
  }
}

const proveByronBoundary = (bytes: Uint8Array, start: number, stop: number): void => {
  const block = items(bytes, start, stop, "the block")
  if (block.length !== 6) refuse("Unreadable", "a Byron boundary block is [header, body, extra]")
  const header = items(bytes, block[0]!, block[1]!, "the header")
  if (header.length !== 10) refuse("Unreadable", "a Byron boundary header has 5 elements")
  const claimed = hash32(bytes, header[4]!, header[5]!, "the body proof")
  const actual = h256(bytes.subarray(block[2]!, block[3]!))
  if (!bytesEqual(actual, claimed)) {
    refuse("BoundaryBodyMismatch", `the body hashes to ${short(actual)}.., the header claims ${short(claimed)}..`)
  }
}

// ---- entry points ---------------------------------------------------------------------------------

/**
 * Checks that the body of a parsed block matches its header (the era's rule, see the module
 * documentation), over the block's bytes as received. Throws {@link BlockProofError}.
 *
 * @category checking
 * @since 0.1.0
 */
export const proveBody = (block: Block.ChainBlock): void => {
  const bytes = block.bytes
  const outer = items(bytes, 0, bytes.length, "the block envelope")
  if (outer.length !== 4 || outer[3] !== bytes.length) refuse("Unreadable", "a block is [blockTag, block] and nothing after")
  const tag = uintAt(bytes, outer[0]!)
  const start = outer[2]!
  const stop = outer[3]!
  if (tag === 0) proveByronBoundary(bytes, start, stop)
  else if (tag === 1) proveByronMain(bytes, start, stop)
  else if (tag >= 2 && tag <= 7) proveShelley(bytes, tag, start, stop)
  else refuse("UnknownEra", `block tag ${tag} is not an era this version can prove`)
}

/**
 * Proves a block `[blockTag, block]` as received (block-fetch's `MsgBlock` payload, a chunk's
 * block): it is readable; its hash and slot are `expected.point` when given; its header is the one
 * chain-sync announced (`expected.header`) when given; and its body matches its header. Returns the
 * parsed block (a view of `bytes`); throws {@link BlockProofError} with a typed reason otherwise.
 *
 * @example
 * ```ts
 * import { BlockProof } from "@pallas-network2/core/chain"
 * // const block = BlockProof.prove(bytes, { point: requested }) // throws BlockProofError
 * ```
 *
 * @category checking
 * @since 0.1.0
 */
export const prove = (bytes: Uint8Array, expected?: Expected): Block.ChainBlock => {
  let block: Block.ChainBlock
  try {
    block = Block.parse(bytes)
  } catch (e) {
    return refuse("Unreadable", e instanceof Error ? e.message : String(e))
  }
  const point = expected?.point
  if (point !== undefined) {
    if (point._tag !== "Specific") refuse("PointMismatch", "a block cannot be the origin")
    else if (point.slot !== block.slot || !bytesEqual(point.hash, block.hash)) {
      refuse("PointMismatch", `the block is ${block.slot}.${Cbor.toHex(block.hash)}, asked for ${point.slot}.${Cbor.toHex(point.hash)}`)
    }
  }
  const header = expected?.header
  if (header !== undefined) {
    const announced = Block.headerHash(header)
    if (header.era !== block.header.era || (header.byron?.subtag ?? -1) !== (block.header.byron?.subtag ?? -1) || !bytesEqual(announced, block.hash)) {
      refuse("HeaderMismatch", `the block's header hashes to ${Cbor.toHex(block.hash)}, chain-sync announced ${Cbor.toHex(announced)}`)
    }
  }
  proveBody(block)
  return block
}

/**
 * {@link prove} as an Effect: the proven block, or a {@link BlockProofError}.
 *
 * @category checking
 * @since 0.1.0
 */
export const proveEffect = (bytes: Uint8Array, expected?: Expected): Effect.Effect<Block.ChainBlock, BlockProofError> =>
  Effect.try({
    try: () => prove(bytes, expected),
    catch: (e) => e instanceof BlockProofError ? e : new BlockProofError({ reason: "Unreadable", detail: String(e) })
  })

/**
 * The reason a block fails {@link prove}, or `undefined` when it is proven: for callers that
 * branch rather than catch.
 *
 * @category checking
 * @since 0.1.0
 */
export const check = (bytes: Uint8Array, expected?: Expected): BlockProofError | undefined => {
  try {
    prove(bytes, expected)
    return undefined
  } catch (e) {
    return e instanceof BlockProofError ? e : new BlockProofError({ reason: "Unreadable", detail: String(e) })
  }
}
