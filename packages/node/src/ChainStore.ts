/**
 * A chain kept on disk in the node's own ImmutableDB layout, with its volatile part (the last `k`
 * blocks) in memory, serving as a ChainSource.
 *
 * The immutable part lives in `DIR/immutable/`: for each chunk `NNNNN` (slot / chunk size, five
 * digits), `NNNNN.chunk` (the blocks' bytes one after another), `NNNNN.secondary` (one 56-byte
 * big-endian entry per block: block offset u64, header offset u16, header size u16, CRC-32 of the
 * block u32, header hash 32 bytes, slot (or epoch for a Byron boundary block) u64) and
 * `NNNNN.primary` (a version byte 1, then big-endian u32 offsets into the secondary index, one per
 * relative slot plus one; relative slot 0 belongs to a Byron boundary block, a regular block of slot
 * `s` is at `s % chunkSize + 1`). A finished chunk's primary index is filled to every relative slot;
 * chunks the chain skipped are written empty, as the node does.
 *
 * Blocks are appended to the volatile part (the caller proves them first); once more than `k` blocks
 * are volatile, the oldest move to the chunk files (block bytes first, then the secondary entry,
 * then the primary offsets). Roll-backs reach only the volatile part. Opening a folder resumes from
 * the tip of its chunks: the last chunk is read block by block and cut after its last whole block
 * whose checksum matches, and its indexes are rewritten from what remains, so a write cut short by a
 * crash leaves a store that opens. The volatile part starts empty after a restart (a relay fetches
 * it again from its peers).
 *
 * @since 0.1.0
 */
import { Block, ChainSource, Cbor } from "@pallas-network2/core"
import { bytesEqual, Point, Tip } from "@pallas-network2/core/protocol/Common"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as PubSub from "effect/PubSub"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import * as fs from "node:fs"
import * as path from "node:path"
import * as zlib from "node:zlib"

/**
 * The store could not do what was asked.
 *
 * - `Io`: a file could not be read or written.
 * - `Corrupt`: a file holds something that is not a chunk, index or block.
 * - `NotLinked`: an appended block does not follow the tip (its previous hash or slot).
 * - `RollbackTooDeep`: the point to roll back to is not in the volatile part.
 *
 * @category errors
 * @since 0.1.0
 */
export class ChainStoreError extends Schema.TaggedError<ChainStoreError>()("ChainStoreError", {
  reason: Schema.Literals(["Io", "Corrupt", "NotLinked", "RollbackTooDeep"]),
  path: Schema.String,
  detail: Schema.String
}) {
  override get message(): string {
    return `chain store ${this.path}: ${this.detail}`
  }
}

/**
 * Options of a chain store.
 *
 * @category models
 * @since 0.1.0
 */
export interface ChainStoreOptions {
  /** The database folder; the chunks go in its `immutable/` folder (made when absent). */
  readonly dir: string
  /** How many of the newest blocks stay volatile (in memory, can roll back). Default 2160. */
  readonly securityParam?: number
  /** Regular slots per chunk. Default 21 600 (the node's chunk size on mainnet and the testnets). */
  readonly chunkSize?: number
  /** Check every chunk block by block on open, not only the last one. Default false. */
  readonly validateAll?: boolean
}

/**
 * A chain store: a ChainSource that can grow, roll back within its volatile part and survive a
 * restart.
 *
 * @category models
 * @since 0.1.0
 */
export interface ChainStoreShape extends ChainSource.ChainSourceShape {
  /** Appends a block that follows the tip; the oldest volatile blocks beyond `k` go to disk. */
  readonly append: (block: Block.ChainBlock) => Effect.Effect<void, ChainStoreError>
  /** Rolls back to `point` (in the volatile part, or the immutable tip); returns the removed blocks. */
  readonly rollbackTo: (point: Point) => Effect.Effect<ReadonlyArray<Block.ChainBlock>, ChainStoreError>
  /** The newest block on disk (origin when none). */
  readonly immutableTip: Effect.Effect<Tip>
  /** How many blocks are on disk and how many in memory. */
  readonly counts: Effect.Effect<{ readonly immutable: number; readonly volatile: number }>
  /** The folder of the chunk files (servable by `network2 serve --chain`). */
  readonly immutableDir: string
}

