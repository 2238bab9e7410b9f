/**
 * The chain a responder serves: an Effect service it reads points, headers, blocks, intersections and
 * the tip from, with a stream of tip changes so followers waiting at the tip wake up. Layers: an
 * in-memory chain ({@link layerMemory}, which can grow and roll back), a generated synthetic chain
 * (`GeneratedChain.ts`) and, in `@pallas-network2/node`, a node's ImmutableDB.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as PubSub from "effect/PubSub"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import * as Cbor from "../cbor/Cbor.ts"
import { Point, Tip, type WrappedHeader } from "../protocol/Common.ts"
import { type ChainBlock, pointOf } from "./Block.ts"

/**
 * What comes after a follower's cursor.
 *
 * - `RollForward`: the next block's header; the cursor moves to `point`.
 * - `RollBackward`: the cursor's block left the chain; go back to `point`.
 * - `AtTip`: nothing yet; wait for a tip change.
 *
 * @category models
 * @since 0.1.0
 */
export type ChainStep =
  | { readonly _tag: "RollForward"; readonly header: WrappedHeader; readonly point: Point; readonly tip: Tip }
  | { readonly _tag: "RollBackward"; readonly point: Point; readonly tip: Tip }
  | { readonly _tag: "AtTip"; readonly tip: Tip }

/**
 * A chain source that could not answer: a read that failed (a missing or corrupt file, a database
 * error). The responder closes only the connection it was serving, with this as the reason.
 *
 * @example
 * ```ts
 * import { ChainSource } from "@pallas-network2/core"
 * const e = new ChainSource.ChainSourceError({ operation: "range", detail: "chunk 01285 is truncated" })
 * e.message // "chain source: range failed: chunk 01285 is truncated"
 * ```
 *
 * @category errors
 * @since 0.1.0
 */
export class ChainSourceError extends Schema.TaggedError<ChainSourceError>()("ChainSourceError", {
  /** What was asked: `tip`, `intersect`, `next`, `range`, `block` or `length`. */
  operation: Schema.Literals(["tip", "intersect", "next", "range", "block", "length"]),
  detail: Schema.String
}) {
  override get message(): string {
    return `chain source: ${this.operation} failed: ${this.detail}`
  }
}

/**
 * The shape of a chain source. Each read may fail with a {@link ChainSourceError} (the in-memory and
 * generated sources never do).
 *
 * @category models
 * @since 0.1.0
 */
export interface ChainSourceShape {
  /** The current tip. */
  readonly tip: Effect.Effect<Tip, ChainSourceError>
  /** Every tip change from now on (a new subscription per run of the stream). */
  readonly changes: Stream.Stream<Tip>
  /** The first of `points` that is on the chain, with the tip; `undefined` when none is. */
  readonly intersect: (points: ReadonlyArray<Point>) => Effect.Effect<{ point: Point; tip: Tip } | undefined, ChainSourceError>
  /** What follows `cursor`. */
  readonly next: (cursor: Point) => Effect.Effect<ChainStep, ChainSourceError>
  /**
   * The blocks from `from` to `to` inclusive, read one at a time as the stream is pulled;
   * `undefined` when either point is not on the chain or `to` comes before `from`. A block that
   * cannot be read fails the stream.
   */
  readonly range: (
    from: Point,
    to: Point
  ) => Effect.Effect<Stream.Stream<Uint8Array, ChainSourceError> | undefined, ChainSourceError>
  /** A block by its point. */
  readonly block: (point: Point) => Effect.Effect<Uint8Array | undefined, ChainSourceError>
  /** How many blocks the chain holds. */
  readonly length: Effect.Effect<number, ChainSourceError>
  /** A short label for logs ("generated synthetic chain", "chunk 01285.chunk", ...). */
  readonly label: string
}

/**
 * The ChainSource service.
 *
 * @category services
 * @since 0.1.0
 */
export class ChainSource extends Context.Service<ChainSource, ChainSourceShape>()("@pallas-network2/core/ChainSource") {}

/**
 * A chain held in memory that can grow ({@link MemoryChain.append}) and roll back
 * ({@link MemoryChain.rollback}); each change publishes the new tip.
 *
 * @category models
 * @since 0.1.0
 */
export interface MemoryChain extends ChainSourceShape {
  readonly append: (block: ChainBlock) => Effect.Effect<void>
  readonly rollback: (depth: number) => Effect.Effect<ReadonlyArray<ChainBlock>>
  /** The blocks currently on the chain. */
  readonly blocks: Effect.Effect<ReadonlyArray<ChainBlock>>
}

const key = (hash: Uint8Array): string => Cbor.toHex(hash)

