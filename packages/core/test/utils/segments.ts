/**
 * Property-test inputs for the segment reader: segments (protocol, mode bit, payload) on the wire,
 * and that stream cut at arbitrary points, as a socket may hand it over.
 */
import * as fc from "fast-check"
import { Segment } from "../../src/bearer/index.ts"

/** One segment to put on the wire. */
export interface WireSegment {
  readonly protocol: number
  readonly responder: boolean
  readonly payload: Uint8Array
}

/**
 * 1 to `maxSegments` segments of protocols 0..`maxProtocol` and payloads of 1..`maxPayload` bytes;
 * the wire bytes (each segment's header stamped with `time`) and those bytes cut at up to `maxCuts`
 * points below `maxCut` (each taken modulo the stream's length), in order.
 */
export const cutStream = (options: {
  readonly maxProtocol: number
  readonly maxPayload: number
  readonly maxSegments: number
  readonly maxCut: number
  readonly maxCuts: number
  readonly time: number
}) =>
  fc.tuple(
    fc.array(
      fc.record({
        protocol: fc.integer({ min: 0, max: options.maxProtocol }),
        responder: fc.boolean(),
        payload: fc.uint8Array({ minLength: 1, maxLength: options.maxPayload })
      }),
      { minLength: 1, maxLength: options.maxSegments }
    ),
    fc.array(fc.integer({ min: 0, max: options.maxCut }), { maxLength: options.maxCuts })
  ).map(([segments, cuts]) => {
    const stream = new Uint8Array(Buffer.concat(segments.flatMap((s: WireSegment) => Segment.cut(s.payload, s.protocol, s.responder, 65_535, options.time))))
    const points = [...new Set(cuts.map((c) => c % (stream.length + 1)))].sort((a, b) => a - b)
    const pieces: Array<Uint8Array> = []
    let last = 0
    for (const p of [...points, stream.length]) {
      pieces.push(stream.subarray(last, p))
      last = p
    }
    return { segments: segments as ReadonlyArray<WireSegment>, stream, pieces }
  })
