/**
 * Local tx-submission (node-to-client, mini-protocol 6): a client submits one transaction at a
 * time and the node accepts or rejects it. The reject reason is kept as the exact CBOR bytes
 * received (with the era index when it has the hard-fork wrapping `[[era, ...]]`).
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"
import { EraTx, EraTxSchema } from "./Common.ts"
import * as C from "./internal/codec.ts"
import * as M from "./internal/messages.ts"

/**
 * The era index of a reject reason wrapped as `[[era, ...]]`, if it is.
 *
 * @category encoding
 * @since 0.1.0
 */
export const reasonEra = (reason: Uint8Array): number | undefined => {
  const v = C.decodeOrUndefined(reason)
  const inner = Array.isArray(v) && v.length === 1 ? v[0] : undefined
  return Array.isArray(inner) && inner.length >= 1 && typeof inner[0] === "number" && inner[0] >= 0 && inner[0] < 256
    ? inner[0]
    : undefined
}

const localTxSubmission = M.protocol({
  name: "local-tx-submission",
  channel: 6,
  ingressLimit: 0xffffffff,
  maxInFlight: 1,
  messages: [
    M.msg(0, "MsgSubmitTx", "submitTx", [["tx", M.F.of(EraTxSchema, EraTx, EraTx.toJson)]]),
    M.msg(1, "MsgAcceptTx", "acceptTx", []),
    M.msg(2, "MsgRejectTx", "rejectTx", [
      ["reason", M.withJson(M.F.raw(), "reason_cbor")],
      ["era", {
        schema: Schema.optional(Schema.UndefinedOr(Schema.Number)),
        compute: (m: { readonly reason: Uint8Array }) => reasonEra(m.reason),
        jsonKey: "era_index"
      }]
    ], { args: (reason: Uint8Array) => [reason] }),
    M.msg(3, "MsgDone", "done", [])
  ],
  // node-to-client: no byte limits or timeouts
  initialState: "Idle",
  states: { Idle: "client", Busy: "server", Done: "nobody" },
  transitions: {
    Idle: { MsgSubmitTx: "Busy", MsgDone: "Done" },
    Busy: { MsgAcceptTx: "Idle", MsgRejectTx: "Idle" }
  }
})

/**
 * The local tx-submission messages, a Schema each:
 * - `MsgSubmitTx`: submit a transaction (`[era, #6.24(bytes)]`). `[0, tx]`.
 * - `MsgAcceptTx`: the transaction was accepted into the mempool. `[1]`.
 * - `MsgRejectTx`: the transaction was rejected; `reason` is the exact CBOR bytes of the ledger
 *   error, `era` its era index when the reason is wrapped as `[[era, ...]]`. `[2, reason]`.
 * - `MsgDone`: the client ends the protocol. `[3]`.
 *
 * @category schemas
 * @since 0.1.0
 */
export const { MsgSubmitTx, MsgAcceptTx, MsgRejectTx, MsgDone } = localTxSubmission.schemas

/**
 * The local tx-submission protocol (channel 6, no byte limits or timeouts) and its messages:
 * `MessageSchema` (every message), `make` (their constructors), `codec` (the exact CBOR codec) and
 * `toJson` (the JSON form the CLI prints).
 *
 * @category protocols
 * @since 0.1.0
 */
export const { protocol, MessageSchema, make, codec, toJson } = localTxSubmission

/**
 * A local tx-submission message.
 *
 * @category models
 * @since 0.1.0
 */
export type Message = typeof MessageSchema.Type
