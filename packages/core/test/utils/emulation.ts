/**
 * Building blocks for tests on the simulated network: a responder or an initiator at an address,
 * each with its manager running in the test's scope.
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Stream from "effect/Stream"
import { ChainSource, Initiator, Interface, type PeerId, Protocols, Responder, TestInterface } from "../../src/index.ts"

export const protocols = Protocols.NodeToNode.protocols
export const MAGIC = 2

/** A responder listening at `address` (links with the given one-way latency); returns its behavior. */
export const responderAt = (
  address: PeerId,
  chain: ChainSource.ChainSourceShape,
  latency: number,
  config: Partial<Responder.ResponderConfig> = {}
) =>
  Effect.gen(function*() {
    const context = yield* Layer.build(
      Responder.layerManager({ networkMagic: MAGIC, ...config }).pipe(
        Layer.provideMerge(Layer.succeed(ChainSource.ChainSource, chain)),
        Layer.provideMerge(TestInterface.layer({ address, listen: true, protocols, link: { latency } }))
      )
    )
    yield* Effect.forkScoped(Stream.runDrain(Context.get(context, Responder.ResponderManager).events))
    return Context.get(context, Responder.ResponderBehavior)
  })

/** An initiator at `address` (no churn unless asked); returns its manager. */
export const initiatorAt = (address: PeerId, config: Initiator.InitiatorConfig) =>
  Effect.map(
    Layer.build(
      Initiator.managerLayer().pipe(
        Layer.provideMerge(Initiator.layer({ networkMagic: MAGIC, churnInterval: undefined, ...config })),
        Layer.provideMerge(TestInterface.layer({ address, protocols }) as Layer.Layer<Interface.Interface, never, TestInterface.SimNetwork>)
      )
    ),
    (context) => Context.get(context, Initiator.InitiatorManager)
  )