/**
 * The ChainStore service.
 *
 * @category services
 * @since 0.1.0
 */
export class ChainStore extends Context.Service<ChainStore, ChainStoreShape>()("@pallas-network2/node/ChainStore") {}

/**
 * Size in bytes of one secondary index entry.
 *
 * @category constants
 * @since 0.1.0
 */
export const SECONDARY_ENTRY_SIZE = 56

/**
 * The version byte at the start of a primary index.
 *
 * @category constants
 * @since 0.1.0
 */
export const PRIMARY_VERSION = 1

/**
 * One entry of a secondary index.
 *
 * @category models
 * @since 0.1.0
 */
export interface SecondaryEntry {
  readonly blockOffset: number
  readonly headerOffset: number
  readonly headerSize: number
  readonly checksum: number
  readonly headerHash: Uint8Array
  /** The slot of a regular block, the epoch of a Byron boundary block. */
  readonly blockOrEbb: number
}

/**
 * Encodes a secondary index entry (56 bytes, big-endian).
 *
 * @category encoding
 * @since 0.1.0
 */
export const encodeSecondaryEntry = (e: SecondaryEntry): Uint8Array => {
  const out = new Uint8Array(SECONDARY_ENTRY_SIZE)
  const view = new DataView(out.buffer)
  view.setBigUint64(0, BigInt(e.blockOffset))
  view.setUint16(8, e.headerOffset)
  view.setUint16(10, e.headerSize)
  view.setUint32(12, e.checksum >>> 0)
  out.set(e.headerHash.subarray(0, 32), 16)
  view.setBigUint64(48, BigInt(e.blockOrEbb))
  return out
}

/**
 * Decodes the whole entries of a secondary index (a trailing partial entry is left out).
 *
 * @category decoding
 * @since 0.1.0
 */
export const decodeSecondary = (bytes: Uint8Array): Array<SecondaryEntry> => {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const out: Array<SecondaryEntry> = []
  for (let at = 0; at + SECONDARY_ENTRY_SIZE <= bytes.length; at += SECONDARY_ENTRY_SIZE) {
    out.push({
      blockOffset: Number(view.getBigUint64(at)),
      headerOffset: view.getUint16(at + 8),
      headerSize: view.getUint16(at + 10),
      checksum: view.getUint32(at + 12),
      headerHash: bytes.slice(at + 16, at + 48),
      blockOrEbb: Number(view.getBigUint64(at + 48))
    })
  }
  return out
}

/**
 * Decodes a primary index into its offsets (after the version byte).
 *
 * @category decoding
 * @since 0.1.0
 */
export const decodePrimary = (bytes: Uint8Array): Array<number> => {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const out: Array<number> = []
  for (let at = 1; at + 4 <= bytes.length; at += 4) out.push(view.getUint32(at))
  return out
}

/**
 * The primary index of a chunk whose blocks sit at `relativeSlots` (ascending): the version byte,
 * then one offset per relative slot up to the last filled one, plus one; with `slotsInChunk` given
 * (a finished chunk), filled up to every relative slot.
 *
 * @category encoding
 * @since 0.1.0
 */
export const encodePrimary = (relativeSlots: ReadonlyArray<number>, slotsInChunk?: number): Uint8Array => {
  const last = relativeSlots.length === 0 ? -1 : relativeSlots[relativeSlots.length - 1]!
  const count = (slotsInChunk !== undefined ? Math.max(slotsInChunk, last + 1) : last + 1) + 1
  const out = new Uint8Array(1 + 4 * count)
  const view = new DataView(out.buffer)
  out[0] = PRIMARY_VERSION
  let filled = 0
  for (let slot = 0; slot < count; slot++) {
    view.setUint32(1 + 4 * slot, filled * SECONDARY_ENTRY_SIZE)
    if (relativeSlots[filled] === slot) filled++
  }
  return out
}

/**
 * The file name of a chunk number with an extension (`01285.chunk`).
 *
 * @category utils
 * @since 0.1.0
 */
export const chunkName = (chunk: number, ext: "chunk" | "primary" | "secondary"): string =>
  `${String(chunk).padStart(5, "0")}.${ext}`

