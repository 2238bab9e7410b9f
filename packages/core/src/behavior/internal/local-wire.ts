/**
 * What the node-to-client client and the local-node stand-in share: the protocols of a connection,
 * era names, and the wire shapes of the hard-fork query results.
 *
 * @internal
 */
import * as Cbor from "../../cbor/Cbor.ts"
import * as Handshake from "../../protocol/Handshake.ts"
import * as NodeToClient from "../../protocol/NodeToClient.ts"

/** The handshake and the four local mini-protocols: what a node-to-client connection runs. */
export const protocols: ReadonlyArray<typeof Handshake.protocol | typeof NodeToClient.protocols[number]> = [
  Handshake.protocol,
  ...NodeToClient.protocols
]

/** Era names by era index. */
export const ERA_NAMES: ReadonlyArray<string> = ["Byron", "Shelley", "Allegra", "Mary", "Alonzo", "Babbage", "Conway", "Dijkstra"]

/** The readable text of a refusal. */
export const refusalText = (reason: Handshake.RefuseReason): string =>
  reason._tag === "VersionMismatch"
    ? `version mismatch: the node speaks node-to-client versions ${reason.versions.map(Handshake.plainVersion).join(", ")}`
    : `${reason._tag === "HandshakeDecodeError" ? "handshake decode error" : "refused"} (v${Handshake.plainVersion(reason.version)}): ${reason.message}`

/** Whether `bytes` are exactly one CBOR item. */
export const isOneItem = (bytes: Uint8Array): boolean => bytes.length > 0 && Cbor.itemEnd(bytes, 0) === bytes.length

/**
 * A hard-fork `QueryIfCurrent` result: `[result]` when the query's era is the ledger's (the result's
 * exact bytes are returned), `[[queryEra, name], [ledgerEra, name]]` when it is not.
 */
export type IfCurrent =
  | { readonly _tag: "Match"; readonly result: Uint8Array }
  | { readonly _tag: "EraMismatch"; readonly queryEra: number; readonly ledgerEra: number; readonly queryEraName: string; readonly ledgerEraName: string }

/** Reads a `QueryIfCurrent` result; `undefined` when it is neither shape. */
export const readIfCurrent = (bytes: Uint8Array): IfCurrent | undefined => {
  const head = bytes[0]
  if (head === 0x81) {
    const end = Cbor.itemEnd(bytes, 1)
    return end === bytes.length ? { _tag: "Match", result: bytes.subarray(1) } : undefined
  }
  if (head !== 0x82) return undefined
  try {
    const v = Cbor.decode(bytes)
    if (!Array.isArray(v) || v.length !== 2) return undefined
    const [q, l] = v as Array<Cbor.Value>
    if (!Array.isArray(q) || !Array.isArray(l) || q.length !== 2 || l.length !== 2) return undefined
    if (typeof q[0] !== "number" || typeof l[0] !== "number" || typeof q[1] !== "string" || typeof l[1] !== "string") return undefined
    return { _tag: "EraMismatch", queryEra: q[0], ledgerEra: l[0], queryEraName: q[1], ledgerEraName: l[1] }
  } catch {
    return undefined
  }
}

/** Encodes a `QueryIfCurrent` answer: `[result]` (the bytes kept as given). */
export const ifCurrentMatch = (result: Uint8Array): Uint8Array => {
  const out = new Uint8Array(result.length + 1)
  out[0] = 0x81
  out.set(result, 1)
  return out
}

/** Encodes a `QueryIfCurrent` era mismatch. */
export const ifCurrentMismatch = (queryEra: number, ledgerEra: number): Uint8Array =>
  Cbor.encode([[queryEra, ERA_NAMES[queryEra] ?? `era ${queryEra}`], [ledgerEra, ERA_NAMES[ledgerEra] ?? `era ${ledgerEra}`]])

/**
 * Reads a hard-fork `QueryIfCurrent` query `[0, [0, [era, query]]]`: its era and the era query's
 * exact bytes; `undefined` for any other query.
 */
export const readBlockQuery = (bytes: Uint8Array): { readonly era: number; readonly query: Cbor.Value } | undefined => {
  try {
    const v = Cbor.decode(bytes)
    if (!Array.isArray(v) || v.length !== 2 || v[0] !== 0) return undefined
    const hf = v[1]
    if (!Array.isArray(hf) || hf.length !== 2 || hf[0] !== 0) return undefined
    const ns = hf[1]
    if (!Array.isArray(ns) || ns.length !== 2 || typeof ns[0] !== "number") return undefined
    return { era: ns[0], query: ns[1]! }
  } catch {
    return undefined
  }
}
