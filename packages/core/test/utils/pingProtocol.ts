/**
 * A small protocol for transport tests: the client sends `[0, n, blob]`, the server answers
 * `[1, n, blob]`; `[2]` ends it. Channel 8 (like keep-alive), a configurable ingress limit.
 */
import * as Schema from "effect/Schema"
import type { Protocol } from "../../src/protocol/Protocol.ts"
import * as C from "../../src/protocol/internal/codec.ts"

type Name = "keep-alive" | "chain-sync"
export type Ping =
  | { readonly protocol: Name; readonly _tag: "Ping"; readonly n: number; readonly blob: Uint8Array }
  | { readonly protocol: Name; readonly _tag: "Pong"; readonly n: number; readonly blob: Uint8Array }
  | { readonly protocol: Name; readonly _tag: "Stop" }

const PingSchema = Schema.Union([
  Schema.TaggedStruct("Ping", { protocol: Schema.Literals(["keep-alive", "chain-sync"]), n: Schema.Number, blob: Schema.Uint8Array }),
  Schema.TaggedStruct("Pong", { protocol: Schema.Literals(["keep-alive", "chain-sync"]), n: Schema.Number, blob: Schema.Uint8Array }),
  Schema.TaggedStruct("Stop", { protocol: Schema.Literals(["keep-alive", "chain-sync"]) })
])

const codecFor = (name: Name) => C.makeCodec<Ping, typeof PingSchema>("ping", PingSchema, (m) =>
  m._tag === "Stop" ? [2] : [m._tag === "Ping" ? 0 : 1, m.n, m.blob], (v) => {
  const [tag, a] = C.messageTag(v, "ping")
  if (tag === 2) return { protocol: name, _tag: "Stop" }
  return {
    protocol: name,
    _tag: tag === 0 ? "Ping" : tag === 1 ? "Pong" : C.fail("unknown tag"),
    n: C.uint(a[1]!, "n"),
    blob: C.bytes(a[2]!, "blob")
  }
})

export const ping = (n: number, blob: Uint8Array = new Uint8Array(0), protocol: Name = "keep-alive"): Ping => ({ protocol, _tag: "Ping", n, blob })
export const pong = (n: number, blob: Uint8Array = new Uint8Array(0), protocol: Name = "keep-alive"): Ping => ({ protocol, _tag: "Pong", n, blob })

/** The ping protocol on channel 8 ("keep-alive") or, as a second protocol, channel 2 ("chain-sync"). */
export const pingProtocol = (options: { ingressLimit?: number; maxInFlight?: number; timeout?: number; second?: boolean } = {}): Protocol<Ping> => ({
  name: options.second === true ? "chain-sync" : "keep-alive",
  channel: options.second === true ? 2 : 8,
  initialState: "Client",
  states: { Client: { agency: "client" }, Server: { agency: "server", timeout: options.timeout }, Done: { agency: "nobody" } },
  transitions: [
    { from: "Client", message: "Ping", to: "Server" },
    { from: "Server", message: "Pong", to: "Client" },
    { from: "Client", message: "Stop", to: "Done" }
  ],
  ingressLimit: options.ingressLimit ?? 10_000_000,
  maxInFlight: options.maxInFlight ?? 100,
  ...codecFor(options.second === true ? "chain-sync" : "keep-alive")
})
