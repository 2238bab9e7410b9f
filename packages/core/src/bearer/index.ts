/**
 * @since 0.1.0
 */
export * as Segment from "./Segment.ts"
