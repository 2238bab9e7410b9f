/**
 * A synthetic chain made by this project: hash-linked Babbage-shaped headers and blocks of realistic
 * sizes, so the demo and the tests have a chain to serve without a node. Every block says what it is:
 * its issuer key is the text "pallas-network2 synthetic chain!" (32 bytes), and none of its
 * signatures or VRF proofs are real; its body hash is (each body matches its header).
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Cbor from "../cbor/Cbor.ts"
import { blake2b256 } from "./Blake2b.ts"
import * as Block from "./Block.ts"
import type { ChainBlock } from "./Block.ts"
import { ChainSource, makeMemory } from "./ChainSource.ts"

/**
 * Options of the generated chain.
 *
 * @category models
 * @since 0.1.0
 */
export interface GeneratedChainOptions {
  /** How many blocks. Default 1 000. */
  readonly blocks?: number
  /** Seed of the deterministic generator. Default 1. */
  readonly seed?: number
  /** Smallest and largest block body in bytes. Default 1 000 to 64 000. */
  readonly minBodySize?: number
  readonly maxBodySize?: number
  /** Slot of the first block; later blocks are 1 to 40 slots apart. Default 1 000. */
  readonly firstSlot?: number
  /** Block number of the first block. Default 0. */
  readonly firstBlockNo?: number
  /** The previous hash of the first block. Default none (it follows genesis). */
  readonly prevHash?: Uint8Array | undefined
}

/**
 * The issuer key every synthetic block carries.
 *
 * @category constants
 * @since 0.1.0
 */
export const SYNTHETIC_ISSUER = new TextEncoder().encode("pallas-network2 synthetic chain!")

const prng = (seed: number) => {
  let s = seed >>> 0 || 1
  return () => {
    s ^= s << 13
    s >>>= 0
    s ^= s >>> 17
    s ^= s << 5
    s >>>= 0
    return s / 0x100000000
  }
}

const fill = (random: () => number, n: number): Uint8Array => {
  const out = new Uint8Array(n)
  for (let i = 0; i < n; i += 4) {
    const r = (random() * 0x100000000) >>> 0
    out[i] = r
    if (i + 1 < n) out[i + 1] = r >>> 8
    if (i + 2 < n) out[i + 2] = r >>> 16
    if (i + 3 < n) out[i + 3] = r >>> 24
  }
  return out
}

/**
 * Makes one synthetic block after `prev` (or after genesis).
 *
 * @category constructors
 * @since 0.1.0
 */
export const makeBlock = (options: {
  readonly blockNo: number
  readonly slot: number
  readonly prevHash: Uint8Array | undefined
  readonly bodySize: number
  readonly random: () => number
}): ChainBlock => {
  const { random } = options
  // transactions: ~ one per 600 bytes of body
  const txCount = Math.max(1, Math.floor(options.bodySize / 600))
  const txBodies: Array<Cbor.Value> = []
  const witnesses: Array<Cbor.Value> = []
  for (let i = 0; i < txCount; i++) {
    const inputs = [[fill(random, 32), (random() * 4) | 0]]
    const outputs = [[fill(random, 57), 1_000_000 + ((random() * 1e9) | 0)]]
    txBodies.push(new Map<Cbor.Value, Cbor.Value>([[0, inputs], [1, outputs], [2, 170_000 + ((random() * 50_000) | 0)], [
      5,
      fill(random, Math.max(0, Math.floor(options.bodySize / txCount) - 330))
    ]]))
    witnesses.push(new Map<Cbor.Value, Cbor.Value>([[0, [[fill(random, 32), fill(random, 64)]]]]))
  }
  const bodyParts: Array<Cbor.Value> = [txBodies, witnesses, new Map(), []]
  const bodyBytes = bodyParts.map((p) => Cbor.encode(p))
  const bodySize = bodyBytes.reduce((n, b) => n + b.length, 0)
  // the ledger's body hash (so the blocks pass BlockProof): blake2b-256 over the parts' hashes
  const bodyHash = blake2b256(...bodyBytes.map((b) => blake2b256(b)))
  const headerBody: Array<Cbor.Value> = [
    options.blockNo,
    options.slot,
    options.prevHash ?? null,
    SYNTHETIC_ISSUER,
    fill(random, 32),
    [fill(random, 64), fill(random, 80)],
    bodySize,
    bodyHash,
    [fill(random, 32), 0, 0, fill(random, 64)],
    [8, 0]
  ]
  const header = Cbor.encode([headerBody, fill(random, 448)])
  const w = new Cbor.Writer(header.length + bodySize + 16)
  w.head(4, 2).int(6).head(4, 5).raw(header)
  for (const b of bodyBytes) w.raw(b)
  return Block.parse(w.finish())
}

/**
 * Generates a chain.
 *
 * @example
 * ```ts
 * import { GeneratedChain } from "@pallas-network2/core"
 * const blocks = GeneratedChain.generate({ blocks: 100, seed: 7 })
 * ```
 *
 * @category constructors
 * @since 0.1.0
 */
export const generate = (options: GeneratedChainOptions = {}): Array<ChainBlock> => {
  const random = prng(options.seed ?? 1)
  const count = options.blocks ?? 1000
  const min = options.minBodySize ?? 1_000
  const max = options.maxBodySize ?? 64_000
  const out: Array<ChainBlock> = []
  let slot = options.firstSlot ?? 1000
  let prevHash = options.prevHash
  for (let i = 0; i < count; i++) {
    // sizes skewed towards small blocks, as on a real chain
    const r = random()
    const bodySize = Math.floor(min + (max - min) * r * r)
    const block = makeBlock({ blockNo: (options.firstBlockNo ?? 0) + i, slot, prevHash, bodySize, random })
    out.push(block)
    prevHash = block.hash
    slot += 1 + Math.floor(random() * 40)
  }
  return out
}

/**
 * A ChainSource layer serving a generated chain, labelled as synthetic.
 *
 * @category layers
 * @since 0.1.0
 */
export const layer = (options: GeneratedChainOptions = {}): Layer.Layer<ChainSource> =>
  Layer.effect(
    ChainSource,
    Effect.map(
      Effect.suspend(() => makeMemory(generate(options), `generated synthetic chain (${options.blocks ?? 1000} blocks)`)),
      (chain) => ChainSource.of(chain)
    )
  )