/**
 * Makes an in-memory chain from blocks in order (each must link to the one before it).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Block, ChainSource } from "@pallas-network2/core"
 * // const chain = yield* ChainSource.makeMemory(Block.splitChunk(bytes).map(Block.parse))
 * ```
 *
 * @category constructors
 * @since 0.1.0
 */
export const makeMemory = Effect.fnUntraced(function*(
  initial: ReadonlyArray<ChainBlock>,
  label = "in-memory chain"
) {
  const chain: Array<ChainBlock> = [...initial]
  const index = new Map<string, number>()
  chain.forEach((b, i) => index.set(key(b.hash), i))
  // blocks that left the chain: hash -> hash of their parent, to walk a stale cursor back
  const orphans = new Map<string, Uint8Array | undefined>()
  const pubsub = yield* PubSub.unbounded<Tip>()

  const tipNow = (): Tip => {
    const last = chain[chain.length - 1]
    return last === undefined ? Tip.origin : Tip.make(pointOf(last), last.blockNo)
  }
  // the points `next` handed out, with where their block stood: a follower asks for the next header
  // from the point it was given, found here without turning its hash into a string (each is looked
  // up once, then forgotten; a follower that left leaves its last one, and the map is emptied when
  // it holds many)
  const handed = new Map<Point, { readonly block: ChainBlock; readonly at: number }>()
  const indexOf = (p: Point): number | undefined => {
    if (p._tag === "Origin") return -1
    const known = handed.get(p)
    if (known !== undefined) {
      handed.delete(p)
      if (chain[known.at] === known.block) return known.at
    }
    const i = index.get(key(p.hash))
    return i !== undefined && chain[i]!.slot === p.slot ? i : undefined
  }

  const self: MemoryChain = {
    label,
    tip: Effect.sync(tipNow),
    changes: Stream.fromPubSub(pubsub),
    length: Effect.sync(() => chain.length),
    blocks: Effect.sync(() => [...chain]),
    intersect: (points) =>
      Effect.sync(() => {
        for (const p of points) {
          if (indexOf(p) !== undefined) return { point: p, tip: tipNow() }
        }
        return undefined
      }),
    next: (cursor) =>
      Effect.sync((): ChainStep => {
        const i = indexOf(cursor)
        if (i !== undefined) {
          const b = chain[i + 1]
          if (b === undefined) return { _tag: "AtTip", tip: tipNow() }
          const point = pointOf(b)
          if (handed.size >= 65_536) handed.clear()
          handed.set(point, { block: b, at: i + 1 })
          return { _tag: "RollForward", header: b.header, point, tip: tipNow() }
        }
        // the cursor left the chain: walk back through the orphans to a block still on it
        let hash: Uint8Array | undefined = cursor._tag === "Specific" ? cursor.hash : undefined
        while (hash !== undefined) {
          const at = index.get(key(hash))
          if (at !== undefined) return { _tag: "RollBackward", point: pointOf(chain[at]!), tip: tipNow() }
          if (!orphans.has(key(hash))) break
          hash = orphans.get(key(hash))
        }
        return { _tag: "RollBackward", point: Point.origin, tip: tipNow() }
      }),
    range: (from, to) =>
      Effect.sync(() => {
        const a = indexOf(from)
        const b = indexOf(to)
        if (a === undefined || b === undefined || a < 0 || b < a) return undefined
        const snapshot = chain.slice(a, b + 1)
        return Stream.fromIterable(snapshot).pipe(Stream.map((blk) => blk.bytes))
      }),
    block: (p) =>
      Effect.sync(() => {
        const i = indexOf(p)
        return i === undefined || i < 0 ? undefined : chain[i]!.bytes
      }),
    append: (block) =>
      Effect.suspend(() => {
        index.set(key(block.hash), chain.length)
        orphans.delete(key(block.hash))
        chain.push(block)
        return Effect.asVoid(PubSub.publish(pubsub, tipNow()))
      }),
    rollback: (depth) =>
      Effect.suspend(() => {
        const removed = chain.splice(Math.max(0, chain.length - depth), depth)
        for (const b of removed) {
          index.delete(key(b.hash))
          orphans.set(key(b.hash), b.prevHash)
        }
        return Effect.as(PubSub.publish(pubsub, tipNow()), removed)
      })
  }
  return self
})

/**
 * A layer serving the given blocks from memory.
 *
 * @category layers
 * @since 0.1.0
 */
export const layerMemory = (blocks: ReadonlyArray<ChainBlock>, label?: string): Layer.Layer<ChainSource> =>
  Layer.effect(ChainSource, Effect.map(makeMemory(blocks, label), (chain) => ChainSource.of(chain)))
