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

// working vector and message words as (low, high) 32-bit pairs
const v = new Uint32Array(32)
const m = new Uint32Array(32)

const add = (a: number, b: number) => {
  const lo = v[a]! + v[b]!
  v[a + 1] = v[a + 1]! + v[b + 1]! + (lo > 0xffffffff ? 1 : 0)
  v[a] = lo
}
const addM = (a: number, x: number) => {
  const lo = v[a]! + m[x]!
  v[a + 1] = v[a + 1]! + m[x + 1]! + (lo > 0xffffffff ? 1 : 0)
  v[a] = lo
}

const mix = (a: number, b: number, c: number, d: number, x: number, y: number) => {
  add(a, b)
  addM(a, x)
  let lo = v[d]! ^ v[a]!
  let hi = v[d + 1]! ^ v[a + 1]!
  v[d] = hi // rotate right 32
  v[d + 1] = lo
  add(c, d)
  lo = v[b]! ^ v[c]!
  hi = v[b + 1]! ^ v[c + 1]!
  v[b] = (lo >>> 24) | (hi << 8) // rotate right 24
  v[b + 1] = (hi >>> 24) | (lo << 8)
  add(a, b)
  addM(a, y)
  lo = v[d]! ^ v[a]!
  hi = v[d + 1]! ^ v[a + 1]!
  v[d] = (lo >>> 16) | (hi << 16) // rotate right 16
  v[d + 1] = (hi >>> 16) | (lo << 16)
  add(c, d)
  lo = v[b]! ^ v[c]!
  hi = v[b + 1]! ^ v[c + 1]!
  v[b] = (hi >>> 31) | (lo << 1) // rotate right 63
  v[b + 1] = (lo >>> 31) | (hi << 1)
}

const compress = (h: Uint32Array, block: Uint8Array, offset: number, counter: number, last: boolean) => {
  for (let i = 0; i < 16; i++) {
    v[i] = h[i]!
    v[i + 16] = IV[i]!
  }
  v[24] ^= counter >>> 0
  v[25] ^= Math.floor(counter / 0x100000000)
  if (last) {
    v[28] = ~v[28]!
    v[29] = ~v[29]!
  }
  for (let i = 0; i < 32; i++) {
    const p = offset + i * 4
    m[i] = block[p]! | (block[p + 1]! << 8) | (block[p + 2]! << 16) | (block[p + 3]! << 24)
  }
  for (let r = 0; r < 12; r++) {
    const s = SIGMA[r]!
    mix(0, 8, 16, 24, s[0]!, s[1]!)
    mix(2, 10, 18, 26, s[2]!, s[3]!)
    mix(4, 12, 20, 28, s[4]!, s[5]!)
    mix(6, 14, 22, 30, s[6]!, s[7]!)
    mix(0, 10, 20, 30, s[8]!, s[9]!)
    mix(2, 12, 22, 24, s[10]!, s[11]!)
    mix(4, 14, 16, 26, s[12]!, s[13]!)
    mix(6, 8, 18, 28, s[14]!, s[15]!)
  }
  for (let i = 0; i < 16; i++) h[i] = h[i]! ^ v[i]! ^ v[i + 16]!
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
