/**
 * One table per protocol: each message is one entry (wire tag, name, constructor name, fields), and
 * the protocol's Schemas, constructors, exact codec and JSON form all come from that table. Adding a
 * message is adding one entry.
 *
 * A field says its Schema, its wire form (an element of the message array after the tag), and its
 * JSON form. An entry may replace the wire form of the whole message (`wire`, e.g. one message that
 * several wire tags carry), the constructor's arguments (`args`) or its JSON (`json`).
 *
 * `protocol` makes a whole mini-protocol from one table: its name, channel and limits, the messages,
 * the states and the moves (by state, then message), so a protocol's module is that one table and
 * its exports.
 *
 * Encoding and decoding are plain functions over precomputed per-entry data (no Effect).
 *
 * @internal
 */
import * as Schema from "effect/Schema"
import * as Cbor from "../../cbor/Cbor.ts"
import type * as Result from "effect/Result"
import type { Message, ProtocolName } from "../../Message.ts"
import type { Channel } from "../../Primitives.ts"
import type { DecodeError } from "../../ProtocolError.ts"
import * as Protocol from "../Protocol.ts"
import * as C from "./codec.ts"
import { encodeTagged, rawSecond, taggedHead, wrappedHead } from "./raw.ts"

/** One field of a message. */
export interface Field<S extends Schema.Top = Schema.Top> {
  readonly schema: S
  /** The element on the wire; absent for a field computed from the others (`compute`). */
  readonly toCbor?: ((value: S["Type"]) => Cbor.Value) | undefined
  /** Reads the element (throws ShapeError); `input` is the whole message's bytes as received. */
  readonly fromCbor?: ((value: Cbor.Value, input: Uint8Array) => S["Type"]) | undefined
  /** A field not on the wire, computed from the wire fields. */
  readonly compute?: ((fields: any) => S["Type"]) | undefined
  /** May be absent at the end of the message array (then `undefined`). */
  readonly optional?: boolean | undefined
  /** When `undefined`, the key is left out of the message (else it is there, set to `undefined`). */
  readonly omitIfUndefined?: boolean | undefined
  /** Kept as the exact bytes received: the message `[tag, bytes]` is written back byte for byte. */
  readonly raw?: boolean | undefined
  /** When `toCbor` always writes `#6.24(bytes)`: those bytes (a message `[tag, #6.24(bytes)]` is then written as a head and the bytes). */
  readonly wrapped?: ((value: S["Type"]) => Uint8Array) | undefined
  /** With `wrapped`: the value from the bytes of `#6.24(bytes)` (such a message is then read without a value tree). */
  readonly unwrapped?: ((bytes: Uint8Array) => S["Type"]) | undefined
  /** The key in the JSON form (default: the field name). */
  readonly jsonKey?: string | undefined
  /** The JSON form (default: the value as is); `undefined` leaves the key out. */
  readonly json?: ((value: S["Type"]) => unknown) | undefined
}

type Fields = ReadonlyArray<readonly [string, Field<any>]>

/** The field values of an entry, by name. */
export type Values<Fs extends Fields> = {
  readonly [F in Fs[number] as F[0]]: F[1]["schema"]["Type"]
}

/** The wire fields' types, in order: the default constructor's arguments. */
export type Args<Fs extends Fields> = { -readonly [K in keyof Fs]: Fs[K][1]["schema"]["Type"] }

/** One message of a protocol. */
export interface Def<
  Name extends string = string,
  Make extends string = string,
  Fs extends Fields = Fields,
  A extends ReadonlyArray<any> = ReadonlyArray<any>
> {
  readonly tag: number
  readonly name: Name
  readonly make: Make
  readonly fields: Fs
  /** The constructor's arguments to the wire fields' values (default: the values themselves). */
  readonly args?: ((...args: A) => ReadonlyArray<unknown>) | undefined
  /** The whole wire form, when it is not `[tag, ...fields]`. */
  readonly wire?: Wire<Values<Fs>> | undefined
  /** The JSON form after `msg` (default: each field's). */
  readonly json?: ((message: Values<Fs>) => Record<string, unknown>) | undefined
}

/** A message's own wire form: the tags it is read from, and its tree both ways. */
export interface Wire<V> {
  readonly tags: ReadonlyArray<number>
  readonly toCbor: (message: V) => Cbor.Value
  /** The wire fields' values, in order, from the message array `a` read with tag `tag`. */
  readonly fromCbor: (tag: number, a: ReadonlyArray<Cbor.Value>, value: Cbor.Value) => ReadonlyArray<unknown>
}

