/**
 * Building blocks for the protocol codecs: reading a decoded CBOR tree with shape checks that throw
 * {@link ShapeError}, and turning a pair of tree functions into a protocol's `encode`, `decode` and
 * Schema.
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import * as Result from "effect/Result"
import * as Schema from "effect/Schema"
import * as SchemaIssue from "effect/SchemaIssue"
import * as SchemaTransformation from "effect/SchemaTransformation"
import * as Cbor from "../../cbor/Cbor.ts"
import type { Message } from "../../Message.ts"
import { DecodeError } from "../../ProtocolError.ts"
import type { WrappedEncoding } from "../Protocol.ts"

/** CBOR that is well-formed but not the expected message shape. */
export class ShapeError extends Error {}

/** The one CBOR item of these bytes, or `undefined` when they are not one (never throws). */
export const decodeOrUndefined = (bytes: Uint8Array): Cbor.Value | undefined => {
  try {
    return Cbor.decode(bytes)
  } catch {
    return undefined
  }
}

export const fail = (what: string): never => {
  throw new ShapeError(what)
}

export const array = (v: Cbor.Value, what: string): ReadonlyArray<Cbor.Value> =>
  Array.isArray(v) ? (v as ReadonlyArray<Cbor.Value>) : fail(`${what}: expected an array`)

export const arrayOf = (v: Cbor.Value, length: number, what: string): ReadonlyArray<Cbor.Value> => {
  const a = array(v, what)
  if (a.length !== length) fail(`${what}: expected ${length} elements, got ${a.length}`)
  return a
}

/** A non-negative integer that fits in a JS number (at most 2^53 - 1). */
export const uint = (v: Cbor.Value, what: string, max = Number.MAX_SAFE_INTEGER): number =>
  typeof v === "number" && Number.isInteger(v) && v >= 0 && v <= max ? v : fail(`${what}: expected an unsigned integer up to ${max}`)

/** Any integer, kept as number or bigint as decoded. */
export const int = (v: Cbor.Value, what: string): number | bigint =>
  typeof v === "bigint" || (typeof v === "number" && Number.isInteger(v)) ? v : fail(`${what}: expected an integer`)

export const bool = (v: Cbor.Value, what: string): boolean =>
  typeof v === "boolean" ? v : fail(`${what}: expected a boolean`)

export const bytes = (v: Cbor.Value, what: string): Uint8Array =>
  v instanceof Uint8Array ? v : fail(`${what}: expected a byte string`)

export const text = (v: Cbor.Value, what: string): string =>
  typeof v === "string" ? v : fail(`${what}: expected a text string`)

export const map = (v: Cbor.Value, what: string): ReadonlyMap<Cbor.Value, Cbor.Value> =>
  v instanceof Map ? v : fail(`${what}: expected a map`)

/** The content of `#6.24(bytes)`. */
export const tag24 = (v: Cbor.Value, what: string): Uint8Array =>
  v instanceof Cbor.Tag && v.tag === 24 && v.value instanceof Uint8Array ? v.value : fail(`${what}: expected #6.24(bytes)`)

export const wrap24 = (b: Uint8Array): Cbor.Tag => new Cbor.Tag(24, b)

/** The message tag: the first element of the message array. */
export const messageTag = (v: Cbor.Value, protocol: string): readonly [number, ReadonlyArray<Cbor.Value>] => {
  const a = array(v, protocol)
  if (a.length === 0) fail(`${protocol}: empty message array`)
  return [uint(a[0]!, `${protocol} message tag`, 0xffff), a]
}

export interface Codec<M extends Message> {
  readonly encode: (message: M) => Uint8Array
  readonly encodePieces?: ((message: M) => ReadonlyArray<Uint8Array>) | undefined
  readonly encodeWrapped?: ((message: M) => WrappedEncoding | undefined) | undefined
  readonly decode: (bytes: Uint8Array) => Result.Result<M, DecodeError>
  readonly schema: Schema.Codec<M, Uint8Array>
}

/**
 * A protocol codec from tree functions. `fromValue` throws ShapeError (or CborError) on bad input;
 * both become a typed DecodeError. `fromValue` also gets the message's bytes as received (for parts
 * kept as exact bytes); `encodeBytes`, when given, writes a message instead of `toValue`;
 * `decodeDirect`, when given, reads what it recognises without a value tree (`undefined` otherwise).
 */
export const makeCodec = <M extends Message, S extends Schema.Top & { readonly Type: M }>(
  protocol: string,
  messageSchema: S,
  toValue: (message: M) => Cbor.Value,
  fromValue: (value: Cbor.Value, input: Uint8Array) => M,
  encodeBytes?: (message: M) => Uint8Array,
  encodePieces?: (message: M) => ReadonlyArray<Uint8Array>,
  decodeDirect?: (input: Uint8Array) => M | undefined,
  encodeWrapped?: (message: M) => WrappedEncoding | undefined
): Codec<M> => {
  const encode = encodeBytes ?? ((message: M): Uint8Array => Cbor.encode(toValue(message)))
  const decode = (input: Uint8Array): Result.Result<M, DecodeError> => {
    try {
      // a message read without a value tree where its shape allows (a block), else the tree
      const direct = decodeDirect?.(input)
      if (direct !== undefined) return Result.succeed(direct)
      return Result.succeed(fromValue(Cbor.decode(input), input))
    } catch (e) {
      if (e instanceof ShapeError || e instanceof Cbor.CborError) {
        return Result.fail(new DecodeError({ protocol, detail: e.message }))
      }
      throw e
    }
  }
  const schema = Schema.Uint8Array.pipe(
    Schema.decodeTo(
      Schema.toType(messageSchema) as unknown as Schema.Codec<M, M>,
      SchemaTransformation.transformEffect({
        decode: (input: Uint8Array) => {
          const r = decode(input)
          return Result.isSuccess(r)
            ? Effect.succeed(r.success)
            : Effect.fail(new SchemaIssue.InvalidValue({ message: r.failure.message }, input))
        },
        encode: (message: M) => Effect.sync(() => encode(message))
      })
    )
  ) as unknown as Schema.Codec<M, Uint8Array>
  return { encode, encodePieces, encodeWrapped, decode, schema }
}
