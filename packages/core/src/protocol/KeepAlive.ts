/**
 * Keep-alive (node-to-node, mini-protocol 8): the client sends a cookie, the server echoes it; the
 * round trip measures the connection.
 *
 * @since 0.1.0
 */
import * as M from "./internal/messages.ts"
import * as Protocol from "./Protocol.ts"

const cookie = M.F.uint("cookie", 0xffff)

const messages = M.table("keep-alive", [
  M.msg(0, "MsgKeepAlive", "keepAlive", [["cookie", cookie]]),
  M.msg(1, "MsgKeepAliveResponse", "response", [["cookie", cookie]]),
  M.msg(2, "MsgDone", "done", [])
])

/**
 * Client: a ping carrying a 16-bit cookie. `[0, cookie]`.
 *
 * @category schemas
 * @since 0.1.0
 */
export const MsgKeepAlive = messages.schemas.MsgKeepAlive
/**
 * Server: the answer, echoing the cookie. `[1, cookie]`.
 *
 * @category schemas
 * @since 0.1.0
 */
export const MsgKeepAliveResponse = messages.schemas.MsgKeepAliveResponse
/**
 * Client: ends the protocol. `[2]`.
 *
 * @category schemas
 * @since 0.1.0
 */
export const MsgDone = messages.schemas.MsgDone

/**
 * Every keep-alive message.
 *
 * @category schemas
 * @since 0.1.0
 */
export const MessageSchema = messages.MessageSchema

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
export const make = messages.make

/**
 * The exact codec.
 *
 * @category encoding
 * @since 0.1.0
 */
export const codec = messages.codec

/**
 * The keep-alive protocol (channel 8; client waits 97 s, server 60 s).
 *
 * @category protocols
 * @since 0.1.0
 */
export const protocol = Protocol.define<Message>()({
  name: "keep-alive",
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
})

/**
 * The JSON form the CLI prints.
 *
 * @category encoding
 * @since 0.1.0
 */
export const toJson = messages.toJson
