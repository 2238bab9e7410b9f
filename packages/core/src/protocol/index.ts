/**
 * Every mini-protocol, one module each, with the shared contract (Protocol, Driver, Common).
 *
 * @since 0.1.0
 */
export * as BlockFetch from "./BlockFetch.ts"
export * as ChainSync from "./ChainSync.ts"
export * as Common from "./Common.ts"
export * as Driver from "./Driver.ts"
export * as Handshake from "./Handshake.ts"
export * as KeepAlive from "./KeepAlive.ts"
export * as LocalChainSync from "./LocalChainSync.ts"
export * as LocalStateQuery from "./LocalStateQuery.ts"
export * as LocalTxMonitor from "./LocalTxMonitor.ts"
export * as LocalTxSubmission from "./LocalTxSubmission.ts"
export * as NodeToClient from "./NodeToClient.ts"
export * as NodeToNode from "./NodeToNode.ts"
export * as PeerSharing from "./PeerSharing.ts"
export * as Protocol from "./Protocol.ts"
export * as TxRejection from "./TxRejection.ts"
export * as TxSubmission2 from "./TxSubmission2.ts"