/** An entry of a protocol's table. */
export function msg<const Name extends string, const Make extends string, const Fs extends Fields>(
  tag: number,
  name: Name,
  make: Make,
  fields: Fs,
  options?: {
    readonly wire?: Wire<Values<Fs>>
    readonly json?: (message: Values<Fs>) => Record<string, unknown>
  }
): Def<Name, Make, Fs, Args<Fs>>
/** An entry whose constructor takes its own arguments. */
export function msg<const Name extends string, const Make extends string, const Fs extends Fields, A extends ReadonlyArray<any>>(
  tag: number,
  name: Name,
  make: Make,
  fields: Fs,
  options: {
    readonly args: (...args: A) => ReadonlyArray<unknown>
    readonly wire?: Wire<Values<Fs>>
    readonly json?: (message: Values<Fs>) => Record<string, unknown>
  }
): Def<Name, Make, Fs, A>
export function msg(tag: number, name: string, make: string, fields: Fields, options?: object): Def {
  return { tag, name, make, fields, ...options }
}

type Simplify<A> = { [K in keyof A]: A[K] } & {}

/** The Schema fields of an entry. */
export type StructFields<P extends string, D extends Def> = Simplify<
  { readonly protocol: Schema.tag<P> } & { readonly [F in D["fields"][number] as F[0]]: F[1]["schema"] }
>

/** The Schema of an entry. */
export type StructOf<P extends string, D extends Def> = Schema.TaggedStruct<
  D["name"],
  StructFields<P, D> extends infer X extends Schema.Struct.Fields ? X : never
>

type Members<P extends string, Ds extends ReadonlyArray<Def>> = {
  readonly [K in keyof Ds]: Ds[K] extends Def ? StructOf<P, Ds[K]> : never
}

/** The union Schema of a table. */
export type UnionOf<P extends string, Ds extends ReadonlyArray<Def>> = Schema.Union<
  Members<P, Ds> extends infer X extends ReadonlyArray<Schema.Top> ? X : never
>

/** What a table gives: the Schemas, the constructors, the exact codec and the JSON form. */
export interface Table<P extends string, Ds extends ReadonlyArray<Def>> {
  readonly schemas: Schemas<P, Ds>
  readonly MessageSchema: UnionOf<P, Ds>
  readonly make: Make<Ds, UnionOf<P, Ds>["Type"]>
  readonly codec: {
    readonly encode: (message: UnionOf<P, Ds>["Type"]) => Uint8Array
    readonly decode: (bytes: Uint8Array) => Result.Result<UnionOf<P, Ds>["Type"], DecodeError>
    readonly schema: Schema.Codec<UnionOf<P, Ds>["Type"], Uint8Array>
  }
  readonly toJson: (message: UnionOf<P, Ds>["Type"]) => Record<string, unknown>
}

/** The constructors of a table. */
export type Make<Ds extends ReadonlyArray<Def>, M> = {
  readonly [D in Ds[number] as D["make"]]: D extends Def<any, any, any, infer A> ? (...args: A) => M : never
}

/** The Schemas of a table, by message name. */
export type Schemas<P extends string, Ds extends ReadonlyArray<Def>> = {
  readonly [D in Ds[number] as D["name"]]: StructOf<P, D>
}

interface Compiled {
  readonly def: Def
  /** The message from the wire fields' values, in order. */
  readonly build: (values: ReadonlyArray<unknown>) => Message
  /** The message from its array `a` (`[tag, ...]`) read from `input`. */
  readonly decode: (a: ReadonlyArray<Cbor.Value>, input: Uint8Array, value: Cbor.Value, tag: number) => Message
  /** The message's tree. */
  readonly encode: (message: any) => Cbor.Value
  /** The field kept as exact bytes, when the message is `[tag, raw]`, and the bytes before it. */
  readonly rawKey: string | undefined
  readonly rawHead: Uint8Array | undefined
  /** When the message is `[tag, #6.24(bytes)]` (a block): its bytes, and the message from them. */
  readonly wrapped: ((message: any) => Uint8Array) | undefined
  readonly unwrapped: ((bytes: Uint8Array) => Message) | undefined
}

/** Byte strings of at least this many bytes are handed to the multiplexer as they are (`encodePieces`). */
const REFERENCED = 1024

