/**
 * @since 0.1.0
 */
export * as Cbor from "./Cbor.ts"
