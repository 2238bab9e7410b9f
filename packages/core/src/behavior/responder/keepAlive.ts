/**
 * The responder's keep-alive server side: each MsgKeepAlive is answered with its cookie. It keeps
 * no per-peer state.
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import * as KeepAlive from "../../protocol/KeepAlive.ts"
import { ignoreSent, nothing, type ResponderContext, type SubBehavior } from "./context.ts"

/** The keep-alive requests the server side reads. */
type Request = Extract<KeepAlive.Message, { readonly _tag: "MsgKeepAlive" | "MsgDone" }>

/** The keep-alive server side. */
export type KeepAliveBehavior = SubBehavior<Request>

/** Makes the keep-alive server side. */
export const make = (ctx: ResponderContext): KeepAliveBehavior => ({
  protocol: "keep-alive",
  isRequest: (m): m is Request => m.protocol === "keep-alive" && (m._tag === "MsgKeepAlive" || m._tag === "MsgDone"),
  connected: nothing,
  disconnected: nothing,
  onMessage: (conn, message) =>
    Effect.sync(() => {
      if (message._tag === "MsgKeepAlive") ctx.send(conn, KeepAlive.make.response(message.cookie))
    }),
  onSent: ignoreSent,
  onCommand: nothing,
  view: () => undefined
})
