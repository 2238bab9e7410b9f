/**
 * BLAKE2b (RFC 7693), written for the header and block hashes of Cardano (blake2b-256) in a
 * platform-free way: Node's crypto offers only the 512-bit digest.
 *
 * @since 0.1.0
 */

const IV = new Uint32Array([
  0xf3bcc908, 0x6a09e667, 0x84caa73b, 0xbb67ae85, 0xfe94f82b, 0x3c6ef372, 0x5f1d36f1, 0xa54ff53a,
  0xade682d1, 0x510e527f, 0x2b3e6c1f, 0x9b05688c, 0xfb41bd6b, 0x1f83d9ab, 0x137e2179, 0x5be0cd19
])

const SIGMA = [
  [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15],
  [14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3],
  [11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4],
  [7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8],
  [9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13],
  [2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9],
  [12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11],
  [13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10],
  [6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5],
  [10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0],
  [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15],
  [14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3]
].map((row) => row.map((i) => i * 2))

// message words as (low, high) 32-bit pairs
const m = new Uint32Array(32)

const compress = (h: Uint32Array, block: Uint8Array, offset: number, counter: number, last: boolean) => {
  for (let i = 0; i < 32; i++) {
    const p = offset + i * 4
    m[i] = block[p]! | (block[p + 1]! << 8) | (block[p + 2]! << 16) | (block[p + 3]! << 24)
  }
  // the working vector in locals, (low, high) 32-bit halves, kept unsigned
  let v0l = h[0]!
  let v0h = h[1]!
  let v1l = h[2]!
  let v1h = h[3]!
  let v2l = h[4]!
  let v2h = h[5]!
  let v3l = h[6]!
  let v3h = h[7]!
  let v4l = h[8]!
  let v4h = h[9]!
  let v5l = h[10]!
  let v5h = h[11]!
  let v6l = h[12]!
  let v6h = h[13]!
  let v7l = h[14]!
  let v7h = h[15]!
  let v8l = IV[0]!
  let v8h = IV[1]!
  let v9l = IV[2]!
  let v9h = IV[3]!
  let v10l = IV[4]!
  let v10h = IV[5]!
  let v11l = IV[6]!
  let v11h = IV[7]!
  let v12l = IV[8]!
  let v12h = IV[9]!
  let v13l = IV[10]!
  let v13h = IV[11]!
  let v14l = IV[12]!
  let v14h = IV[13]!
  let v15l = IV[14]!
  let v15h = IV[15]!
  v12l = (v12l ^ counter) >>> 0
  v12h = (v12h ^ Math.floor(counter / 0x100000000)) >>> 0
  if (last) {
    v14l = ~v14l >>> 0
    v14h = ~v14h >>> 0
  }
  let lo = 0
  let t = 0
  let u = 0
  let x = 0
  for (let r = 0; r < 12; r++) {
    const s = SIGMA[r]!
    {
      // G0: v0 v4 v8 v12
      x = s[0]!
      lo = v0l + v4l + m[x]!
      v0h = (v0h + v4h + m[x + 1]! + ((lo / 0x100000000) | 0)) >>> 0
      v0l = lo >>> 0
      t = v12l ^ v0l
      v12l = (v12h ^ v0h) >>> 0
      v12h = t >>> 0
      lo = v8l + v12l
      v8h = (v8h + v12h + ((lo / 0x100000000) | 0)) >>> 0
      v8l = lo >>> 0
      t = v4l ^ v8l
      u = v4h ^ v8h
      v4l = ((t >>> 24) | (u << 8)) >>> 0
      v4h = ((u >>> 24) | (t << 8)) >>> 0
      x = s[1]!
      lo = v0l + v4l + m[x]!
      v0h = (v0h + v4h + m[x + 1]! + ((lo / 0x100000000) | 0)) >>> 0
      v0l = lo >>> 0
      t = v12l ^ v0l
      u = v12h ^ v0h
      v12l = ((t >>> 16) | (u << 16)) >>> 0
      v12h = ((u >>> 16) | (t << 16)) >>> 0
      lo = v8l + v12l
      v8h = (v8h + v12h + ((lo / 0x100000000) | 0)) >>> 0
      v8l = lo >>> 0
      t = v4l ^ v8l
      u = v4h ^ v8h
      v4l = ((u >>> 31) | (t << 1)) >>> 0
      v4h = ((t >>> 31) | (u << 1)) >>> 0
      // G1: v1 v5 v9 v13
      x = s[2]!
      lo = v1l + v5l + m[x]!
      v1h = (v1h + v5h + m[x + 1]! + ((lo / 0x100000000) | 0)) >>> 0
      v1l = lo >>> 0
      t = v13l ^ v1l
      v13l = (v13h ^ v1h) >>> 0
      v13h = t >>> 0
      lo = v9l + v13l
      v9h = (v9h + v13h + ((lo / 0x100000000) | 0)) >>> 0
      v9l = lo >>> 0
      t = v5l ^ v9l
      u = v5h ^ v9h
      v5l = ((t >>> 24) | (u << 8)) >>> 0
      v5h = ((u >>> 24) | (t << 8)) >>> 0
      x = s[3]!
      lo = v1l + v5l + m[x]!
      v1h = (v1h + v5h + m[x + 1]! + ((lo / 0x100000000) | 0)) >>> 0
      v1l = lo >>> 0
      t = v13l ^ v1l
      u = v13h ^ v1h
      v13l = ((t >>> 16) | (u << 16)) >>> 0
      v13h = ((u >>> 16) | (t << 16)) >>> 0
      lo = v9l + v13l
      v9h = (v9h + v13h + ((lo / 0x100000000) | 0)) >>> 0
      v9l = lo >>> 0
      t = v5l ^ v9l
      u = v5h ^ v9h
      v5l = ((u >>> 31) | (t << 1)) >>> 0
      v5h = ((t >>> 31) | (u << 1)) >>> 0
      // G2: v2 v6 v10 v14
      x = s[4]!
      lo = v2l + v6l + m[x]!
      v2h = (v2h + v6h + m[x + 1]! + ((lo / 0x100000000) | 0)) >>> 0
      v2l = lo >>> 0
      t = v14l ^ v2l
      v14l = (v14h ^ v2h) >>> 0
      v14h = t >>> 0
      lo = v10l + v14l
      v10h = (v10h + v14h + ((lo / 0x100000000) | 0)) >>> 0
      v10l = lo >>> 0
      t = v6l ^ v10l
      u = v6h ^ v10h
      v6l = ((t >>> 24) | (u << 8)) >>> 0
      v6h = ((u >>> 24) | (t << 8)) >>> 0
      x = s[5]!
      lo = v2l + v6l + m[x]!
      v2h = (v2h + v6h + m[x + 1]! + ((lo / 0x100000000) | 0)) >>> 0
      v2l = lo >>> 0
      t = v14l ^ v2l
      u = v14h ^ v2h
      v14l = ((t >>> 16) | (u << 16)) >>> 0
      v14h = ((u >>> 16) | (t << 16)) >>> 0
      lo = v10l + v14l
      v10h = (v10h + v14h + ((lo / 0x100000000) | 0)) >>> 0
      v10l = lo >>> 0
      t = v6l ^ v10l
      u = v6h ^ v10h
      v6l = ((u >>> 31) | (t << 1)) >>> 0
      v6h = ((t >>> 31) | (u << 1)) >>> 0
      // G3: v3 v7 v11 v15
      x = s[6]!
      lo = v3l + v7l + m[x]!
      v3h = (v3h + v7h + m[x + 1]! + ((lo / 0x100000000) | 0)) >>> 0
      v3l = lo >>> 0
      t = v15l ^ v3l
      v15l = (v15h ^ v3h) >>> 0
      v15h = t >>> 0
      lo = v11l + v15l
      v11h = (v11h + v15h + ((lo / 0x100000000) | 0)) >>> 0
      v11l = lo >>> 0
      t = v7l ^ v11l
      u = v7h ^ v11h
      v7l = ((t >>> 24) | (u << 8)) >>> 0
      v7h = ((u >>> 24) | (t << 8)) >>> 0
      x = s[7]!
      lo = v3l + v7l + m[x]!
      v3h = (v3h + v7h + m[x + 1]! + ((lo / 0x100000000) | 0)) >>> 0
      v3l = lo >>> 0
      t = v15l ^ v3l
      u = v15h ^ v3h
      v15l = ((t >>> 16) | (u << 16)) >>> 0
      v15h = ((u >>> 16) | (t << 16)) >>> 0
      lo = v11l + v15l
      v11h = (v11h + v15h + ((lo / 0x100000000) | 0)) >>> 0
      v11l = lo >>> 0
      t = v7l ^ v11l
      u = v7h ^ v11h
      v7l = ((u >>> 31) | (t << 1)) >>> 0
      v7h = ((t >>> 31) | (u << 1)) >>> 0
      // G4: v0 v5 v10 v15
      x = s[8]!
      lo = v0l + v5l + m[x]!
      v0h = (v0h + v5h + m[x + 1]! + ((lo / 0x100000000) | 0)) >>> 0
      v0l = lo >>> 0
      t = v15l ^ v0l
      v15l = (v15h ^ v0h) >>> 0
      v15h = t >>> 0
      lo = v10l + v15l
      v10h = (v10h + v15h + ((lo / 0x100000000) | 0)) >>> 0
      v10l = lo >>> 0
      t = v5l ^ v10l
      u = v5h ^ v10h
      v5l = ((t >>> 24) | (u << 8)) >>> 0
      v5h = ((u >>> 24) | (t << 8)) >>> 0
      x = s[9]!
      lo = v0l + v5l + m[x]!
      v0h = (v0h + v5h + m[x + 1]! + ((lo / 0x100000000) | 0)) >>> 0
      v0l = lo >>> 0
      t = v15l ^ v0l
      u = v15h ^ v0h
      v15l = ((t >>> 16) | (u << 16)) >>> 0
      v15h = ((u >>> 16) | (t << 16)) >>> 0
      lo = v10l + v15l
      v10h = (v10h + v15h + ((lo / 0x100000000) | 0)) >>> 0
      v10l = lo >>> 0
      t = v5l ^ v10l
      u = v5h ^ v10h
      v5l = ((u >>> 31) | (t << 1)) >>> 0
      v5h = ((t >>> 31) | (u << 1)) >>> 0
      // G5: v1 v6 v11 v12
      x = s[10]!
      lo = v1l + v6l + m[x]!
      v1h = (v1h + v6h + m[x + 1]! + ((lo / 0x100000000) | 0)) >>> 0
      v1l = lo >>> 0
      t = v12l ^ v1l
      v12l = (v12h ^ v1h) >>> 0
      v12h = t >>> 0
      lo = v11l + v12l
      v11h = (v11h + v12h + ((lo / 0x100000000) | 0)) >>> 0
      v11l = lo >>> 0
      t = v6l ^ v11l
      u = v6h ^ v11h
      v6l = ((t >>> 24) | (u << 8)) >>> 0
      v6h = ((u >>> 24) | (t << 8)) >>> 0
      x = s[11]!
      lo = v1l + v6l + m[x]!
      v1h = (v1h + v6h + m[x + 1]! + ((lo / 0x100000000) | 0)) >>> 0
      v1l = lo >>> 0
      t = v12l ^ v1l
      u = v12h ^ v1h
      v12l = ((t >>> 16) | (u << 16)) >>> 0
      v12h = ((u >>> 16) | (t << 16)) >>> 0
      lo = v11l + v12l
      v11h = (v11h + v12h + ((lo / 0x100000000) | 0)) >>> 0
      v11l = lo >>> 0
      t = v6l ^ v11l
      u = v6h ^ v11h
      v6l = ((u >>> 31) | (t << 1)) >>> 0
      v6h = ((t >>> 31) | (u << 1)) >>> 0
      // G6: v2 v7 v8 v13
      x = s[12]!
      lo = v2l + v7l + m[x]!
      v2h = (v2h + v7h + m[x + 1]! + ((lo / 0x100000000) | 0)) >>> 0
      v2l = lo >>> 0
      t = v13l ^ v2l
      v13l = (v13h ^ v2h) >>> 0
      v13h = t >>> 0
      lo = v8l + v13l
      v8h = (v8h + v13h + ((lo / 0x100000000) | 0)) >>> 0
      v8l = lo >>> 0
      t = v7l ^ v8l
      u = v7h ^ v8h
      v7l = ((t >>> 24) | (u << 8)) >>> 0
      v7h = ((u >>> 24) | (t << 8)) >>> 0
      x = s[13]!
      lo = v2l + v7l + m[x]!
      v2h = (v2h + v7h + m[x + 1]! + ((lo / 0x100000000) | 0)) >>> 0
      v2l = lo >>> 0
      t = v13l ^ v2l
      u = v13h ^ v2h
      v13l = ((t >>> 16) | (u << 16)) >>> 0
      v13h = ((u >>> 16) | (t << 16)) >>> 0
      lo = v8l + v13l
      v8h = (v8h + v13h + ((lo / 0x100000000) | 0)) >>> 0
      v8l = lo >>> 0
      t = v7l ^ v8l
      u = v7h ^ v8h
      v7l = ((u >>> 31) | (t << 1)) >>> 0
      v7h = ((t >>> 31) | (u << 1)) >>> 0
      // G7: v3 v4 v9 v14
      x = s[14]!
      lo = v3l + v4l + m[x]!
      v3h = (v3h + v4h + m[x + 1]! + ((lo / 0x100000000) | 0)) >>> 0
      v3l = lo >>> 0
      t = v14l ^ v3l
      v14l = (v14h ^ v3h) >>> 0
      v14h = t >>> 0
      lo = v9l + v14l
      v9h = (v9h + v14h + ((lo / 0x100000000) | 0)) >>> 0
      v9l = lo >>> 0
      t = v4l ^ v9l
      u = v4h ^ v9h
      v4l = ((t >>> 24) | (u << 8)) >>> 0
      v4h = ((u >>> 24) | (t << 8)) >>> 0
      x = s[15]!
      lo = v3l + v4l + m[x]!
      v3h = (v3h + v4h + m[x + 1]! + ((lo / 0x100000000) | 0)) >>> 0
      v3l = lo >>> 0
      t = v14l ^ v3l
      u = v14h ^ v3h
      v14l = ((t >>> 16) | (u << 16)) >>> 0
      v14h = ((u >>> 16) | (t << 16)) >>> 0
      lo = v9l + v14l
      v9h = (v9h + v14h + ((lo / 0x100000000) | 0)) >>> 0
      v9l = lo >>> 0
      t = v4l ^ v9l
      u = v4h ^ v9h
      v4l = ((u >>> 31) | (t << 1)) >>> 0
      v4h = ((t >>> 31) | (u << 1)) >>> 0
    }
  }
  h[0] = h[0]! ^ v0l ^ v8l
  h[1] = h[1]! ^ v0h ^ v8h
  h[2] = h[2]! ^ v1l ^ v9l
  h[3] = h[3]! ^ v1h ^ v9h
  h[4] = h[4]! ^ v2l ^ v10l
  h[5] = h[5]! ^ v2h ^ v10h
  h[6] = h[6]! ^ v3l ^ v11l
  h[7] = h[7]! ^ v3h ^ v11h
  h[8] = h[8]! ^ v4l ^ v12l
  h[9] = h[9]! ^ v4h ^ v12h
  h[10] = h[10]! ^ v5l ^ v13l
  h[11] = h[11]! ^ v5h ^ v13h
  h[12] = h[12]! ^ v6l ^ v14l
  h[13] = h[13]! ^ v6h ^ v14h
  h[14] = h[14]! ^ v7l ^ v15l
  h[15] = h[15]! ^ v7h ^ v15h
}

