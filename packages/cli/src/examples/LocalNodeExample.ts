/**
 * The README's node-to-client example, as code the test suite runs: a LocalNode on the node's Unix
 * socket (`CARDANO_NODE_SOCKET_PATH` unless a path is given), the tip queried, a transaction
 * submitted, the first blocks streamed.
 *
 * @since 0.1.0
 */
import { Effect, Stream } from "effect"
import { LocalNode } from "@pallas-network2/core"
import type { EraTx } from "@pallas-network2/core/protocol/Common"
import { LocalNodeSocket } from "@pallas-network2/node"

/**
 * Queries the tip, submits `tx`, and collects the first `count` blocks from the origin.
 *
 * @category examples
 * @since 0.1.0
 */
export const program = (tx: EraTx, count = 10) =>
  Effect.gen(function*() {
    const node = yield* LocalNode.LocalNode
    const tip = yield* node.queryTip
    yield* Effect.log(`tip: block ${tip.blockNo}, era ${tip.era}, epoch ${tip.epoch}`)
    const txId = yield* node.submitTx(tx)
    const blocks = yield* node.blocks("origin").pipe(
      Stream.filter((u) => u._tag === "RollForward"),
      Stream.take(count),
      Stream.map((u) => u.block),
      Stream.runCollect
    )
    return { tip, txId, blocks }
  })

/**
 * The whole example: `Effect.runPromise(main(tx, 10, { networkMagic: 2 }))`.
 *
 * @category examples
 * @since 0.1.0
 */
export const main = (tx: EraTx, count = 10, options: { readonly networkMagic: number; readonly socketPath?: string } = { networkMagic: 764824073 }) =>
  program(tx, count).pipe(Effect.provide(LocalNodeSocket.layerUnix(options)))
