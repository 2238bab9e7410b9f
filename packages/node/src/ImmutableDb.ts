/**
 * A ChainSource read from a node's ImmutableDB: one `.chunk` file, or an `immutable/` folder whose
 * chunk files are read in name order. A chunk holds the blocks' CBOR one after another; no index file
 * is needed to read them in order.
 *
 * The blocks are held in memory once read, which suits chunk files and test chains; serving a whole
 * mainnet ImmutableDB would need an on-disk index instead.
 *
 * @since 0.1.0
 */
import { Block, ChainSource } from "@pallas-network2/core"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"
import * as fs from "node:fs"
import * as path from "node:path"

/**
 * The chain could not be read.
 *
 * @category errors
 * @since 0.1.0
 */
export class ImmutableDbError extends Schema.TaggedError<ImmutableDbError>()("ImmutableDbError", {
  path: Schema.String,
  detail: Schema.String
}) {
  override get message(): string {
    return `${this.path}: ${this.detail}`
  }
}

/**
 * The chunk files of a path: the file itself, or the `.chunk` files of a folder in name order (of its
 * `immutable/` folder when it has none itself, as in a node's database folder).
 *
 * @category utils
 * @since 0.1.0
 */
export const chunkFiles = (target: string): Effect.Effect<Array<string>, ImmutableDbError> =>
  Effect.try({
    try: () => {
      const stat = fs.statSync(target)
      if (!stat.isDirectory()) return [target]
      let folder = target
      let files = fs.readdirSync(folder).filter((f) => f.endsWith(".chunk")).sort()
      // a node's database folder (or a ChainStore's) keeps its chunks in `immutable/`
      const inner = path.join(target, "immutable")
      if (files.length === 0 && fs.existsSync(inner) && fs.statSync(inner).isDirectory()) {
        folder = inner
        files = fs.readdirSync(folder).filter((f) => f.endsWith(".chunk")).sort()
      }
      if (files.length === 0) throw new Error("no .chunk files in the folder")
      return files.map((f) => path.join(folder, f))
    },
    catch: (e) => new ImmutableDbError({ path: target, detail: e instanceof Error ? e.message : String(e) })
  })

/**
 * Reads every block of a chunk file or folder, in order.
 *
 * @example
 * ```ts
 * import { ImmutableDb } from "@pallas-network2/node"
 * // const blocks = yield* ImmutableDb.readBlocks("../shared/vectors/chain/01285.chunk")
 * ```
 *
 * @category constructors
 * @since 0.1.0
 */
export const readBlocks = Effect.fn("ImmutableDb.readBlocks")(function*(target: string) {
  const files = yield* chunkFiles(target)
  const blocks: Array<Block.ChainBlock> = []
  for (const file of files) {
    const parsed = yield* Effect.try({
      try: () => Block.splitChunk(new Uint8Array(fs.readFileSync(file))).map(Block.parse),
      catch: (e) => new ImmutableDbError({ path: file, detail: e instanceof Error ? e.message : String(e) })
    })
    blocks.push(...parsed)
  }
  return blocks
})

/**
 * A ChainSource layer serving a node's ImmutableDB chunk file or folder.
 *
 * @category layers
 * @since 0.1.0
 */
export const layer = (target: string): Layer.Layer<ChainSource.ChainSource, ImmutableDbError> =>
  Layer.effect(
    ChainSource.ChainSource,
    Effect.flatMap(readBlocks(target), (blocks) =>
      Effect.map(
        ChainSource.makeMemory(blocks, `ImmutableDB ${path.basename(target)} (${blocks.length} blocks)`),
        (chain) => ChainSource.ChainSource.of(chain)
      ))
  )
