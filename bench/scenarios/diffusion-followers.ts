/**
 * The downstream side of scenario 7 (diffusion), in its own process: one ConnectionPool (the stack
 * under TcpInterface) holding N node-to-node connections to the relay on 127.0.0.1. Each connection
 * handshakes and follows chain-sync from the origin, one RequestNext at a time, until it holds block
 * TIP_BLOCK_NO and the relay says MsgAwaitReply; from then on it records when each roll-forward
 * arrives (performance.timeOrigin + performance.now(), milliseconds on the machine's clock, so the
 * process producing the blocks can compare) and asks for the next at once.
 *
 * Usage: node bench/scenarios/diffusion-followers.ts PORT FOLLOWERS TIP_BLOCK_NO
 *
 * Prints `{"ready": true, "ms": ...}` when every connection waits at the tip, then answers stdin lines:
 * `report BLOCK_NO` (waits up to 10 s until every follower has BLOCK_NO, then prints
 * `{"arrivals": {blockNo: [ms per follower]}, "missing": n}`), `quit`.
 */
import { Block, Protocols } from "@pallas-network2/core"
import type { PeerId } from "@pallas-network2/core"
import * as Effect from "effect/Effect"
import { commandLoop, poolClients, runSide } from "./poolClient.ts"

const { ChainSync } = Protocols
const [portArg, countArg, tipArg] = process.argv.slice(2)
const count = Number(countArg)
const tipBlockNo = Number(tipArg)

interface Follower {
  readonly id: PeerId
  highest: number
  atTip: boolean
}

const program = Effect.gen(function*() {
  const arrivals = new Map<number, Array<number>>()
  const clients = yield* poolClients<Follower>({
    port: Number(portArg),
    count,
    prefix: "follower",
    make: (id) => ({ id, highest: -1, atTip: false }),
    onMessage: (f, m, at, { reached, send }) => {
      switch (m._tag) {
        case "MsgAcceptVersion":
        case "MsgRollBackward":
          return send(f.id, ChainSync.make.requestNext())
        case "MsgRollForward": {
          const blockNo = Block.headerInfo(m.header).blockNo
          f.highest = Math.max(f.highest, blockNo)
          if (f.atTip) {
            const list = arrivals.get(blockNo) ?? []
            list.push(performance.timeOrigin + at)
            arrivals.set(blockNo, list)
          }
          return send(f.id, ChainSync.make.requestNext())
        }
        case "MsgAwaitReply":
          if (f.atTip || f.highest < tipBlockNo) return Effect.void
          f.atTip = true
          return reached
        default:
          return Effect.void
      }
    }
  })
  const ms = yield* clients.connectAll
  process.stdout.write(JSON.stringify({ ready: true, ms }) + "\n")

  yield* commandLoop((line) => {
    const report = /^report (\d+)$/.exec(line)
    if (report === null) return
    const last = Number(report[1])
    const deadline = performance.now() + 10_000
    const check = () => {
      const got = arrivals.get(last)?.length ?? 0
      if (got < count && performance.now() < deadline) return void setTimeout(check, 20)
      process.stdout.write(JSON.stringify({ arrivals: Object.fromEntries(arrivals), missing: count - got }) + "\n")
    }
    check()
  })
}).pipe(Effect.scoped)

runSide(program)
