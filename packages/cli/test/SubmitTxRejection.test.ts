/**
 * `network2 submit-tx` against an in-process stand-in (real Unix socket) whose validator rejects with
 * a Conway reason: the one line names the decoded failures, `--json` prints the decoded tree.
 */
import { assert, describe, it } from "@effect/vitest"
import { Cbor, ChainSource, GeneratedChain, LocalServer } from "@pallas-network2/core"
import * as LocalNodeSocket from "@pallas-network2/node/LocalNodeSocket"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as fs from "node:fs"
import * as path from "node:path"
import { run, tempSocket } from "./support/localProcess.ts"

// reject_reason_0031: a Conway UTXOW failure wrapping UTXO InsufficientCollateral, then UTXOW index 9
const REASON = "8182068282018200830c1a000d8a871a000b075682018209d9010280"

describe("network2 submit-tx: a rejection decoded", () => {
  it.live("the line names ConwayUtxowFailure.UtxoFailure.InsufficientCollateral; --json has the tree and the exact bytes", () =>
    Effect.gen(function*() {
      const { dir, socketPath } = yield* tempSocket()
      const validator = Layer.succeed(LocalServer.TxValidator, {
        validate: () => Effect.fail(new LocalServer.TxRejection({ reason: Cbor.fromHex(REASON)!, detail: "collateral" }))
      })
      yield* Layer.build(
        LocalNodeSocket.layerStandInUnix({ socketPath, networkMagic: 42 }).pipe(
          Layer.provide(validator),
          Layer.provide(Layer.effect(ChainSource.ChainSource, ChainSource.makeMemory(GeneratedChain.generate({ blocks: 3 }))))
        )
      )
      const tx = Cbor.encode([new Map<Cbor.Value, Cbor.Value>([[0, []], [2, 1]]), new Map(), true, null])
      fs.writeFileSync(path.join(dir, "tx.hex"), Cbor.toHex(tx))
      const env = { CARDANO_NODE_SOCKET_PATH: socketPath }
      const plain = yield* run(["submit-tx", path.join(dir, "tx.hex"), "--era", "6", "--testnet-magic", "42"], env)
      assert.strictEqual(plain.code, 1, plain.err)
      assert.strictEqual(plain.out, "")
      assert.match(plain.err.trim(), new RegExp(`^network2 submit-tx: transaction [0-9a-f]{64} rejected \\(Conway\\): ConwayUtxowFailure\\.UtxoFailure\\.InsufficientCollateral; ConwayUtxowFailure\\.#9 \\(${REASON}\\)$`))
      const json = yield* run(["submit-tx", path.join(dir, "tx.hex"), "--era", "6", "--testnet-magic", "42", "--json"], env)
      assert.strictEqual(json.code, 1, json.err)
      const printed = JSON.parse(json.out) as { accepted: boolean; rejection: { known: boolean; era: number; reason_cbor: string; failures: Array<any> } }
      assert.isFalse(printed.accepted)
      assert.isTrue(printed.rejection.known)
      assert.strictEqual(printed.rejection.era, 6)
      assert.strictEqual(printed.rejection.reason_cbor, REASON)
      assert.strictEqual(printed.rejection.failures[0].inner.inner.name, "InsufficientCollateral")
      assert.deepStrictEqual(printed.rejection.failures[0].inner.inner.fields, [887431, 722774])
      assert.strictEqual(printed.rejection.failures[1].inner.name, null)
    }).pipe(Effect.scoped), 60_000)
})
