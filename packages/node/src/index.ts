/**
 * @pallas-network2/node: Node.js transports for the Ouroboros stack.
 *
 * @since 0.1.0
 */
export * as ChainStore from "./ChainStore.ts"
export * as ImmutableDb from "./ImmutableDb.ts"
export * as ListenError from "./ListenError.ts"
export * as TcpInterface from "./TcpInterface.ts"
export * as Topology from "./Topology.ts"
export * as UnixInterface from "./UnixInterface.ts"
export * as LocalNodeSocket from "./LocalNodeSocket.ts"
export * as Relay from "./Relay.ts"
