import { assert, describe, it } from "@effect/vitest"
import { Block, Cbor, ChainSource, GeneratedChain, LocalServer } from "@pallas-network2/core"
import { Point } from "@pallas-network2/core/protocol/Common"
import * as LocalNodeSocket from "@pallas-network2/node/LocalNodeSocket"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Stream from "effect/Stream"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import * as LocalNodeExample from "../src/examples/LocalNodeExample.ts"

describe("README node-to-client example", () => {
  it.live("queries the tip, submits a transaction and streams the first blocks from a stand-in on a Unix socket", () =>
    Effect.gen(function*() {
      const dir = yield* Effect.acquireRelease(
        Effect.sync(() => fs.mkdtempSync(path.join(os.tmpdir(), "n2c-readme-"))),
        (d) => Effect.sync(() => fs.rmSync(d, { recursive: true, force: true }))
      )
      const socketPath = path.join(dir, "node.socket")
      const blocks = GeneratedChain.generate({ blocks: 20, maxBodySize: 2000 })
      const chain = yield* ChainSource.makeMemory(blocks)
      const server = yield* Layer.build(
        LocalNodeSocket.layerStandInUnix({ socketPath, networkMagic: 2 }).pipe(Layer.provide(Layer.succeed(ChainSource.ChainSource, chain)))
      )
      const events: Array<LocalServer.LocalServerEvent> = []
      yield* Effect.forkScoped(Stream.runForEach(Context.get(server, LocalServer.LocalServerManager).events, (e) => Effect.sync(() => void events.push(e))))
      const tx = { era: 6, bytes: Cbor.encode([new Map([[0, [[new Uint8Array(32).fill(7), 0]]]]), new Map(), true, null]) }
      const result = yield* LocalNodeExample.main(tx, 5, { networkMagic: 2, socketPath })
      assert.isTrue(Point.equals(result.tip.point, Block.pointOf(blocks[19]!)))
      assert.strictEqual(result.tip.blockNo, blocks[19]!.blockNo)
      assert.deepStrictEqual(Array.from(result.blocks).map((b) => b.blockNo), blocks.slice(0, 5).map((b) => b.blockNo))
      assert.deepStrictEqual(Array.from(result.blocks).map((b) => Cbor.toHex(b.bytes)), blocks.slice(0, 5).map((b) => Cbor.toHex(b.bytes)))
      assert.isTrue(events.some((e) => e._tag === "TxAccepted" && Cbor.toHex(e.txId) === Cbor.toHex(result.txId)))
    }).pipe(Effect.scoped), 30_000)
})