/*
 * Each entry's build, decode and encode are generated once, when the table is made, as plain
 * functions that write its object literal and its array with the entry's own keys: one shared loop
 * over the fields would make every property store megamorphic and the codecs markedly slower. The
 * generated text holds only the table's own field names (checked as identifiers) and indexes; every
 * value and function is passed in as a parameter.
 */
const identifier = /^[A-Za-z_$][A-Za-z0-9_$]*$/

const compile = (protocol: string, def: Def): Compiled => {
  for (const [k] of def.fields) if (!identifier.test(k)) throw new Error(`${def.name}: field name ${k} is not an identifier`)
  const wire = def.fields.filter(([, f]) => f.compute === undefined)
  const computed = def.fields.filter(([, f]) => f.compute !== undefined)
  const omitted = wire.filter(([, f]) => f.omitIfUndefined === true)
  let required = wire.length
  while (required > 0 && wire[required - 1]![1].optional === true) required--

  const literal = (values: ReadonlyArray<string>) =>
    `{ protocol: P, _tag: T${wire.map(([k, f], i) => (f.omitIfUndefined === true ? "" : `, ${k}: ${values[i]}`)).join("")} }`
  const after = (values: ReadonlyArray<string>) =>
    wire.map(([k, f], i) => (f.omitIfUndefined === true ? `if (${values[i]} !== undefined) o.${k} = ${values[i]}\n` : "")).join("") +
    computed.map(([k], j) => `o.${k} = K[${j}](o)\n`).join("")
  const buildText = (values: ReadonlyArray<string>) =>
    omitted.length === 0 && computed.length === 0
      ? `return ${literal(values)}`
      : `const o = ${literal(values)}\n${after(values)}return o`

  const P = protocol
  const T = def.name
  const K = computed.map(([, f]) => f.compute!)
  const D = wire.map(([, f]) => f.fromCbor)
  const E = wire.map(([, f]) => f.toCbor)
  const build = new Function("P", "T", "K", `return function build(v) {\n${buildText(wire.map((_, i) => `v[${i}]`))}\n}`)(P, T, K)
  // a message of one field from that field's value, with no array of values (a block read back)
  const buildOne = wire.length !== 1 ? undefined : new Function("P", "T", "K", `return function buildOne(v0) {\n${buildText(["v0"])}\n}`)(P, T, K)

  const decode = def.wire !== undefined
    ? ((w: Wire<any>) => (a: ReadonlyArray<Cbor.Value>, _input: Uint8Array, value: Cbor.Value, tag: number) =>
      build(w.fromCbor(tag, a, value)))(def.wire)
    : new Function(
      "P",
      "T",
      "K",
      "D",
      "arrayOf",
      `return function decode(a, input, value) {\n` +
        `if (a.length < ${required + 1} || a.length > ${wire.length + 1}) arrayOf(value, ${wire.length + 1}, T)\n` +
        wire.map((_, i) =>
          i < required
            ? `const v${i} = D[${i}](a[${i + 1}], input)\n`
            : `const v${i} = a.length > ${i + 1} ? D[${i}](a[${i + 1}], input) : undefined\n`
        ).join("") +
        buildText(wire.map((_, i) => `v${i}`)) +
        `\n}`
    )(P, T, K, D, C.arrayOf)

  const encode = def.wire !== undefined
    ? def.wire.toCbor
    : new Function(
      "E",
      `return function encode(m) {\n` +
        (required === wire.length
          ? `return [${[String(def.tag), ...wire.map(([k], i) => `E[${i}](m.${k})`)].join(", ")}]`
          : `const out = [${[String(def.tag), ...wire.slice(0, required).map(([k], i) => `E[${i}](m.${k})`)].join(", ")}]\n` +
            wire.slice(required).map(([k], j) =>
              `if (m.${k} === undefined) return out\nout.push(E[${required + j}](m.${k}))\n`
            ).join("") +
            `return out`) +
        `\n}`
    )(E)

  const rawKey = def.wire === undefined && wire.length === 1 && wire[0]![1].raw === true ? wire[0]![0] : undefined
  // `[tag, #6.24(bytes)]`: the one wire field is written from its bytes and read from them
  const [key, field] = def.wire === undefined && wire.length === 1 && def.tag < 24 ? wire[0]! : [undefined, undefined]
  const toBytes = field?.wrapped
  const fromBytes = field?.unwrapped
  const wrapped = toBytes === undefined ? undefined : (message: any) => toBytes(message[key!])
  const unwrapped = wrapped === undefined || fromBytes === undefined ? undefined : (bytes: Uint8Array) => buildOne(fromBytes(bytes)) as Message
  // the head lives as long as the table: a copy of its own, not a piece holding a writer's slab
  return { def, build, decode, encode, rawKey, rawHead: rawKey === undefined ? undefined : taggedHead(def.tag).slice(), wrapped, unwrapped }
}

