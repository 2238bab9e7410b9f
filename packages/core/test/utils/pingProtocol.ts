/**
 * A small protocol for transport tests: the client sends `[0, n, blob]`, the server answers
 * `[1, n, blob]`; `[2]` ends it. Channel 8 (like keep-alive), a configurable ingress limit.
 */
import * as Schema from "effect/Schema"
import type { Protocol } from "../../src/protocol/Protocol.ts"
import * as C from "../../src/protocol/internal/codec.ts"

export type Ping =
  | { readonly protocol: "keep-alive"; readonly _tag: "Ping"; readonly n: number; readonly blob: Uint8Array }
  | { readonly protocol: "keep-alive"; readonly _tag: "Pong"; readonly n: number; readonly blob: Uint8Array }
  | { readonly protocol: "keep-alive"; readonly _tag: "Stop" }

const PingSchema = Schema.Union([
  Schema.TaggedStruct("Ping", { protocol: Schema.Literal("keep-alive"), n: Schema.Number, blob: Schema.Uint8Array }),
  Schema.TaggedStruct("Pong", { protocol: Schema.Literal("keep-alive"), n: Schema.Number, blob: Schema.Uint8Array }),
  Schema.TaggedStruct("Stop", { protocol: Schema.Literal("keep-alive") })
])

const codec = C.makeCodec<Ping, typeof PingSchema>("ping", PingSchema, (m) =>
  m._tag === "Stop" ? [2] : [m._tag === "Ping" ? 0 : 1, m.n, m.blob], (v) => {
  const [tag, a] = C.messageTag(v, "ping")
  if (tag === 2) return { protocol: "keep-alive", _tag: "Stop" }
  return {
    protocol: "keep-alive",
    _tag: tag === 0 ? "Ping" : tag === 1 ? "Pong" : C.fail("unknown tag"),
    n: C.uint(a[1]!, "n"),
    blob: C.bytes(a[2]!, "blob")
  }
})

export const ping = (n: number, blob: Uint8Array = new Uint8Array(0)): Ping => ({ protocol: "keep-alive", _tag: "Ping", n, blob })
export const pong = (n: number, blob: Uint8Array = new Uint8Array(0)): Ping => ({ protocol: "keep-alive", _tag: "Pong", n, blob })

export const pingProtocol = (options: { ingressLimit?: number; maxInFlight?: number; timeout?: number } = {}): Protocol<Ping> => ({
  name: "keep-alive",
  channel: 8,
  initialState: "Client",
  states: { Client: { agency: "client" }, Server: { agency: "server", timeout: options.timeout }, Done: { agency: "nobody" } },
  transitions: [
    { from: "Client", message: "Ping", to: "Server" },
    { from: "Server", message: "Pong", to: "Client" },
    { from: "Client", message: "Stop", to: "Done" }
  ],
  ingressLimit: options.ingressLimit ?? 10_000_000,
  maxInFlight: options.maxInFlight ?? 100,
  ...codec
})
