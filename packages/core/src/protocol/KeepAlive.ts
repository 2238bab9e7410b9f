/**
 * Keep-alive (node-to-node, mini-protocol 8): the client sends a cookie, the server echoes it; the
 * round trip measures the connection.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"
import * as C from "./internal/codec.ts"
import type { Protocol } from "./Protocol.ts"

const tag = Schema.tag("keep-alive")
const p = "keep-alive" as const

/**
 * Client: a ping carrying a 16-bit cookie. `[0, cookie]`.
 *
 * @category schemas
 * @since 0.1.0
 */
export const MsgKeepAlive = Schema.TaggedStruct("MsgKeepAlive", { protocol: tag, cookie: Schema.Number })
/**
 * Server: the answer, echoing the cookie. `[1, cookie]`.
 *
 * @category schemas
 * @since 0.1.0
 */
export const MsgKeepAliveResponse = Schema.TaggedStruct("MsgKeepAliveResponse", { protocol: tag, cookie: Schema.Number })
/**
 * Client: ends the protocol. `[2]`.
 *
 * @category schemas
 * @since 0.1.0
 */
export const MsgDone = Schema.TaggedStruct("MsgDone", { protocol: tag })

/**
 * Every keep-alive message.
 *
 * @category schemas
 * @since 0.1.0
 */
export const MessageSchema = Schema.Union([MsgKeepAlive, MsgKeepAliveResponse, MsgDone])

/**
 * A keep-alive message.
 *
 * @category models
 * @since 0.1.0
 */
export type Message = typeof MessageSchema.Type

/**
 * Constructors.
 *
 * @example
 * ```ts
 * import { KeepAlive } from "@pallas-network2/core/protocol"
 * KeepAlive.make.keepAlive(12345)
 * ```
 *
 * @category constructors
 * @since 0.1.0
 */
export const make = {
  keepAlive: (cookie: number): Message => ({ protocol: p, _tag: "MsgKeepAlive", cookie }),
  response: (cookie: number): Message => ({ protocol: p, _tag: "MsgKeepAliveResponse", cookie }),
  done: (): Message => ({ protocol: p, _tag: "MsgDone" })
} as const

/**
 * The exact codec.
 *
 * @category encoding
 * @since 0.1.0
 */
export const codec = C.makeCodec<Message, typeof MessageSchema>(p, MessageSchema, (m) => {
  switch (m._tag) {
    case "MsgKeepAlive":
      return [0, m.cookie]
    case "MsgKeepAliveResponse":
      return [1, m.cookie]
    case "MsgDone":
      return [2]
  }
}, (v) => {
  const [t, a] = C.messageTag(v, p)
  switch (t) {
    case 0:
      C.arrayOf(v, 2, "MsgKeepAlive")
      return make.keepAlive(C.uint(a[1]!, "cookie", 0xffff))
    case 1:
      C.arrayOf(v, 2, "MsgKeepAliveResponse")
      return make.response(C.uint(a[1]!, "cookie", 0xffff))
    case 2:
      C.arrayOf(v, 1, "MsgDone")
      return make.done()
    default:
      return C.fail(`keep-alive: unknown message tag ${t}`)
  }
})

/**
 * The keep-alive protocol (channel 8; client waits 97 s, server 60 s).
 *
 * @category protocols
 * @since 0.1.0
 */
export const protocol: Protocol<Message> = {
  name: p,
  channel: 8,
  initialState: "Client",
  states: {
    Client: { agency: "client", byteLimit: 65_535, timeout: 97_000 },
    Server: { agency: "server", byteLimit: 65_535, timeout: 60_000 },
    Done: { agency: "nobody" }
  },
  transitions: [
    { from: "Client", message: "MsgKeepAlive", to: "Server" },
    { from: "Server", message: "MsgKeepAliveResponse", to: "Client" },
    { from: "Client", message: "MsgDone", to: "Done" }
  ],
  ingressLimit: 1_408,
  maxInFlight: 1,
  ...codec
}

/**
 * The JSON form the CLI prints.
 *
 * @category encoding
 * @since 0.1.0
 */
export const toJson = (m: Message): Record<string, unknown> =>
  m._tag === "MsgDone" ? { msg: m._tag } : { msg: m._tag, cookie: m.cookie }