/**
 * The BLAKE2b digest of the concatenation of `parts`, `outputLength` bytes long (1 to 64).
 *
 * @example
 * ```ts
 * import { Blake2b } from "@pallas-network2/core"
 * Blake2b.hash([new Uint8Array(0)], 32) // 0e5751c0...
 * ```
 *
 * @category hashing
 * @since 0.1.0
 */
export const hash = (parts: ReadonlyArray<Uint8Array>, outputLength: number): Uint8Array => {
  const h = new Uint32Array(IV)
  h[0] = h[0]! ^ 0x01010000 ^ outputLength
  const buffer = new Uint8Array(128)
  let filled = 0
  let counter = 0
  for (const part of parts) {
    for (let i = 0; i < part.length;) {
      if (filled === 128) {
        counter += 128
        compress(h, buffer, 0, counter, false)
        filled = 0
      }
      if (filled === 0) {
        // whole blocks straight from the part, as long as more bytes follow them in it
        while (part.length - i > 128) {
          counter += 128
          compress(h, part, i, counter, false)
          i += 128
        }
      }
      const n = Math.min(128 - filled, part.length - i)
      buffer.set(part.subarray(i, i + n), filled)
      filled += n
      i += n
    }
  }
  counter += filled
  buffer.fill(0, filled)
  compress(h, buffer, 0, counter, true)
  const out = new Uint8Array(outputLength)
  for (let i = 0; i < outputLength; i++) out[i] = (h[i >> 2]! >>> (8 * (i & 3))) & 0xff
  return out
}

/**
 * blake2b-256 of some bytes: the hash of Cardano headers, blocks and transactions.
 *
 * @category hashing
 * @since 0.1.0
 */
export const blake2b256 = (...parts: ReadonlyArray<Uint8Array>): Uint8Array => hash(parts, 32)
