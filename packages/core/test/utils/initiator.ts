/**
 * An initiator (or a responder) driven by its manager over any Interface in the test's scope: the
 * set-up the behavior tests share, whatever network (scripted, bridged, simulated) they run on.
 */
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import * as Initiator from "../../src/behavior/Initiator.ts"
import * as Responder from "../../src/behavior/Responder.ts"
import type { ChainBlock } from "../../src/chain/Block.ts"
import * as ChainSource from "../../src/chain/ChainSource.ts"
import type { InterfaceShape } from "../../src/Interface.ts"
import * as Manager from "../../src/Manager.ts"
import type { PeerId } from "../../src/Primitives.ts"
import type { AnyNodeToNodeMessage } from "../../src/protocol/NodeToNode.ts"

/**
 * An initiator over `iface` (no churn unless asked) with its manager; every event is collected in
 * `events`. The `peers` are included and, with `start`, a sync begins.
 */
export const runInitiator = Effect.fnUntraced(function*(
  iface: InterfaceShape<AnyNodeToNodeMessage>,
  config: Initiator.InitiatorConfig,
  peers: ReadonlyArray<PeerId>,
  start?: Initiator.SyncStart
) {
  const behavior = yield* Initiator.make({ churnInterval: undefined, ...config })
  const manager = yield* Manager.make(iface, behavior)
  const events: Array<Initiator.InitiatorEvent> = []
  yield* manager.events.pipe(Stream.runForEach((e) => Effect.sync(() => events.push(e))), Effect.forkScoped)
  for (const p of peers) yield* manager.execute(Initiator.InitiatorCommand.IncludePeer(p))
  if (start !== undefined) yield* manager.execute(Initiator.InitiatorCommand.StartSync(start))
  return { behavior, manager, events }
})

/** A responder serving `blocks` from memory over `iface`, its events drained. */
export const serveBlocks = Effect.fnUntraced(function*(iface: InterfaceShape<AnyNodeToNodeMessage>, blocks: ReadonlyArray<ChainBlock>) {
  const chain = yield* ChainSource.makeMemory(blocks)
  const manager = yield* Manager.make(iface, yield* Responder.make({}, chain))
  yield* manager.events.pipe(Stream.runDrain, Effect.forkScoped)
})