/** Where a block goes: its chunk, relative slot and the secondary index's last field. */
const placeOf = (block: Block.ChainBlock, chunkSize: number) => {
  const ebb = block.header.era === 0 && block.header.byron?.subtag === 0
  if (ebb) {
    const epoch = Math.floor(block.slot / chunkSize)
    return { chunk: epoch, relSlot: 0, blockOrEbb: epoch }
  }
  return { chunk: Math.floor(block.slot / chunkSize), relSlot: (block.slot % chunkSize) + 1, blockOrEbb: block.slot }
}

/** What the store keeps in memory for each block on disk. */
interface DiskEntry {
  readonly chunk: number
  readonly offset: number
  size: number
  readonly slot: number
  readonly relSlot: number
  readonly hash: Uint8Array
}

const hexOf = (hash: Uint8Array): string => Cbor.toHex(hash)
const equalBytes = (a: Uint8Array | undefined, b: Uint8Array | undefined): boolean =>
  a !== undefined && b !== undefined && bytesEqual(a, b)

/**
 * The CRC-32 (IEEE, as zlib computes it) the secondary index stores for a block.
 *
 * @category utils
 * @since 0.1.0
 */
export const checksum = (bytes: Uint8Array): number => zlib.crc32(bytes) >>> 0

/** The secondary index entry of a block written at byte `blockOffset` of its chunk. */
const secondaryEntryOf = (block: Block.ChainBlock, blockOffset: number, blockOrEbb: number): SecondaryEntry => ({
  blockOffset,
  headerOffset: block.header.bytes.byteOffset - block.bytes.byteOffset,
  headerSize: block.header.bytes.length,
  checksum: checksum(block.bytes),
  headerHash: block.hash,
  blockOrEbb
})

const ioError = (file: string) => (e: unknown) =>
  new ChainStoreError({ reason: "Io", path: file, detail: e instanceof Error ? e.message : String(e) })

/** A chunk read back from disk: its blocks as entries, cut after the last whole, checked block. */
interface RecoveredChunk {
  readonly entries: Array<DiskEntry>
  /** Blocks (or bytes) were cut off the chunk. */
  readonly cut: boolean
}

/**
 * Reads a chunk file block by block, checking each block against the secondary index where it has an
 * entry (offset and CRC-32) and that the blocks' slots rise. Truncates the chunk after its last good
 * block and rewrites both indexes when anything was cut or missing.
 */
const recoverChunk = (dir: string, chunk: number, chunkSize: number, finished: boolean): RecoveredChunk => {
  const chunkPath = path.join(dir, chunkName(chunk, "chunk"))
  const secondaryPath = path.join(dir, chunkName(chunk, "secondary"))
  const primaryPath = path.join(dir, chunkName(chunk, "primary"))
  const bytes = new Uint8Array(fs.readFileSync(chunkPath))
  const secondaryBytes = fs.existsSync(secondaryPath) ? new Uint8Array(fs.readFileSync(secondaryPath)) : new Uint8Array(0)
  const stored = decodeSecondary(secondaryBytes)
  const entries: Array<DiskEntry> = []
  const secondary: Array<SecondaryEntry> = []
  let pos = 0
  let lastRel = -1
  while (pos < bytes.length) {
    const end = Cbor.itemEnd(bytes, pos)
    if (end < 0) break
    const blockBytes = bytes.subarray(pos, end)
    let block: Block.ChainBlock
    try {
      block = Block.parse(blockBytes)
    } catch {
      break
    }
    const place = placeOf(block, chunkSize)
    if (place.chunk !== chunk || place.relSlot <= lastRel) break
    const entry = secondaryEntryOf(block, pos, place.blockOrEbb)
    const known = stored[entries.length]
    if (known !== undefined && (known.blockOffset !== pos || known.checksum !== entry.checksum || !equalBytes(known.headerHash, block.hash))) {
      break
    }
    secondary.push(entry)
    entries.push({ chunk, offset: pos, size: end - pos, slot: block.slot, relSlot: place.relSlot, hash: block.hash })
    lastRel = place.relSlot
    pos = end
  }
  const primary = encodePrimary(entries.map((e) => e.relSlot), finished ? chunkSize + 1 : undefined)
  const expectedSecondary = secondary.length * SECONDARY_ENTRY_SIZE
  const primaryOk = fs.existsSync(primaryPath) && (() => {
    const have = decodePrimary(new Uint8Array(fs.readFileSync(primaryPath)))
    const want = decodePrimary(primary)
    // a primary index may run on past the last block (a finished chunk's padding) with the same offset
    return have.length >= want.length && want.every((o, i) => have[i] === o) &&
      have.slice(want.length).every((o) => o === expectedSecondary)
  })()
  const repaired = pos < bytes.length || stored.length !== secondary.length ||
    secondaryBytes.length !== expectedSecondary || !primaryOk
  if (repaired) {
    if (pos < bytes.length) fs.truncateSync(chunkPath, pos)
    fs.writeFileSync(secondaryPath, Buffer.concat(secondary.map(encodeSecondaryEntry)))
    fs.writeFileSync(primaryPath, primary)
  }
  return { entries, cut: pos < bytes.length || stored.length > secondary.length }
}

