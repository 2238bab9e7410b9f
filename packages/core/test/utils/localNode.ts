/**
 * The node-to-client pair on the simulated network (TestInterface + TestClock): the local-node
 * stand-in (LocalServer) at an address serving a chain, and LocalNode clients of it, each from a new
 * address.
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Stream from "effect/Stream"
import { ChainSource, LocalClient, LocalNode, LocalServer, PeerId, TestInterface } from "../../src/index.ts"

export const MAGIC = 2
export const protocols = LocalClient.protocols

/**
 * The stand-in at `address` serving `chain`, with `extra` (a validator or a query handler) and
 * `config`; its link delays every write by `latency` ms. Returns the events it reported.
 */
export const standInAt = (
  address: PeerId,
  chain: ChainSource.ChainSourceShape,
  options: {
    readonly extra?: Layer.Layer<never> | Layer.Layer<LocalServer.TxValidator> | Layer.Layer<LocalServer.QueryHandler>
    readonly config?: LocalServer.LocalServerConfig
    readonly latency?: number
  } = {}
) =>
  Effect.gen(function*() {
    const context = yield* Layer.build(
      LocalServer.layerManager({ networkMagic: MAGIC, ...options.config }).pipe(
        Layer.provide((options.extra ?? Layer.empty) as Layer.Layer<never>),
        Layer.provideMerge(Layer.succeed(ChainSource.ChainSource, chain)),
        Layer.provideMerge(TestInterface.layer({ address, listen: true, protocols, link: { latency: options.latency ?? 0 } }))
      )
    )
    const events: Array<LocalServer.LocalServerEvent> = []
    yield* Effect.forkScoped(Stream.runForEach(Context.get(context, LocalServer.LocalServerManager).events, (e) => Effect.sync(() => void events.push(e))))
    return events
  })

let clientPort = 40000
/** A LocalNode client of the stand-in at `server`, from a new port on `host`. */
export const clientOf = (server: PeerId, host: string, options: Partial<LocalNode.LocalNodeOptions> = {}) =>
  Effect.suspend(() =>
    Effect.map(
      Layer.build(
        LocalNode.layer({ peer: server, networkMagic: MAGIC, ...options }).pipe(
          Layer.provide(TestInterface.layer({ address: PeerId.tcp(host, clientPort++), protocols }))
        )
      ),
      (context) => Context.get(context, LocalNode.LocalNode)
    )
  )
