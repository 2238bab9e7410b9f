/**
 * Where the memory of a connection goes, layer by layer (a diagnostic for scenario 4, not part of
 * `npm run bench`): 1 000 connections from this process to an echo server in this process, both ends
 * counted, measured after two forced GCs.
 *
 *   node --expose-gc bench/scenarios/socket-memory.ts raw     plain node:net sockets
 *   node --expose-gc bench/scenarios/socket-memory.ts effect  effect/socket sockets (as under TcpInterface), reading
 *   node --expose-gc bench/scenarios/socket-memory.ts effect-traffic  the same, then 20 small writes each, echoed
 *   node --expose-gc bench/scenarios/socket-memory.ts mux     the same with a node-to-node multiplexer on each
 */
import { Mux, Protocols } from "@pallas-network2/core"
import * as Effect from "effect/Effect"
import * as net from "node:net"
import { dial } from "../../packages/node/src/internal/bearer.ts"

const N = 1000
const mode = process.argv[2] ?? "mux"
const server = net.createServer((s) => s.on("data", (d) => s.write(d)))
await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()))
const port = (server.address() as net.AddressInfo).port
const gc = (globalThis as { gc?: () => void }).gc ?? (() => {})
gc()
gc()
const m0 = process.memoryUsage()
const report = () => {
  gc()
  gc()
  const m1 = process.memoryUsage()
  const per = (k: keyof NodeJS.MemoryUsage) => ((m1[k] - m0[k]) / N / 1024).toFixed(1)
  process.stdout.write(`${mode}: per connection, both ends: rss ${per("rss")} KB, heapUsed ${per("heapUsed")} KB, heapTotal ${per("heapTotal")} KB, external ${per("external")} KB\n`)
}
if (mode === "raw") {
  const sockets: Array<net.Socket> = []
  for (let i = 0; i < N; i++) {
    await new Promise<void>((r) => {
      const s = net.connect(port, "127.0.0.1", () => r())
      s.setNoDelay(true)
      s.on("data", () => {})
      sockets.push(s)
    })
  }
  for (const s of sockets) s.write(Buffer.alloc(100))
  await new Promise((r) => setTimeout(r, 1000))
  report()
} else {
  const writers: Array<(chunks: ReadonlyArray<Uint8Array>) => Effect.Effect<void, unknown>> = []
  await Effect.runPromise(Effect.gen(function*() {
    for (let i = 0; i < N; i++) {
      const bearer = yield* dial({ host: "127.0.0.1", port, noDelay: true }, 10_000)
      writers.push(bearer.write)
      if (mode === "effect" || mode === "effect-traffic") {
        yield* Effect.forkScoped(Effect.forever(bearer.read))
        yield* bearer.write([new Uint8Array(100)])
      } else {
        yield* Mux.make(bearer, {
          protocols: Protocols.NodeToNode.protocols,
          initiator: true,
          responder: false,
          handshakeRole: "initiator",
          onReceive: () => Effect.void,
          onSent: () => Effect.void
        })
      }
    }
    if (mode === "effect-traffic") {
      // 20 more small writes per connection, echoed back, spread over 2 s
      for (let k = 0; k < 20; k++) {
        for (const w of writers) yield* w([new Uint8Array(8), new Uint8Array(12)])
        yield* Effect.sleep("100 millis")
      }
    }
    yield* Effect.sleep("1 second")
    report()
  }).pipe(Effect.scoped))
}
process.exit(0)