/**
 * Reads a finished chunk through its indexes only (the fast path of opening): the primary index says
 * which relative slots hold a block, the secondary index where each block starts. Undefined when the
 * indexes are missing or do not agree with each other or with the chunk's size.
 */
const readIndexedChunk = (dir: string, chunk: number, chunkSize: number): Array<DiskEntry> | undefined => {
  const chunkPath = path.join(dir, chunkName(chunk, "chunk"))
  const secondaryPath = path.join(dir, chunkName(chunk, "secondary"))
  const primaryPath = path.join(dir, chunkName(chunk, "primary"))
  if (!fs.existsSync(secondaryPath) || !fs.existsSync(primaryPath)) return undefined
  const size = fs.statSync(chunkPath).size
  const secondaryBytes = new Uint8Array(fs.readFileSync(secondaryPath))
  const primaryBytes = new Uint8Array(fs.readFileSync(primaryPath))
  if (secondaryBytes.length % SECONDARY_ENTRY_SIZE !== 0 || (primaryBytes.length - 1) % 4 !== 0) return undefined
  if (primaryBytes[0] !== PRIMARY_VERSION) return undefined
  const stored = decodeSecondary(secondaryBytes)
  const offsets = decodePrimary(primaryBytes)
  const relSlots: Array<number> = []
  for (let r = 0; r + 1 < offsets.length; r++) {
    const step = offsets[r + 1]! - offsets[r]!
    if (step === SECONDARY_ENTRY_SIZE) relSlots.push(r)
    else if (step !== 0) return undefined
  }
  if (relSlots.length !== stored.length) return undefined
  if (stored.length === 0) return size === 0 ? [] : undefined
  const entries: Array<DiskEntry> = []
  for (let i = 0; i < stored.length; i++) {
    const e = stored[i]!
    const rel = relSlots[i]!
    const next = i + 1 < stored.length ? stored[i + 1]!.blockOffset : size
    if (next <= e.blockOffset) return undefined
    const slot = rel === 0 ? chunk * chunkSize : chunk * chunkSize + rel - 1
    if (rel !== 0 && slot !== e.blockOrEbb) return undefined
    entries.push({ chunk, offset: e.blockOffset, size: next - e.blockOffset, slot, relSlot: rel, hash: e.headerHash })
  }
  return entries
}

/**
 * Opens (or creates) a chain store in the current scope; its files are closed when the scope closes.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { ChainStore } from "@pallas-network2/node"
 * // const store = yield* ChainStore.open({ dir: "./db", securityParam: 2160 })
 * // yield* store.append(block)
 * ```
 *
 * @category constructors
 * @since 0.1.0
 */