/**
 * A protocol's messages from its table: the Schemas, the union Schema, the constructors, the exact
 * codec and the JSON form.
 */
export const table = <const P extends ProtocolName, const Ds extends ReadonlyArray<Def>>(protocol: P, defs: Ds): Table<P, Ds> => {
  type M = Message & Record<string, unknown>
  const protocolSchema = Schema.tag(protocol)
  const schemas: Record<string, Schema.Top> = {}
  const byTag: Array<Compiled | undefined> = []
  const byName = new Map<string, Compiled>()
  for (const def of defs) {
    const structFields: Record<string, Schema.Top> = { protocol: protocolSchema }
    for (const [k, f] of def.fields) structFields[k] = f.schema
    schemas[def.name] = Schema.TaggedStruct(def.name, structFields)
    const c = compile(protocol, def)
    byName.set(def.name, c)
    for (const t of def.wire?.tags ?? [def.tag]) byTag[t] = c
  }

  const toValue = (message: M): Cbor.Value => byName.get(message._tag)!.encode(message)

  const fromValue = (value: Cbor.Value, input: Uint8Array): M => {
    const [t, a] = C.messageTag(value, protocol)
    const c = byTag[t]
    if (c === undefined) return C.fail(`${protocol}: unknown message tag ${t}`)
    return c.decode(a, input, value, t) as M
  }

  // [tag, #6.24(bytes)] with the byte string reaching the message's end, for an entry that reads so
  // (a block): the message from a view of the bytes, no value tree; anything else, the tree decoder
  const decodeDirect = (input: Uint8Array): M | undefined => {
    if (input.length < 5 || input[0] !== 0x82 || input[1]! >= 24 || input[2] !== 0xd8 || input[3] !== 24) return undefined
    const c = byTag[input[1]!]
    if (c?.unwrapped === undefined || input[4]! >> 5 !== 2) return undefined
    const info = input[4]! & 0x1f
    if (info > 26) return undefined
    const at = info < 24 ? 5 : info === 24 ? 6 : info === 25 ? 7 : 9
    if (input.length < at || at + Cbor.readArgument(input, 5, info) !== input.length) return undefined
    return c.unwrapped(input.subarray(at)) as M
  }

  const encodeBytes = (message: M): Uint8Array => {
    const c = byName.get(message._tag)
    if (c === undefined) throw new Error(`${protocol}: not a message of this protocol: ${message._tag}`)
    return c.rawKey !== undefined ? encodeTagged(c.def.tag, message[c.rawKey] as Uint8Array) : Cbor.encode(c.encode(message))
  }

  // the codec of the kind encoded last: a run of one kind (blocks, headers) looks it up once
  let lastTag: string | undefined
  let last: Compiled | undefined
  const compiledOf = (message: M): Compiled => {
    let c = last
    if (message._tag !== lastTag || c === undefined) {
      c = byName.get(message._tag)
      if (c === undefined) throw new Error(`${protocol}: not a message of this protocol: ${message._tag}`)
      lastTag = message._tag
      last = c
    }
    return c
  }
  // a message's byte strings from 1 kB up go to the multiplexer as they are, not copied
  const encodePieces = (message: M): ReadonlyArray<Uint8Array> => {
    const c = compiledOf(message)
    // [tag, <raw bytes>]: the head, made once (the multiplexer only reads pieces), then the bytes
    if (c.rawKey !== undefined) return [c.rawHead!, message[c.rawKey] as Uint8Array]
    // [tag, #6.24(bytes)] (a block, whatever its size): its few head bytes and the bytes themselves,
    // no value tree and no writer (a writer per block was a sixth of a block-fetch server's CPU;
    // docs/BENCHMARKS.md item 25)
    if (c.wrapped !== undefined) {
      const bytes = c.wrapped(message)
      return [wrappedHead(c.def.tag, bytes.length), bytes]
    }
    return Cbor.encodePieces(c.encode(message), REFERENCED)
  }

  // [tag, #6.24(bytes)]: the tag and the bytes, in one object reused (read at once by the multiplexer)
  const wrappedOut: { tag: number; bytes: Uint8Array } = { tag: 0, bytes: new Uint8Array(0) }
  const encodeWrapped = (message: M): Protocol.WrappedEncoding | undefined => {
    const c = compiledOf(message)
    if (c.wrapped === undefined) return undefined
    wrappedOut.tag = c.def.tag
    wrappedOut.bytes = c.wrapped(message)
    return wrappedOut
  }

  const MessageSchema = Schema.Union(defs.map((d) => schemas[d.name]!)) as unknown as Schema.Top & { readonly Type: M }

  const make: Record<string, (...args: ReadonlyArray<unknown>) => M> = {}
  for (const def of defs) {
    const build = byName.get(def.name)!.build as (values: ReadonlyArray<unknown>) => M
    const args = def.args
    make[def.make] = args === undefined ? (...values) => build(values) : (...values) => build(args(...values))
  }

  const toJson = (message: M): Record<string, unknown> => {
    const c = byName.get(message._tag)!
    if (c.def.json !== undefined) return { msg: message._tag, ...c.def.json(message) }
    const m = message
    const o: Record<string, unknown> = { msg: message._tag }
    for (const [k, f] of c.def.fields) {
      const j = f.json === undefined ? m[k] : f.json(m[k])
      if (j !== undefined) o[f.jsonKey ?? k] = j
    }
    return o
  }

  return {
    schemas,
    MessageSchema,
    make,
    codec: C.makeCodec<M, typeof MessageSchema>(protocol, MessageSchema, toValue, fromValue, encodeBytes, encodePieces, decodeDirect, encodeWrapped),
    toJson
  } as unknown as Table<P, Ds>
}

