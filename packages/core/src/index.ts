/**
 * @pallas-network2/core: the Ouroboros networking stack for Effect, platform-free.
 *
 * @since 0.1.0
 */
export * as Behavior from "./Behavior.ts"
export { BehaviorOutput } from "./Behavior.ts"
export { Cbor } from "./cbor/index.ts"
export * as Interface from "./Interface.ts"
export { InterfaceCommand, InterfaceEvent } from "./Interface.ts"
export * as Manager from "./Manager.ts"
export type { Message, ProtocolName } from "./Message.ts"
export * as OutboundQueue from "./OutboundQueue.ts"
export { DEFAULT_SDU_SIZE, MAX_SEGMENT_PAYLOAD_LENGTH, NetworkMagic, PeerId } from "./Primitives.ts"
export type { Channel, PeerAddress, Payload, Role } from "./Primitives.ts"
export * as ProtocolError from "./ProtocolError.ts"
export { Blake2b, Block, BlockProof, ChainSource, GeneratedChain, ReplayChain } from "./chain/index.ts"
export * as Initiator from "./behavior/Initiator.ts"
export * as Responder from "./behavior/Responder.ts"
export * as LocalClient from "./behavior/LocalClient.ts"
export * as LocalServer from "./behavior/LocalServer.ts"
export * as LocalNode from "./LocalNode.ts"
export { Segment } from "./bearer/index.ts"
export * as Mux from "./mux/Mux.ts"
export * as Observability from "./Observability.ts"
export * as ConnectionPool from "./mux/ConnectionPool.ts"
export * as TestInterface from "./emulation/TestInterface.ts"
export * as Protocols from "./protocol/index.ts"