export const open = Effect.fn("ChainStore.open")(function*(options: ChainStoreOptions) {
  const k = options.securityParam ?? 2160
  const chunkSize = options.chunkSize ?? 21_600
  const immutableDir = path.join(options.dir, "immutable")
  yield* Effect.try({ try: () => fs.mkdirSync(immutableDir, { recursive: true }), catch: ioError(immutableDir) })

  // open file descriptors of chunks being read, closed with the scope
  const fds = new Map<number, number>()
  yield* Effect.addFinalizer(() =>
    Effect.sync(() => {
      for (const fd of fds.values()) fs.closeSync(fd)
      fds.clear()
    })
  )
  const readAt = (e: DiskEntry): Uint8Array => {
    let fd = fds.get(e.chunk)
    if (fd === undefined) {
      fd = fs.openSync(path.join(immutableDir, chunkName(e.chunk, "chunk")), "r")
      fds.set(e.chunk, fd)
    }
    const out = new Uint8Array(e.size)
    const got = fs.readSync(fd, out, 0, e.size, e.offset)
    if (got !== e.size) throw new Error(`short read in chunk ${e.chunk} at byte ${e.offset}`)
    return out
  }

  // --- the immutable part, read back from disk
  const disk: Array<DiskEntry> = []
  const diskIndex = new Map<string, number>()
  let immTip: Tip = Tip.origin
  let currentChunk = -1
  yield* Effect.try({
    try: () => {
      const chunks = fs.readdirSync(immutableDir)
        .filter((f) => /^\d{5}\.chunk$/.test(f))
        .map((f) => Number(f.slice(0, 5)))
        .sort((a, b) => a - b)
      for (let i = 0; i < chunks.length; i++) {
        const chunk = chunks[i]!
        const isLast = i === chunks.length - 1
        let entries = isLast || options.validateAll ? undefined : readIndexedChunk(immutableDir, chunk, chunkSize)
        let cut = false
        if (entries === undefined) {
          const recovered = recoverChunk(immutableDir, chunk, chunkSize, !isLast)
          entries = recovered.entries
          cut = recovered.cut
        }
        for (const e of entries) {
          diskIndex.set(hexOf(e.hash), disk.length)
          disk.push(e)
        }
        currentChunk = chunk
        if (cut && !isLast) {
          // the chain ends inside this chunk: the later chunks no longer follow it
          for (const later of chunks.slice(i + 1)) {
            for (const ext of ["chunk", "primary", "secondary"] as const) {
              fs.rmSync(path.join(immutableDir, chunkName(later, ext)), { force: true })
            }
          }
          // an unfinished chunk's primary index ends at its last block
          fs.writeFileSync(path.join(immutableDir, chunkName(chunk, "primary")), encodePrimary(entries.map((e) => e.relSlot)))
          break
        }
      }
      const last = disk[disk.length - 1]
      if (last !== undefined) {
        const parsed = Block.parse(readAt(last))
        immTip = Tip.make(Block.pointOf(parsed), parsed.blockNo)
      }
    },
    catch: (e) =>
      e instanceof ChainStoreError ? e : new ChainStoreError({
        reason: e instanceof Block.BlockError ? "Corrupt" : "Io",
        path: immutableDir,
        detail: e instanceof Error ? e.message : String(e)
      })
  })

  // relative slots of the chunk being written, for its primary index
  let currentRelSlots: Array<number> = disk.filter((e) => e.chunk === currentChunk).map((e) => e.relSlot)
  let currentChunkSize = currentChunk < 0 ? 0 : disk.filter((e) => e.chunk === currentChunk).reduce((n, e) => n + e.size, 0)

  const finishChunk = (chunk: number, relSlots: ReadonlyArray<number>) =>
    fs.writeFileSync(path.join(immutableDir, chunkName(chunk, "primary")), encodePrimary(relSlots, chunkSize + 1))
  const startChunk = (chunk: number) => {
    for (const ext of ["chunk", "secondary"] as const) fs.writeFileSync(path.join(immutableDir, chunkName(chunk, ext)), new Uint8Array(0))
    fs.writeFileSync(path.join(immutableDir, chunkName(chunk, "primary")), encodePrimary([]))
  }

  /** Writes one block to the chunk files: block bytes, then its secondary entry, then primary offsets. */
  const writeImmutable = (block: Block.ChainBlock) => {
    const place = placeOf(block, chunkSize)
    if (place.chunk < currentChunk || (place.chunk === currentChunk && place.relSlot <= (currentRelSlots.at(-1) ?? -1))) {
      throw new ChainStoreError({
        reason: "NotLinked",
        path: immutableDir,
        detail: `block at slot ${block.slot} does not come after the stored tip`
      })
    }
    if (place.chunk !== currentChunk) {
      if (currentChunk >= 0) finishChunk(currentChunk, currentRelSlots)
      for (let skipped = currentChunk + 1; skipped < place.chunk; skipped++) {
        if (currentChunk < 0) break // a chain that starts later: nothing to fill before its first chunk
        startChunk(skipped)
        finishChunk(skipped, [])
      }
      startChunk(place.chunk)
      currentChunk = place.chunk
      currentRelSlots = []
      currentChunkSize = 0
    }
    const offset = currentChunkSize
    const base = (ext: "chunk" | "primary" | "secondary") => path.join(immutableDir, chunkName(currentChunk, ext))
    fs.appendFileSync(base("chunk"), block.bytes)
    fs.appendFileSync(base("secondary"), encodeSecondaryEntry(secondaryEntryOf(block, offset, place.blockOrEbb)))
    // primary: offsets for the empty slots since the last block, then the end of this block's entry
    const lastRel = currentRelSlots.at(-1) ?? -1
    const before = currentRelSlots.length * SECONDARY_ENTRY_SIZE
    const extra = new Uint8Array(4 * (place.relSlot - lastRel))
    const view = new DataView(extra.buffer)
    for (let i = 0; i < place.relSlot - lastRel - 1; i++) view.setUint32(4 * i, before)
    view.setUint32(extra.length - 4, before + SECONDARY_ENTRY_SIZE)
    fs.appendFileSync(base("primary"), extra)
    currentRelSlots.push(place.relSlot)
    currentChunkSize += block.bytes.length
    const entry: DiskEntry = { chunk: currentChunk, offset, size: block.bytes.length, slot: block.slot, relSlot: place.relSlot, hash: block.hash }
    diskIndex.set(hexOf(block.hash), disk.length)
    disk.push(entry)
    immTip = Tip.make(Block.pointOf(block), block.blockNo)
  }

  // --- the volatile part
  const volatile: Array<Block.ChainBlock> = []
  const volatileIndex = new Map<string, number>()
  const orphans = new Map<string, Uint8Array | undefined>()
  const pubsub = yield* PubSub.unbounded<Tip>()
  yield* Effect.addFinalizer(() => PubSub.shutdown(pubsub))

  const tipNow = (): Tip => {
    const last = volatile[volatile.length - 1]
    return last === undefined ? immTip : Tip.make(Block.pointOf(last), last.blockNo)
  }
  const total = () => disk.length + volatile.length
  /** The position of a point on the chain: -1 for origin, undefined when it is not on it. */
  const positionOf = (p: Point): number | undefined => {
    if (p._tag === "Origin") return -1
    const key = hexOf(p.hash)
    const v = volatileIndex.get(key)
    if (v !== undefined) return volatile[v]!.slot === p.slot ? disk.length + v : undefined
    const d = diskIndex.get(key)
    return d !== undefined && disk[d]!.slot === p.slot ? d : undefined
  }
  const bytesAt = (i: number): Uint8Array => (i < disk.length ? readAt(disk[i]!) : volatile[i - disk.length]!.bytes)
  const blockAt = (i: number): Block.ChainBlock => (i < disk.length ? Block.parse(readAt(disk[i]!)) : volatile[i - disk.length]!)
  const pointAt = (i: number): Point =>
    i < disk.length ? Point.specific(disk[i]!.slot, disk[i]!.hash) : Block.pointOf(volatile[i - disk.length]!)

  const sourceError = (operation: ChainSource.ChainSourceError["operation"]) => (e: unknown) =>
    new ChainSource.ChainSourceError({ operation, detail: e instanceof Error ? e.message : String(e) })

  const moveOld = () => {
    while (volatile.length > k) {
      const oldest = volatile[0]!
      writeImmutable(oldest)
      volatile.shift()
    }
    volatileIndex.clear()
    volatile.forEach((b, i) => volatileIndex.set(hexOf(b.hash), i))
  }

  const self: ChainStoreShape = {
    label: `chain store ${options.dir}`,
    immutableDir,
    tip: Effect.sync(tipNow),
    immutableTip: Effect.sync(() => immTip),
    changes: Stream.fromPubSub(pubsub),
    length: Effect.sync(total),
    counts: Effect.sync(() => ({ immutable: disk.length, volatile: volatile.length })),
    intersect: (points) =>
      Effect.sync(() => {
        for (const p of points) if (positionOf(p) !== undefined) return { point: p, tip: tipNow() }
        return undefined
      }),
    next: (cursor) =>
      Effect.try({
        try: (): ChainSource.ChainStep => {
          const i = positionOf(cursor)
          if (i !== undefined) {
            if (i + 1 >= total()) return { _tag: "AtTip", tip: tipNow() }
            const b = blockAt(i + 1)
            return { _tag: "RollForward", header: b.header, point: Block.pointOf(b), tip: tipNow() }
          }
          let hash: Uint8Array | undefined = cursor._tag === "Specific" ? cursor.hash : undefined
          while (hash !== undefined) {
            const key = hexOf(hash)
            const v = volatileIndex.get(key)
            if (v !== undefined) return { _tag: "RollBackward", point: Block.pointOf(volatile[v]!), tip: tipNow() }
            const d = diskIndex.get(key)
            if (d !== undefined) return { _tag: "RollBackward", point: pointAt(d), tip: tipNow() }
            if (!orphans.has(key)) break
            hash = orphans.get(key)
          }
          return { _tag: "RollBackward", point: Point.origin, tip: tipNow() }
        },
        catch: sourceError("next")
      }),
    range: (from, to) =>
      Effect.sync(() => {
        const a = positionOf(from)
        const b = positionOf(to)
        if (a === undefined || b === undefined || a < 0 || b < a) return undefined
        // the volatile blocks are taken now, so a roll-back while the stream runs cannot change them
        const held = volatile.slice(Math.max(0, a - disk.length), Math.max(0, b + 1 - disk.length))
        const diskEnd = Math.min(b + 1, disk.length)
        const onDisk = Stream.range(a, diskEnd - 1).pipe(
          Stream.mapEffect((i) => Effect.try({ try: () => readAt(disk[i]!), catch: sourceError("range") }))
        )
        const fromDisk = a < diskEnd ? onDisk : Stream.empty
        return Stream.concat(fromDisk, Stream.fromIterable(held.map((blk) => blk.bytes)))
      }),
    block: (p) =>
      Effect.try({
        try: () => {
          const i = positionOf(p)
          return i === undefined || i < 0 ? undefined : bytesAt(i)
        },
        catch: sourceError("block")
      }),
    append: (block) =>
      Effect.suspend(() => {
        const tip = tipNow()
        const linked = tip.point._tag === "Origin"
          ? true
          : equalBytes(block.prevHash, tip.point.hash) && block.slot >= tip.point.slot
        if (!linked) {
          return Effect.fail(
            new ChainStoreError({
              reason: "NotLinked",
              path: options.dir,
              detail: `block ${block.blockNo} at slot ${block.slot} does not follow the tip at slot ${
                tip.point._tag === "Specific" ? tip.point.slot : "origin"
              }`
            })
          )
        }
        volatile.push(block)
        volatileIndex.set(hexOf(block.hash), volatile.length - 1)
        orphans.delete(hexOf(block.hash))
        return Effect.try({
          try: () => {
            if (volatile.length > k) moveOld()
          },
          catch: (e) => (e instanceof ChainStoreError ? e : ioError(immutableDir)(e))
        }).pipe(Effect.andThen(PubSub.publish(pubsub, tipNow())), Effect.asVoid)
      }),
    rollbackTo: (point) =>
      Effect.suspend(() => {
        const i = positionOf(point)
        if (i === undefined || i < disk.length - 1) {
          return Effect.fail(
            new ChainStoreError({
              reason: "RollbackTooDeep",
              path: options.dir,
              detail: point._tag === "Origin" || i !== undefined
                ? `cannot roll back behind the immutable tip (${disk.length} blocks on disk)`
                : `slot ${point.slot} is not on the chain`
            })
          )
        }
        const removed = volatile.splice(i + 1 - disk.length)
        for (const b of removed) {
          volatileIndex.delete(hexOf(b.hash))
          orphans.set(hexOf(b.hash), b.prevHash)
        }
        if (orphans.size > 4 * k + 1000) {
          for (const key of orphans.keys()) {
            orphans.delete(key)
            if (orphans.size <= 2 * k) break
          }
        }
        return Effect.as(PubSub.publish(pubsub, tipNow()), removed)
      })
  }
  return self
})

/**
 * A layer giving both the ChainStore and, on the same store, the ChainSource a responder serves.
 *
 * @category layers
 * @since 0.1.0
 */
export const layer = (options: ChainStoreOptions): Layer.Layer<ChainStore | ChainSource.ChainSource, ChainStoreError> =>
  Layer.effectContext(
    Effect.map(open(options), (store) =>
      Context.make(ChainStore, store).pipe(Context.add(ChainSource.ChainSource, store)))
  )
