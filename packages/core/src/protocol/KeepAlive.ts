/**
 * Keep-alive (node-to-node, mini-protocol 8): the client sends a cookie, the server echoes it; the
 * round trip measures the connection.
 *
 * @since 0.1.0
 */
import * as M from "./internal/messages.ts"

const cookie = M.F.uint("cookie", 0xffff)

const keepAlive = M.protocol({
  name: "keep-alive",
  channel: 8,
  ingressLimit: 1_408,
  maxInFlight: 1,
  messages: [
    M.msg(0, "MsgKeepAlive", "keepAlive", [["cookie", cookie]]),
    M.msg(1, "MsgKeepAliveResponse", "response", [["cookie", cookie]]),
    M.msg(2, "MsgDone", "done", [])
  ],
  initialState: "Client",
  states: {
    Client: { agency: "client", byteLimit: 65_535, timeout: 97_000 },
    Server: { agency: "server", byteLimit: 65_535, timeout: 60_000 },
    Done: "nobody"
  },
  transitions: {
    Client: { MsgKeepAlive: "Server", MsgDone: "Done" },
    Server: { MsgKeepAliveResponse: "Client" }
  }
})

/**
 * The keep-alive messages, a Schema each:
 * - `MsgKeepAlive`, client: a ping carrying a 16-bit cookie. `[0, cookie]`.
 * - `MsgKeepAliveResponse`, server: the answer, echoing the cookie. `[1, cookie]`.
 * - `MsgDone`, client: ends the protocol. `[2]`.
 *
 * @category schemas
 * @since 0.1.0
 */
export const { MsgKeepAlive, MsgKeepAliveResponse, MsgDone } = keepAlive.schemas

/**
 * The keep-alive protocol (channel 8; the client waits 97 s, the server 60 s) and its messages:
 * `MessageSchema` (every message), `make` (their constructors), `codec` (the exact CBOR codec) and
 * `toJson` (the JSON form the CLI prints).
 *
 * @example
 * ```ts
 * import { KeepAlive } from "@pallas-network2/core/protocol"
 * KeepAlive.make.keepAlive(12345)
 * ```
 *
 * @category protocols
 * @since 0.1.0
 */
export const { protocol, MessageSchema, make, codec, toJson } = keepAlive

/**
 * A keep-alive message.
 *
 * @category models
 * @since 0.1.0
 */
export type Message = typeof MessageSchema.Type
