/**
 * Reads a local tx-submission reject reason (the payload of `MsgRejectTx`) into a structured value,
 * where the era's shape is known: today the Conway era (index 6), wrapped by the hard-fork combinator
 * as `[[6, [* ConwayLedgerPredFailure]]]`. Each failure is `[index, ...fields]`; its name is given only
 * for constructor indices checked against the shared reject-reason vectors, and the wrapping
 * constructors (UTXOW, UTXO, CERTS, CERT, GOVCERT, GOV failures) are read one level deeper the same way.
 * Anything else (another era, an index not checked, bytes of another shape) is reported as not known,
 * with the raw bytes: nothing is guessed. Pure functions, no Effect.
 *
 * @since 0.1.0
 */
import * as Cbor from "../cbor/Cbor.ts"

/**
 * A CBOR item as JSON: integers as numbers (beyond 53 bits `{ bigint: "…" }`), byte strings as
 * `{ bytes: hex }`, text as strings, arrays as arrays, maps as `{ map: [[key, value], …] }`, tags as
 * `{ tag, value }`, simple values as `{ simple }`, `undefined` as `{ undefined: true }`.
 *
 * @category models
 * @since 0.1.0
 */
export type Json = null | boolean | number | string | ReadonlyArray<Json> | { readonly [key: string]: Json }

/**
 * One constructor of a reason: its index on the wire, its name when the index is known, its fields as
 * JSON, and, for a wrapping constructor, the constructor it wraps (read from its first field, which is
 * then not among `fields`).
 *
 * @category models
 * @since 0.1.0
 */
export interface Failure {
  readonly index: number
  readonly name: string | undefined
  readonly known: boolean
  readonly fields: ReadonlyArray<Json>
  readonly inner?: Failure | undefined
}

/**
 * A decoded reason: the era's failures when the era's shape is known, else `known: false` with the
 * era (when the wrapping gives one) and why. The exact bytes are always in `reason`.
 *
 * @category models
 * @since 0.1.0
 */
export type Decoded =
  | {
    readonly known: true
    readonly era: number
    readonly eraName: string
    readonly failures: ReadonlyArray<Failure>
    readonly reason: Uint8Array
  }
  | {
    readonly known: false
    readonly era: number | undefined
    readonly detail: string
    readonly reason: Uint8Array
  }

interface Ctor {
  readonly name: string
  /** The table of the constructor wrapped in the first field. */
  readonly wraps?: Table | undefined
}
type Table = ReadonlyMap<number, Ctor>

const table = (entries: ReadonlyArray<readonly [number, string, Table?]>): Table =>
  new Map(entries.map(([i, name, wraps]) => [i, { name, wraps }] as const))

// Every index below is checked by a shared reject-reason vector (test/protocol/TxRejection.test.ts).
const conwayGovCert = table([[3, "ConwayCommitteeHasPreviouslyResigned"]])
const conwayCert = table([[3, "GovCertFailure", conwayGovCert]])
const conwayCerts = table([[0, "WithdrawalsNotInRewardsCERTS"], [1, "CertFailure", conwayCert]])
const conwayUtxo = table([[12, "InsufficientCollateral"]])
const conwayUtxow = table([
  [0, "UtxoFailure", conwayUtxo],
  [1, "InvalidWitnessesUTXOW"],
  [5, "MissingTxBodyMetadataHash"],
  [13, "PPViewHashesDontMatch"],
  [16, "MalformedScriptWitnesses"],
  [17, "MalformedReferenceScripts"]
])
const conwayGov = table([
  [1, "MalformedProposal"],
  [6, "ConflictingCommitteeUpdate"],
  [7, "ExpirationEpochTooSmall"],
  [9, "VotingOnExpiredGovAction"],
  [12, "DisallowedProposalDuringBootstrap"],
  [13, "DisallowedVotesDuringBootstrap"],
  [14, "VotersDoNotExist"]
])
const conwayLedger = table([
  [1, "ConwayUtxowFailure", conwayUtxow],
  [2, "ConwayCertsFailure", conwayCerts],
  [3, "ConwayGovFailure", conwayGov],
  [4, "ConwayWdrlNotDelegatedToDRep"],
  [5, "ConwayTreasuryValueMismatch"],
  [6, "ConwayTxRefScriptsSizeTooBig"],
  [7, "ConwayMempoolFailure"]
])

const eras: ReadonlyMap<number, { readonly name: string; readonly ledger: Table }> = new Map([
  [6, { name: "Conway", ledger: conwayLedger }]
])

/**
 * A CBOR item as {@link Json}.
 *
 * @category encoding
 * @since 0.1.0
 */
export const cborToJson = (v: Cbor.Value): Json => {
  if (v === null) return null
  if (v === undefined) return { undefined: true }
  if (typeof v === "boolean" || typeof v === "string") return v
  if (typeof v === "number") return v
  if (typeof v === "bigint") return { bigint: v.toString() }
  if (v instanceof Uint8Array) return { bytes: Cbor.toHex(v) }
  if (Array.isArray(v)) return (v as ReadonlyArray<Cbor.Value>).map(cborToJson)
  if (v instanceof Map) return { map: Array.from(v, ([k, x]) => [cborToJson(k), cborToJson(x)]) }
  if (v instanceof Cbor.Tag) return { tag: v.tag, value: cborToJson(v.value) }
  if (v instanceof Cbor.Float) return v.value
  if (v instanceof Cbor.Simple) return { simple: v.value }
  if (v instanceof Cbor.Chunked) {
    return v.kind === "text"
      ? v.chunks.join("")
      : { bytes: v.chunks.map((c) => Cbor.toHex(c as Uint8Array)).join("") }
  }
  return null
}

