/**
 * Byte buffers cut from shared slabs. A typed array of its own costs V8 an allocation outside its
 * heap (measured 1.5 to 6 us for 1.5 kB, more than encoding or framing the message it holds); a view
 * of a slab costs about a tenth of that. A piece handed out keeps its whole slab alive, as the pieces
 * of Node's Buffer pool do, so slabs are for bytes that do not live long (a write, a message being
 * encoded) or that fill them densely.
 *
 * @internal
 */

/** Hands out pieces of slabs of `size` bytes; a request over `maxPiece` gets a buffer of its own. */
export class Slab {
  private slab: Uint8Array
  private used = 0
  private readonly size: number
  private readonly maxPiece: number
  constructor(size: number, maxPiece: number) {
    this.size = size
    this.maxPiece = maxPiece
    this.slab = new Uint8Array(size)
  }

  /** `n` bytes (not zeroed when cut from a slab already used). */
  take(n: number): Uint8Array {
    if (n > this.maxPiece) return new Uint8Array(n)
    if (this.used + n > this.size) {
      this.slab = new Uint8Array(this.size)
      this.used = 0
    }
    const out = this.slab.subarray(this.used, this.used + n)
    this.used += (n + 7) & ~7
    return out
  }

  /**
   * Gives back what `piece` did not use past its first `used` bytes, when it is the last piece taken
   * (a piece taken since keeps it); the bytes given back are then not zeroed.
   */
  giveBack(piece: Uint8Array, used: number): void {
    const at = piece.byteOffset
    if (piece.buffer === this.slab.buffer && this.used === at + ((piece.length + 7) & ~7)) this.used = at + ((used + 7) & ~7)
  }
}