/**
 * A protocol's moves, by state and then message: the state each message sent in that state leads to
 * (a function of the message when its contents decide).
 */
export type Moves<S extends string, Msg extends Message> = {
  readonly [From in S]?: { readonly [T in Msg["_tag"]]?: S | ((message: Extract<Msg, { readonly _tag: T }>) => S) }
}

/** The messages of a table, as the protocol's message type. */
export type MessageOf<P extends string, Ds extends ReadonlyArray<Def>> = UnionOf<P, Ds>["Type"] extends infer X extends Message ? X
  : never

/** A whole mini-protocol: its name, channel and limits, its messages' table, its states and its moves. */
export interface Spec<P extends ProtocolName, Ds extends ReadonlyArray<Def>, S extends string> {
  readonly name: P
  readonly channel: Channel
  readonly ingressLimit: number
  readonly maxInFlight: number
  readonly messages: Ds
  readonly initialState: NoInfer<S>
  /** Each state's agency, byte limit and timeout; a state without limits may be given as its agency alone. */
  readonly states: Readonly<Record<S, Protocol.StateSpec | Protocol.Agency>>
  /** By state (`Moves`), or as the protocol's own list of transitions. */
  readonly transitions:
    | Moves<NoInfer<S>, MessageOf<P, Ds>>
    | ReadonlyArray<Protocol.Transition<MessageOf<P, Ds>, NoInfer<S>>>
}

/** What a protocol's table gives: its messages' table, and the protocol itself. */
export interface ProtocolTable<P extends ProtocolName, Ds extends ReadonlyArray<Def>, S extends string> extends Table<P, Ds> {
  readonly protocol: Protocol.Protocol<MessageOf<P, Ds>, S>
}

/**
 * A mini-protocol from one table: the messages (as {@link table}) and the state machine, whose state
 * names are checked (a move from or to a state not in `states` does not compile).
 */