const isCtor = (v: Cbor.Value): v is ReadonlyArray<Cbor.Value> =>
  Array.isArray(v) && v.length >= 1 && typeof v[0] === "number" && Number.isInteger(v[0]) && v[0] >= 0

const readFailure = (v: ReadonlyArray<Cbor.Value>, t: Table): Failure => {
  const index = v[0] as number
  const ctor = t.get(index)
  const rest = v.slice(1)
  if (ctor === undefined) return { index, name: undefined, known: false, fields: rest.map(cborToJson) }
  if (ctor.wraps !== undefined && rest.length >= 1 && isCtor(rest[0]!)) {
    return { index, name: ctor.name, known: true, fields: rest.slice(1).map(cborToJson), inner: readFailure(rest[0], ctor.wraps) }
  }
  return { index, name: ctor.name, known: true, fields: rest.map(cborToJson) }
}

/**
 * Decodes a reject reason (the exact bytes of `MsgRejectTx`'s payload). Never throws: bytes that are
 * not CBOR, or not the hard-fork wrapping, or of an era whose shape is not known here, give
 * `known: false`.
 *
 * @example
 * ```ts
 * import { Cbor, Protocols } from "@pallas-network2/core"
 * const d = Protocols.TxRejection.decode(Cbor.fromHex("8182068183051a000de7561a00080fd6")!)
 * // d.known === true, d.era === 6, d.failures[0].name === "ConwayTreasuryValueMismatch"
 * ```
 *
 * @category decoding
 * @since 0.1.0
 */
export const decode = (reason: Uint8Array): Decoded => {
  let v: Cbor.Value
  try {
    v = Cbor.decode(reason)
  } catch (e) {
    return { known: false, era: undefined, detail: `not CBOR: ${e instanceof Error ? e.message : String(e)}`, reason }
  }
  if (!Array.isArray(v) || v.length !== 1 || !Array.isArray(v[0]) || v[0].length !== 2 || typeof v[0][0] !== "number") {
    return { known: false, era: undefined, detail: "not the hard-fork wrapping [[era, failures]]", reason }
  }
  const wrapped = v[0] as ReadonlyArray<Cbor.Value>
  const era = wrapped[0] as number
  const failures = wrapped[1]!
  const shape = eras.get(era)
  if (shape === undefined) return { known: false, era, detail: `the era ${era}'s reasons are not known here`, reason }
  if (!Array.isArray(failures) || !(failures as ReadonlyArray<Cbor.Value>).every(isCtor)) {
    return { known: false, era, detail: `not a list of ${shape.name} ledger failures`, reason }
  }
  return {
    known: true,
    era,
    eraName: shape.name,
    failures: (failures as ReadonlyArray<ReadonlyArray<Cbor.Value>>).map((f) => readFailure(f, shape.ledger)),
    reason
  }
}

/**
 * A failure's chain of constructor names, outermost first (`#index` for an index not known), e.g.
 * `["ConwayUtxowFailure", "UtxoFailure", "InsufficientCollateral"]`.
 *
 * @category accessors
 * @since 0.1.0
 */
export const names = (failure: Failure): ReadonlyArray<string> => {
  const out: Array<string> = []
  for (let f: Failure | undefined = failure; f !== undefined; f = f.inner) out.push(f.name ?? `#${f.index}`)
  return out
}

/**
 * One line naming a decoded reason's failures, e.g.
 * `Conway: ConwayUtxowFailure.MissingTxBodyMetadataHash; ConwayTreasuryValueMismatch`, or, when not
 * known, the era and why.
 *
 * @category accessors
 * @since 0.1.0
 */
export const summary = (decoded: Decoded): string =>
  decoded.known
    ? `${decoded.eraName}: ${decoded.failures.map((f) => names(f).join(".")).join("; ")}`
    : `${decoded.era === undefined ? "" : `era ${decoded.era}, `}not decoded (${decoded.detail})`

/**
 * The JSON form the CLI prints: the era, the failures as trees and the exact bytes in hex.
 *
 * @category encoding
 * @since 0.1.0
 */
export const toJson = (decoded: Decoded): Json => {
  const failure = (f: Failure): Json => ({
    index: f.index,
    name: f.name ?? null,
    known: f.known,
    fields: f.fields,
    ...(f.inner === undefined ? {} : { inner: failure(f.inner) })
  })
  return decoded.known
    ? { known: true, era: decoded.era, era_name: decoded.eraName, failures: decoded.failures.map(failure), reason_cbor: Cbor.toHex(decoded.reason) }
    : { known: false, era: decoded.era ?? null, detail: decoded.detail, reason_cbor: Cbor.toHex(decoded.reason) }
}
