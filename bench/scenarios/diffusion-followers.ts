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
import { Block, ConnectionPool, Protocols } from "@pallas-network2/core"
import type { InterfaceEvent, PeerId } from "@pallas-network2/core"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import * as readline from "node:readline"
import { dialTo } from "../../packages/node/src/internal/dialTo.ts"

const { ChainSync, Handshake, NodeToNode } = Protocols
export const MAGIC = 764824073
const [portArg, countArg, tipArg] = process.argv.slice(2)
const port = Number(portArg)
const count = Number(countArg)
const tipBlockNo = Number(tipArg)
const clock = () => performance.timeOrigin + performance.now()

interface Follower {
  readonly id: PeerId
  highest: number
  atTip: boolean
}

const program = Effect.gen(function*() {
  const pool = yield* ConnectionPool.make(dialTo("127.0.0.1", port, 30_000), { protocols: NodeToNode.protocols })
  const followers = new Map<string, Follower>()
  const ready = yield* Deferred.make<void, Error>()
  const arrivals = new Map<number, Array<number>>()
  let atTip = 0
  const send = (peer: PeerId, message: any) => pool.dispatch({ _tag: "Send", peer, message })

  const onEvent = (e: InterfaceEvent): Effect.Effect<void> =>
    Effect.gen(function*() {
      const f = followers.get(e.peer)
      if (f === undefined) return
      if (e._tag === "Disconnected" || e._tag === "Error") {
        yield* Deferred.fail(ready, new Error(`${e.peer}: ${e._tag} ${e._tag === "Error" ? String(e.error) : ""}`))
        return
      }
      if (e._tag !== "Recv") return
      const t = clock()
      for (const m of e.messages as ReadonlyArray<any>) {
        switch (m._tag) {
          case "MsgAcceptVersion":
            yield* send(f.id, ChainSync.make.requestNext())
            break
          case "MsgRefuse":
            yield* Deferred.fail(ready, new Error(`${f.id}: handshake refused`))
            break
          case "MsgRollBackward":
            yield* send(f.id, ChainSync.make.requestNext())
            break
          case "MsgRollForward": {
            const blockNo = Block.headerInfo(m.header).blockNo
            f.highest = Math.max(f.highest, blockNo)
            if (f.atTip) {
              const list = arrivals.get(blockNo) ?? []
              list.push(t)
              arrivals.set(blockNo, list)
            }
            yield* send(f.id, ChainSync.make.requestNext())
            break
          }
          case "MsgAwaitReply":
            if (!f.atTip && f.highest >= tipBlockNo) {
              f.atTip = true
              if (++atTip === count) yield* Deferred.succeed(ready, undefined)
            }
            break
        }
      }
    })
  yield* Effect.forkScoped(Stream.runForEach(pool.events, onEvent))

  const started = performance.now()
  for (let i = 0; i < count; i++) {
    const id = `follower-${i}` as PeerId
    followers.set(id, { id, highest: -1, atTip: false })
    yield* pool.dispatch({ _tag: "Connect", peer: id })
    yield* send(id, Handshake.make.propose(Handshake.n2nVersionTable({ magic: MAGIC })))
  }
  yield* Deferred.await(ready)
  process.stdout.write(JSON.stringify({ ready: true, ms: performance.now() - started }) + "\n")

  const lines = readline.createInterface({ input: process.stdin })
  yield* Effect.callback<void>((resume) => {
    lines.on("line", (line) => {
      const report = /^report (\d+)$/.exec(line)
      if (report !== null) {
        const last = Number(report[1])
        const deadline = performance.now() + 10_000
        const check = () => {
          const got = arrivals.get(last)?.length ?? 0
          if (got < count && performance.now() < deadline) return void setTimeout(check, 20)
          process.stdout.write(JSON.stringify({ arrivals: Object.fromEntries(arrivals), missing: count - got }) + "\n")
        }
        check()
      } else if (line === "quit") resume(Effect.void)
    })
    lines.on("close", () => resume(Effect.void))
  })
}).pipe(Effect.scoped)

Effect.runPromise(program).then(
  () => process.exit(0),
  (e) => {
    process.stdout.write(JSON.stringify({ error: String(e) }) + "\n")
    process.exit(1)
  }
)
