import { assert, describe, it } from "@effect/vitest"
import { ChainSource, GeneratedChain, PeerId, Protocols, Responder } from "@pallas-network2/core"
import * as TcpInterface from "@pallas-network2/node/TcpInterface"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Stream from "effect/Stream"
import * as ReadmeExample from "../src/examples/ReadmeExample.ts"

describe("README example", () => {
  it.live("follows the first headers from a responder over TCP on 127.0.0.1", () =>
    Effect.gen(function*() {
      const chain = yield* ChainSource.makeMemory(GeneratedChain.generate({ blocks: 20, maxBodySize: 2000 }))
      const server = yield* Layer.build(
        Responder.layerManager().pipe(
          Layer.provideMerge(Layer.succeed(ChainSource.ChainSource, chain)),
          Layer.provideMerge(TcpInterface.layer({ protocols: Protocols.NodeToNode.protocols, listen: { host: "127.0.0.1", port: 0 } }))
        )
      )
      yield* Effect.forkScoped(Stream.runDrain(Context.get(server, Responder.ResponderManager).events))
      const port = Context.get(server, TcpInterface.TcpListenAddress)!.port
      const headers = yield* ReadmeExample.main(PeerId.tcp("127.0.0.1", port), 5)
      assert.deepStrictEqual(Array.from(headers).map((h) => h._tag === "HeaderReceived" ? h.blockNo : -1), [0, 1, 2, 3, 4])
    }), 30_000)
})
