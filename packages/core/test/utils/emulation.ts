/**
 * Building blocks for tests on the simulated network: a responder or an initiator at an address,
 * each with its manager running in the test's scope; a bare client Interface and a listening one.
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Queue from "effect/Queue"
import * as Stream from "effect/Stream"
import { ChainSource, Initiator, Interface, type InterfaceEvent, PeerId, Protocols, Responder, TestInterface } from "../../src/index.ts"

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

/** `count` responders over one chain at `<subnet>.1`..`<subnet>.<count>` port 3001, the i-th with latency `latency(i)`; their addresses. */
export const respondersAt = (
  subnet: string,
  count: number,
  chain: ChainSource.ChainSourceShape,
  latency: (i: number) => number,
  config: Partial<Responder.ResponderConfig> = {}
) =>
  Effect.gen(function*() {
    const peers: Array<PeerId> = []
    for (let i = 0; i < count; i++) {
      const address = PeerId.tcp(`${subnet}.${i + 1}`, 3001)
      peers.push(address)
      yield* responderAt(address, chain, latency(i), config)
    }
    return peers
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

/**
 * A bare node-to-node Interface listening at `host`:3001 and a client Interface at `clientHost`:40000,
 * not connected yet; the client's events queued in `events`.
 */
export const clientAndServer = (host: string, clientHost: string) =>
  Effect.gen(function*() {
    const server = PeerId.tcp(host, 3001)
    yield* Layer.build(TestInterface.layer({ address: server, listen: true, protocols }))
    const client = Context.get(yield* Layer.build(TestInterface.layer({ address: PeerId.tcp(clientHost, 40000), protocols })), Interface.Interface)
    const events = yield* Queue.unbounded<InterfaceEvent>()
    yield* Effect.forkScoped(Stream.runForEach(client.events, (e) => Queue.offer(events, e)))
    return { server, client, events }
  })
