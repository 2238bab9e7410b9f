/**
 * The README's usage example, as code the test suite runs: provide the TCP Interface and the
 * initiator behavior, run its Manager, start a sync and read the events.
 *
 * @since 0.1.0
 */
import { Effect, Layer, Stream } from "effect"
import { Initiator, NetworkMagic, type PeerId, Protocols } from "@pallas-network2/core"
import { TcpInterface } from "@pallas-network2/node"

/**
 * Follows `peer` from the origin and logs its first `count` headers.
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
 * The initiator's manager over TCP.
 *
 * @category examples
 * @since 0.1.0
 */
export const InitiatorLive = Initiator.managerLayer().pipe(
  Layer.provideMerge(Initiator.layer({ networkMagic: NetworkMagic.mainnet })),
  Layer.provide(TcpInterface.layer({ protocols: Protocols.NodeToNode.protocols }))
)

/**
 * The whole example: `Effect.runPromise(main(PeerId.tcp("127.0.0.1", 3001)))`.
 *
 * @category examples
 * @since 0.1.0
 */
export const main = (peer: PeerId, count = 10) => program(peer, count).pipe(Effect.provide(InitiatorLive), Effect.scoped)
