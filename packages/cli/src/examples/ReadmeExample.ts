/**
 * The README's usage example: an Effect program that follows the chain from one peer with the
 * node-to-node initiator and prints the first headers. The transport is a layer of its own, so the
 * same program runs over TCP (`TcpInterface.layer()` from `@pallas-network2/node`) or in memory.
 *
 * @since 0.1.0
 */
import { Effect, Layer, Stream } from "effect"
import { Initiator, type Interface, NetworkMagic, type PeerId } from "@pallas-network2/core"

/**
 * Follows from `peer` and returns the first `count` headers' events, logging each.
 *
 * @category examples
 * @since 0.1.0
 */
export const program = (peer: PeerId, count = 10) =>
  Effect.gen(function*() {
    const manager = yield* Initiator.InitiatorManager
    yield* manager.execute(Initiator.InitiatorCommand.IncludePeer(peer))
    yield* manager.execute(Initiator.InitiatorCommand.StartSync(Initiator.SyncStart.origin))
    return yield* manager.events.pipe(
      Stream.filter((event) => event._tag === "HeaderReceived"),
      Stream.take(count),
      Stream.tap((event) => Effect.log(Initiator.describeEvent(event))),
      Stream.runCollect
    )
  })

/**
 * The initiator behavior and its manager; the Interface (TCP, Unix socket, or the emulation's
 * TestInterface) is provided below it.
 *
 * @category examples
 * @since 0.1.0
 */
export const InitiatorLive = Initiator.managerLayer().pipe(
  Layer.provideMerge(Initiator.layer({ networkMagic: NetworkMagic.mainnet }))
)

/**
 * The program with everything provided but the transport.
 *
 * @category examples
 * @since 0.1.0
 */
export const main = <E, R>(peer: PeerId, transport: Layer.Layer<Interface.Interface, E, R>, count = 10) =>
  program(peer, count).pipe(Effect.provide(InitiatorLive.pipe(Layer.provide(transport))))
