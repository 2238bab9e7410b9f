/**
 * Reads the shared conformance vectors (../shared/vectors beside the project's root). They are never
 * copied into the project; where the folder is absent, the tests that need it say so and skip.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"

export const sharedDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../../../shared")
export const vectorsDir = path.join(sharedDir, "vectors")
export const vectorsAvailable = fs.existsSync(vectorsDir)

export interface Vector {
  readonly name: string
  readonly cbor_hex: string
  readonly expect: Record<string, unknown>
  readonly source: string
  readonly origin: string
}

/** The vectors of one file (`chainsync.json`, ...); empty when the shared folder is absent. */
export const loadVectors = (file: string): ReadonlyArray<Vector> =>
  vectorsAvailable ? (JSON.parse(fs.readFileSync(path.join(vectorsDir, file), "utf8")) as Array<Vector>) : []

/** An entry of the shared block vectors' index (`blocks/INDEX.json`). */
export interface BlockIndexEntry {
  readonly file: string
  readonly era: string
  readonly layout: string
  readonly header_hash: string
  readonly prev_hash: string
}

/** The shared block vectors' index; empty when the shared folder is absent. */
export const loadBlockIndex = (): ReadonlyArray<BlockIndexEntry> =>
  vectorsAvailable ? (JSON.parse(fs.readFileSync(path.join(vectorsDir, "blocks/INDEX.json"), "utf8")) as Array<BlockIndexEntry>) : []

/** The index entry of the real mainnet block of `era` (its name: "byron" ... "conway") kept as a raw era block. */
export const mainnetBlockEntry = (index: ReadonlyArray<BlockIndexEntry>, era: string): BlockIndexEntry | undefined =>
  index.find((e) => e.era === era && e.file.includes("_mainnet_") && e.layout.startsWith("raw era block"))

/** Keys of `expect` that describe the vector rather than the message. */
const descriptive = new Set(["note", "layout", "mux", "source", "origin", "decode_only"])

/**
 * The keys of `expect` that `actual` (the message as the CLI prints it) must match exactly;
 * descriptive keys (notes, layouts, mux framing) are left out. Returns the differing keys.
 */
export const mismatches = (actual: Record<string, unknown>, expect: Record<string, unknown>): Array<string> => {
  const out: Array<string> = []
  for (const [key, value] of Object.entries(expect)) {
    if (descriptive.has(key)) continue
    if (JSON.stringify(actual[key]) !== JSON.stringify(value)) {
      out.push(`${key}: expected ${JSON.stringify(value)}, got ${JSON.stringify(actual[key])}`)
    }
  }
  return out
}
