/**
 * Reading what the network layer needs out of a block's bytes without decoding the whole block:
 * its header bytes (as a span of the block), point, block number and previous hash, for every era.
 *
 * @since 0.1.0
 */
import * as Cbor from "../cbor/Cbor.ts"
import type { Point, WrappedHeader } from "../protocol/Common.ts"
import { blake2b256 } from "./Blake2b.ts"

/**
 * One block of a chain as the responder serves it and the initiator checks it.
 *
 * @category models
 * @since 0.1.0
 */
export interface ChainBlock {
  readonly slot: number
  readonly hash: Uint8Array
  readonly blockNo: number
  /** The hash of the previous block's header; `undefined` for the first block after genesis. */
  readonly prevHash: Uint8Array | undefined
  /** The header as chain-sync carries it (node-to-node). */
  readonly header: WrappedHeader
  /** The block bytes `[blockTag, block]`, as block-fetch carries them inside `#6.24`. */
  readonly bytes: Uint8Array
}

/**
 * A block's header could not be read.
 *
 * @category errors
 * @since 0.1.0
 */
export class BlockError extends Error {}

const BYRON_SLOTS_PER_EPOCH = 21_600

/** The spans `[start, end)` of the elements of the definite array starting at `offset`. */
const elementSpans = (bytes: Uint8Array, offset: number): Array<readonly [number, number]> => {
  const initial = bytes[offset]
  if (initial === undefined || initial >> 5 !== 4 || (initial & 0x1f) === 31) {
    throw new BlockError(`expected a definite array at byte ${offset}`)
  }
  const info = initial & 0x1f
  let count = info
  let pos = offset + 1
  if (info === 24) count = bytes[pos++]!
  else if (info === 25) {
    count = (bytes[pos]! << 8) | bytes[pos + 1]!
    pos += 2
  } else if (info > 25) throw new BlockError("array too long")
  const spans: Array<readonly [number, number]> = []
  for (let i = 0; i < count; i++) {
    const end = Cbor.itemEnd(bytes, pos)
    if (end < 0) throw new BlockError("truncated block")
    spans.push([pos, end])
    pos = end
  }
  return spans
}

const uintAt = (bytes: Uint8Array, span: readonly [number, number], what: string): number => {
  const v = Cbor.decode(bytes.subarray(span[0], span[1]))
  if (typeof v !== "number") throw new BlockError(`${what}: expected an integer`)
  return v
}

/**
 * The header hash of a node-to-node header: blake2b-256 of its bytes (Shelley and later) or of
 * `[0|1, header]` (Byron: 0 for a boundary block, 1 for a main block).
 *
 * @category hashing
 * @since 0.1.0
 */
export const headerHash = (header: WrappedHeader): Uint8Array =>
  header.era === 0 && header.byron !== undefined
    ? blake2b256(new Uint8Array([0x82, header.byron.subtag]), header.bytes)
    : blake2b256(header.bytes)

/**
 * Reads slot, block number and previous hash from a header (any era).
 *
 * @category decoding
 * @since 0.1.0
 */
export const headerInfo = (header: WrappedHeader): { slot: number; blockNo: number; prevHash: Uint8Array | undefined } => {
  const bytes = header.bytes
  const top = elementSpans(bytes, 0)
  if (header.era === 0) {
    // Byron: [protocolMagic, prevHash, bodyProof, consensusData, extraData]
    const prev = Cbor.decode(bytes.subarray(top[1]![0], top[1]![1]))
    const consensus = Cbor.decode(bytes.subarray(top[3]![0], top[3]![1])) as Array<Cbor.Value>
    if (header.byron?.subtag === 0) {
      // boundary block: consensus = [epoch, [difficulty]]
      const epoch = consensus[0] as number
      const difficulty = (consensus[1] as Array<number>)[0]!
      return { slot: epoch * BYRON_SLOTS_PER_EPOCH, blockNo: difficulty, prevHash: prev as Uint8Array }
    }
    // main block: consensus = [[epoch, slot], pubkey, [difficulty], signature]
    const slotId = consensus[0] as Array<number>
    const difficulty = (consensus[2] as Array<number>)[0]!
    return {
      slot: slotId[0]! * BYRON_SLOTS_PER_EPOCH + slotId[1]!,
      blockNo: difficulty,
      prevHash: prev as Uint8Array
    }
  }
  // Shelley and later: [headerBody, kesSignature]; headerBody starts [blockNo, slot, prevHash, ...]
  const body = elementSpans(bytes, top[0]![0])
  const prev = Cbor.decode(bytes.subarray(body[2]![0], body[2]![1]))
  return {
    blockNo: uintAt(bytes, body[0]!, "block number"),
    slot: uintAt(bytes, body[1]!, "slot"),
    prevHash: prev instanceof Uint8Array ? prev : undefined
  }
}

/**
 * Reads a block `[blockTag, block]` (block tags: 0 Byron boundary, 1 Byron main, 2 Shelley ...
 * 7 Conway). The header is a view of `bytes`, never a copy. Throws {@link BlockError} on bytes that
 * are not a block.
 *
 * @example
 * ```ts
 * import { Block } from "@pallas-network2/core"
 * // const block = Block.parse(bytes); block.slot, block.blockNo, Cbor.toHex(block.hash)
 * ```
 *
 * @category decoding
 * @since 0.1.0
 */
export const parse = (bytes: Uint8Array): ChainBlock => {
  try {
    const outer = elementSpans(bytes, 0)
    if (outer.length !== 2) throw new BlockError("expected [blockTag, block]")
    const tag = uintAt(bytes, outer[0]!, "block tag")
    const inner = elementSpans(bytes, outer[1]![0])
    const headerSpan = inner[0]!
    const headerBytes = bytes.subarray(headerSpan[0], headerSpan[1])
    const header: WrappedHeader = tag <= 1
      ? { era: 0, byron: { subtag: tag, sizeHint: bytes.length }, bytes: headerBytes }
      : { era: tag - 1, bytes: headerBytes }
    const info = headerInfo(header)
    return { ...info, hash: headerHash(header), header, bytes }
  } catch (e) {
    if (e instanceof BlockError) throw e
    throw new BlockError(e instanceof Error ? e.message : String(e))
  }
}

/**
 * Splits a node's ImmutableDB chunk (blocks' CBOR one after another) into blocks, each a view of
 * `bytes`.
 *
 * @category decoding
 * @since 0.1.0
 */
export const splitChunk = (bytes: Uint8Array): Array<Uint8Array> => {
  const out: Array<Uint8Array> = []
  let pos = 0
  while (pos < bytes.length) {
    const end = Cbor.itemEnd(bytes, pos)
    if (end < 0) throw new BlockError(`truncated block at byte ${pos} of the chunk`)
    out.push(bytes.subarray(pos, end))
    pos = end
  }
  return out
}

/**
 * The point of a block.
 *
 * @category utils
 * @since 0.1.0
 */
export const pointOf = (block: ChainBlock): Point => ({ _tag: "Specific", slot: block.slot, hash: block.hash })
