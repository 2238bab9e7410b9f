/**
 * @since 0.1.0
 */
export * as Blake2b from "./Blake2b.ts"
export * as Block from "./Block.ts"
export * as BlockProof from "./BlockProof.ts"
export * as ChainSource from "./ChainSource.ts"
export * as GeneratedChain from "./GeneratedChain.ts"
export * as ReplayChain from "./ReplayChain.ts"
