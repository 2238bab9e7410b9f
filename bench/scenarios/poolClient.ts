/**
 * Shared by the side processes that hold many node-to-node connections to one server in one
 * ConnectionPool (the stack under TcpInterface) on 127.0.0.1: scale-client.ts (scenario 4) and
 * diffusion-followers.ts (scenario 7). Each connection is proposed the mainnet magic; a disconnect,
 * an error or a refused handshake fails the wait for all of them. Beside it: the stdin command loop
 * and the process's end.
 */
import { ConnectionPool, Protocols } from "@pallas-network2/core"
import type { InterfaceEvent, PeerId } from "@pallas-network2/core"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import * as readline from "node:readline"
import { dialTo } from "../../packages/node/src/internal/dialTo.ts"

const { Handshake, NodeToNode } = Protocols
export const MAGIC = 764824073

/** What a client's message handler can do: send on a connection, count it ready, or fail the wait. */
export interface PoolControl {
  readonly send: (peer: PeerId, message: any) => Effect.Effect<void>
  /** Counts one more connection ready; the last of `count` ends the wait of {@link PoolClients.connectAll}. */
  readonly reached: Effect.Effect<void>
  readonly fail: (reason: string) => Effect.Effect<void>
}

/** The connections of one pool, not opened yet. */
export interface PoolClients<P> {
  readonly pool: ConnectionPool.Pool<any>
  readonly peers: ReadonlyMap<string, P>
  readonly send: PoolControl["send"]
  /** Opens the `count` connections, proposes the handshake on each, waits until every one is ready; the milliseconds it took. */
  readonly connectAll: Effect.Effect<number, Error>
}

/**
 * `count` connections to 127.0.0.1:port named `<prefix>-<i>`, each with the state `make` gives it;
 * `onMessage` sees every message but a refused handshake, with the time its batch arrived
 * (performance.now()).
 */
export const poolClients = <P extends { readonly id: PeerId }>(options: {
  readonly port: number
  readonly count: number
  readonly prefix: string
  readonly make: (id: PeerId) => P
  readonly onMessage: (peer: P, message: any, at: number, control: PoolControl) => Effect.Effect<void>
}): Effect.Effect<PoolClients<P>, never, Scope.Scope> =>
  Effect.gen(function*() {
    const pool = yield* ConnectionPool.make(dialTo("127.0.0.1", options.port, 30_000), { protocols: NodeToNode.protocols })
    const peers = new Map<string, P>()
    const ready = yield* Deferred.make<void, Error>()
    let reachedCount = 0
    const control: PoolControl = {
      send: (peer, message) => pool.dispatch({ _tag: "Send", peer, message }),
      reached: Effect.suspend(() => ++reachedCount === options.count ? Deferred.succeed(ready, undefined) : Effect.void),
      fail: (reason) => Effect.asVoid(Deferred.fail(ready, new Error(reason)))
    }
    const onEvent = (e: InterfaceEvent): Effect.Effect<void> =>
      Effect.gen(function*() {
        const p = peers.get(e.peer)
        if (p === undefined) return
        if (e._tag === "Disconnected" || e._tag === "Error") {
          return yield* control.fail(`${e.peer}: ${e._tag} ${e._tag === "Error" ? String(e.error) : ""}`)
        }
        if (e._tag !== "Recv") return
        const at = performance.now()
        for (const m of e.messages as ReadonlyArray<any>) {
          if (m._tag === "MsgRefuse") yield* control.fail(`${p.id}: handshake refused`)
          else yield* options.onMessage(p, m, at, control)
        }
      })
    yield* Effect.forkScoped(Stream.runForEach(pool.events, onEvent))
    const connectAll = Effect.gen(function*() {
      const started = performance.now()
      for (let i = 0; i < options.count; i++) {
        const id = `${options.prefix}-${i}` as PeerId
        peers.set(id, options.make(id))
        yield* pool.dispatch({ _tag: "Connect", peer: id })
        yield* control.send(id, Handshake.make.propose(Handshake.n2nVersionTable({ magic: MAGIC })))
      }
      yield* Deferred.await(ready)
      return performance.now() - started
    })
    return { pool, peers, send: control.send, connectAll }
  })

/** Answers stdin lines with `onLine` until a `quit` line or the end of stdin. */
export const commandLoop = (onLine: (line: string) => void): Effect.Effect<void> =>
  Effect.callback<void>((resume) => {
    const lines = readline.createInterface({ input: process.stdin })
    lines.on("line", (line) => {
      if (line === "quit") resume(Effect.void)
      else onLine(line)
    })
    lines.on("close", () => resume(Effect.void))
  })

/** Runs a side process's program: exit 0 when it ends, else one `{"error": ...}` line and exit 1. */
export const runSide = (program: Effect.Effect<void, unknown>): void => {
  Effect.runPromise(program).then(
    () => process.exit(0),
    (e) => {
      process.stdout.write(JSON.stringify({ error: String(e) }) + "\n")
      process.exit(1)
    }
  )
}