export const protocol = <const P extends ProtocolName, const Ds extends ReadonlyArray<Def>, const S extends string>(
  spec: Spec<P, Ds, S>
): ProtocolTable<P, Ds, S> => {
  type T = Protocol.Transition<Message, S>
  const { messages, states, transitions, ...machine } = spec
  const t = table(spec.name, messages)
  const specs = Object.fromEntries(
    Object.entries<Protocol.StateSpec | Protocol.Agency>(states).map(([k, v]) => [k, typeof v === "string" ? { agency: v } : v])
  ) as Record<S, Protocol.StateSpec>
  const list = Array.isArray(transitions)
    ? transitions as ReadonlyArray<T>
    : Object.entries<Record<string, T["to"]>>(transitions as Record<S, Record<string, T["to"]>>).flatMap(([from, byTag]) =>
      Object.entries(byTag).map(([message, to]): T => ({ from: from as S, message, to }))
    )
  const codec = t.codec as unknown as Pick<Protocol.Protocol, "encode" | "encodePieces" | "encodeWrapped" | "decode" | "schema">
  const protocol = Protocol.define<Message>()<S>({ ...machine, states: specs, transitions: list, ...codec })
  return { ...t, protocol } as unknown as ProtocolTable<P, Ds, S>
}

/** The CBOR helpers of a list's items. */
interface ItemCodec<S extends Schema.Top> {
  readonly toCbor: (v: S["Type"]) => Cbor.Value
  readonly fromCbor: (v: Cbor.Value) => S["Type"]
  /** When `toCbor` always writes `#6.24(bytes)`: those bytes. */
  readonly wrapped?: ((v: S["Type"]) => Uint8Array) | undefined
  /** With `wrapped`: the value of `#6.24(bytes)` from the bytes (what `fromCbor` makes of it). */
  readonly unwrapped?: ((bytes: Uint8Array) => S["Type"]) | undefined
}

const list = <S extends Schema.Top>(
  schema: S,
  what: string,
  codec: ItemCodec<S>,
  json: ((v: S["Type"]) => unknown) | undefined,
  indefinite: boolean
): Field<Schema.$Array<S>> => ({
  schema: Schema.Array(schema),
  toCbor: (vs) => {
    const items = vs.map(codec.toCbor)
    return indefinite ? Cbor.indefinite(items) : items
  },
  fromCbor: (v) => {
    const a = C.array(v, what)
    if (indefinite && !Cbor.isIndefinite(a)) C.fail(`${what}: expected an indefinite-length list`)
    return a.map((x) => codec.fromCbor(x))
  },
  json: json === undefined ? undefined : (vs) => vs.map(json)
})

/** Fields. */
export const F = {
  /** An unsigned integer up to `max`. */
  uint: (what: string, max?: number): Field<typeof Schema.Number> => ({
    schema: Schema.Number,
    toCbor: (v) => v,
    fromCbor: (v) => C.uint(v, what, max)
  }),
  /** A boolean. */
  bool: (what: string): Field<typeof Schema.Boolean> => ({
    schema: Schema.Boolean,
    toCbor: (v) => v,
    fromCbor: (v) => C.bool(v, what)
  }),
  /** A byte string (JSON: hex). */
  bytes: (what: string): Field<typeof Schema.Uint8Array> => ({
    schema: Schema.Uint8Array,
    toCbor: (v) => v,
    fromCbor: (v) => C.bytes(v, what),
    json: Cbor.toHex
  }),
  /** Any CBOR item, kept as the exact bytes received (JSON: hex). */
  raw: (): Field<typeof Schema.Uint8Array> => ({
    schema: Schema.Uint8Array,
    toCbor: (v) => Cbor.decode(v),
    fromCbor: (v, input) => rawSecond(input, v),
    raw: true,
    json: Cbor.toHex
  }),
  /** A value with its own CBOR helpers. */
  of: <S extends Schema.Top>(
    schema: S,
    codec: ItemCodec<S>,
    json?: (v: S["Type"]) => unknown
  ): Field<S> => ({ schema, toCbor: codec.toCbor, fromCbor: (v) => codec.fromCbor(v), wrapped: codec.wrapped, unwrapped: codec.unwrapped, json }),
  /** A definite-length list of values with their own CBOR helpers. */
  list: <S extends Schema.Top>(schema: S, what: string, codec: ItemCodec<S>, json?: (v: S["Type"]) => unknown) =>
    list(schema, what, codec, json, false),
  /** An indefinite-length list (written so, and required so when read). */
  indefiniteList: <S extends Schema.Top>(schema: S, what: string, codec: ItemCodec<S>, json?: (v: S["Type"]) => unknown) =>
    list(schema, what, codec, json, true)
} as const

/** A field with its JSON key or form changed. */
export const withJson = <S extends Schema.Top>(
  field: Field<S>,
  jsonKey: string | undefined,
  json?: (value: S["Type"]) => unknown
): Field<S> => ({ ...field, jsonKey, json: json ?? field.json })
