/**
 * The fuzz targets, shared by the test suite (a few hundred cases each: `Fuzz.test.ts`) and by
 * `npm run fuzz` (`fuzz/run.ts`: 100 000 cases or more each). Every target is a fast-check property
 * whose invariants are: only the documented, typed errors come out (never a defect, a plain throw or
 * an unhandled rejection); buffers stay bounded; and a valid input after the fuzzed one still works.
 *
 * Inputs are random bytes, and the shared vectors (`../shared/vectors`, real node bytes) mutated:
 * bit flips, overwritten, inserted and deleted bytes, truncation and splices.
 */
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import * as Result from "effect/Result"
import * as fc from "fast-check"
import * as Segment from "../../src/bearer/Segment.ts"
import * as Cbor from "../../src/cbor/Cbor.ts"
import * as Mux from "../../src/mux/Mux.ts"
import { DecodeError, MuxError, ProtocolViolation, TransportError } from "../../src/ProtocolError.ts"
import { Driver, Handshake, NodeToClient, NodeToNode } from "../../src/protocol/index.ts"
import type { Protocol } from "../../src/protocol/Protocol.ts"
import { loadVectors } from "../utils/vectors.ts"

/** Outcomes seen per target (`npm run fuzz` prints them, so a run shows what the inputs reached). */
export const tallies = new Map<string, Map<string, number>>()
const tally = (target: string, outcome: string) => {
  let t = tallies.get(target)
  if (t === undefined) tallies.set(target, t = new Map())
  t.set(outcome, (t.get(outcome) ?? 0) + 1)
}

/** A fuzz target: a name, what it checks, and its property for a number of runs. */
export interface Target {
  readonly name: string
  readonly checks: string
  /** Whether it draws only from the shared vectors (skipped where ../shared is absent). */
  readonly needsVectors?: boolean
  readonly property: () => fc.IProperty<any> | fc.IAsyncProperty<any>
}

const allProtocols: ReadonlyArray<Protocol<any>> = [...NodeToNode.protocols, ...NodeToClient.protocols.filter((p) => p.channel !== 0)]

const vectorFiles: Record<string, string> = {
  handshake: "handshake.json",
  "chain-sync": "chainsync.json",
  "block-fetch": "blockfetch.json",
  "tx-submission2": "txsubmission2.json",
  "keep-alive": "keepalive.json",
  "peer-sharing": "peersharing.json",
  "local-tx-submission": "localtxsubmission.json",
  "local-state-query": "localstatequery.json",
  "local-tx-monitor": "localtxmonitor.json"
}

/** The vectors' bytes by protocol name (empty where ../shared is absent). */
export const vectorBytes: ReadonlyMap<string, ReadonlyArray<Uint8Array>> = new Map(
  allProtocols.map((p) => [p.name, (vectorFiles[p.name] === undefined ? [] : loadVectors(vectorFiles[p.name]!)).flatMap((v) => {
    const b = typeof v.cbor_hex === "string" ? Cbor.fromHex(v.cbor_hex) : undefined
    return b === undefined ? [] : [b]
  })])
)

/** The vectors that decode, as messages, by protocol name: the pool the driver target draws from. */
const vectorMessages: ReadonlyMap<string, ReadonlyArray<any>> = new Map(
  allProtocols.map((p) => [
    p.name,
    (vectorBytes.get(p.name) ?? []).map((b) => p.decode(b)).filter(Result.isSuccess).map((r) => r.success)
  ])
)

// ---- mutations ------------------------------------------------------------------------------------

type Mutation =
  | { readonly _tag: "flip"; readonly at: number; readonly bit: number }
  | { readonly _tag: "set"; readonly at: number; readonly byte: number }
  | { readonly _tag: "insert"; readonly at: number; readonly bytes: Uint8Array }
  | { readonly _tag: "delete"; readonly at: number; readonly count: number }
  | { readonly _tag: "truncate"; readonly at: number }
  | { readonly _tag: "duplicate"; readonly at: number; readonly count: number }

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ _tag: fc.constant("flip" as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ _tag: fc.constant("set" as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ _tag: fc.constant("insert" as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 9 }) }),
  fc.record({ _tag: fc.constant("delete" as const), at: fc.nat(), count: fc.integer({ min: 1, max: 8 }) }),
  fc.record({ _tag: fc.constant("truncate" as const), at: fc.nat() }),
  fc.record({ _tag: fc.constant("duplicate" as const), at: fc.nat(), count: fc.integer({ min: 1, max: 16 }) })
)

const mutate = (input: Uint8Array, ms: ReadonlyArray<Mutation>): Uint8Array => {
  let b = input
  for (const m of ms) {
    const at = b.length === 0 ? 0 : m.at % (b.length + (m._tag === "insert" ? 1 : 0))
    switch (m._tag) {
      case "flip":
        if (b.length > 0) (b = b.slice())[at] ^= 1 << m.bit
        break
      case "set":
        if (b.length > 0) (b = b.slice())[at] = m.byte
        break
      case "insert":
        b = concat([b.subarray(0, at), m.bytes, b.subarray(at)])
        break
      case "delete":
        b = concat([b.subarray(0, at), b.subarray(at + m.count)])
        break
      case "truncate":
        b = b.subarray(0, at)
        break
      case "duplicate":
        b = concat([b.subarray(0, at + m.count), b.subarray(at)])
        break
    }
  }
  return b
}

const concat = (parts: ReadonlyArray<Uint8Array>): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let at = 0
  for (const p of parts) {
    out.set(p, at)
    at += p.length
  }
  return out
}

/** Random CBOR items (well-formed), so decoders see valid CBOR of the wrong shape too. */
const cborValue: fc.Arbitrary<Cbor.Value> = fc.letrec<{ v: Cbor.Value }>((tie) => ({
  v: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.integer({ min: -1000, max: 70_000 }),
    fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
    fc.string({ maxLength: 12 }),
    fc.boolean(),
    fc.constant(null),
    fc.uint8Array({ maxLength: 40 }),
    fc.array(tie("v"), { maxLength: 5 }),
    fc.array(fc.tuple(tie("v"), tie("v")), { maxLength: 4 }).map((es) => new Map(es)),
    fc.tuple(fc.integer({ min: 0, max: 300 }), tie("v")).map(([t, v]) => new Cbor.Tag(t, v))
  )
})).v

/** Message-shaped CBOR: `[small tag, ...random fields]`, the shape every mini-protocol message has. */
const messageShaped: fc.Arbitrary<Uint8Array> = fc.tuple(fc.integer({ min: 0, max: 12 }), fc.array(cborValue, { maxLength: 4 }))
  .map(([tag, fields]) => Cbor.encode([tag, ...fields]))

/** Bytes for a protocol's decoder: a mutated vector, random bytes, or CBOR of about the right shape. */
const payloadFor = (protocol: Protocol<any>): fc.Arbitrary<Uint8Array> => {
  const vectors = vectorBytes.get(protocol.name) ?? []
  const options: Array<fc.Arbitrary<Uint8Array>> = [fc.uint8Array({ maxLength: 256 }), messageShaped]
  if (vectors.length > 0) {
    options.push(
      fc.tuple(fc.constantFrom(...vectors), fc.array(mutation, { minLength: 1, maxLength: 4 })).map(([v, ms]) => mutate(v, ms)),
      fc.constantFrom(...vectors)
    )
  }
  return fc.oneof(...options)
}

const typedError = (e: unknown): boolean =>
  e instanceof DecodeError || e instanceof MuxError || e instanceof ProtocolViolation || e instanceof TransportError

// ---- 1. segment reader ------------------------------------------------------------------------------

const validSegments: fc.Arbitrary<ReadonlyArray<{ protocol: number; fromResponder: boolean; payload: Uint8Array }>> = fc.array(
  fc.record({
    protocol: fc.integer({ min: 0, max: 0x7fff }),
    fromResponder: fc.boolean(),
    payload: fc.uint8Array({ minLength: 1, maxLength: 300 })
  }),
  { maxLength: 6 }
)

const encodeSegments = (segments: ReadonlyArray<{ protocol: number; fromResponder: boolean; payload: Uint8Array }>): Uint8Array =>
  concat(segments.flatMap((s) => Segment.cut(s.payload, s.protocol, s.fromResponder, 65_535, 7)))

/** Splits bytes at the given fractions. */
const splitAt = (bytes: Uint8Array, cuts: ReadonlyArray<number>): Array<Uint8Array> => {
  const points = [...new Set(cuts.map((c) => Math.floor(c * bytes.length)))].sort((a, b) => a - b)
  const out: Array<Uint8Array> = []
  let last = 0
  for (const p of points) {
    out.push(bytes.subarray(last, p))
    last = p
  }
  out.push(bytes.subarray(last))
  return out
}

type Pushed = { readonly segments: ReadonlyArray<Segment.Segment>; readonly error: Segment.ZeroLengthSegment | undefined; readonly reader: Segment.SegmentReader }

const pushAll = (chunks: ReadonlyArray<Uint8Array>): Pushed => {
  const reader = new Segment.SegmentReader()
  const segments: Array<Segment.Segment> = []
  for (const c of chunks) {
    // payloads may be views of the input: copy to compare after more pushes
    for (const s of reader.push(c)) segments.push({ ...s, payload: s.payload.slice() })
    if (reader.error !== undefined) return { segments, error: reader.error, reader }
  }
  return { segments, error: undefined, reader }
}

const segmentKey = (s: Segment.Segment) => `${s.protocol}/${s.fromResponder}/${s.length}/${Cbor.toHex(s.payload)}`

/** The same bytes through `scan` (the multiplexer's path): each segment's key, and whether it stopped at a zero-length header. */
const scanAll = (chunks: ReadonlyArray<Uint8Array>): { readonly keys: ReadonlyArray<string>; readonly error: boolean } => {
  const reader = new Segment.SegmentReader()
  const keys: Array<string> = []
  const sink: Segment.SegmentSink = {
    payload: (protocol, fromResponder, chunk, start, end) => {
      keys.push(`${protocol}/${fromResponder}/${end - start}/${Cbor.toHex(chunk.subarray(start, end))}`)
      return true
    }
  }
  for (const c of chunks) if (!reader.scan(c, sink)) break
  return { keys, error: reader.error !== undefined }
}

const segmentReader: Target = {
  name: "segment-reader",
  checks:
    "SegmentReader fed arbitrary bytes (random, or valid segments mutated) cut at arbitrary points: never throws, stops only at a zero-length header; yields the same segments and the same stop whatever the cuts, through push and through scan (the multiplexer's path); every segment's payload has its header's length; a valid stream pushed after a fuzzed one that ended between segments comes out exactly",
  property: () =>
    fc.property(
      fc.oneof(fc.uint8Array({ maxLength: 600 }), fc.tuple(validSegments, fc.array(mutation, { maxLength: 3 })).map(([s, ms]) => mutate(encodeSegments(s), ms))),
      fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 8 }),
      validSegments,
      (fuzzed, cuts, after) => {
        const whole = pushAll([fuzzed])
        tally("segment-reader", whole.error !== undefined ? "ZeroLengthSegment" : whole.reader.inSegment ? "ended inside a segment" : `ended between segments (${Math.min(whole.segments.length, 3)}${whole.segments.length >= 3 ? "+" : ""} segments)`)
        const split = pushAll(splitAt(fuzzed, cuts))
        // the same segments and the same verdict however the bytes arrive
        if (whole.segments.map(segmentKey).join() !== split.segments.map(segmentKey).join()) return false
        if ((whole.error === undefined) !== (split.error === undefined)) return false
        // scan, the multiplexer's path, hands over the same segments and stops the same way
        const scanned = scanAll(splitAt(fuzzed, cuts))
        if (scanned.keys.join() !== whole.segments.map(segmentKey).join() || scanned.error !== (whole.error !== undefined)) return false
        for (const s of split.segments) if (s.payload.length !== s.length || s.length === 0) return false
        // a valid stream after a fuzzed one that ended on a segment boundary still works
        if (split.error === undefined && !split.reader.inSegment) {
          const more: Array<Segment.Segment> = []
          for (const c of splitAt(encodeSegments(after), cuts)) more.push(...split.reader.push(c))
          if (more.map(segmentKey).join() !== after.map((s) => `${s.protocol}/${s.fromResponder}/${s.payload.length}/${Cbor.toHex(s.payload)}`).join()) return false
        }
        return true
      }
    )
}

// ---- 2. decoders ------------------------------------------------------------------------------------

const decoders: Target = {
  name: "decoders",
  checks:
    "every mini-protocol's decode (node-to-node and node-to-client) fed random bytes, random message-shaped CBOR and mutated vectors: returns a message or a DecodeError, never throws; whatever decodes re-encodes to bytes that decode to the same message",
  property: () =>
    fc.property(
      fc.constantFrom(...allProtocols).chain((p) => fc.tuple(fc.constant(p), payloadFor(p))),
      ([protocol, bytes]) => {
        const r = protocol.decode(bytes)
        tally("decoders", Result.isFailure(r) ? "DecodeError" : "decoded")
        if (Result.isFailure(r)) return r.failure instanceof DecodeError
        const again = protocol.encode(r.success)
        const back = protocol.decode(again)
        return Result.isSuccess(back) && Cbor.toHex(protocol.encode(back.success)) === Cbor.toHex(again)
      }
    )
}

// ---- 3. handshake negotiation ------------------------------------------------------------------------

const versionData: fc.Arbitrary<Cbor.Value> = fc.oneof(
  fc.tuple(fc.constantFrom(42, 764824073, 1, 2), fc.boolean(), fc.integer({ min: 0, max: 3 }), fc.boolean()).map(([m, i, p, q]) => [m, i, p, q]),
  fc.tuple(fc.constantFrom(42, 764824073), fc.boolean()).map(([m, q]) => [m, q]),
  fc.tuple(fc.constantFrom(42, 764824073), fc.boolean(), fc.integer({ min: 0, max: 3 }), fc.boolean(), fc.boolean()).map((a) => a as Cbor.Value),
  fc.constantFrom(42, 764824073),
  cborValue
)
const versionNumber = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 7, max: 17 }) },
  fc.integer({ min: 7, max: 24 }).map((v) => v | Handshake.N2C_BIT),
  fc.integer({ min: 0, max: 0xffff }),
  fc.bigInt({ min: 0n, max: 2n ** 64n - 1n })
)

const negotiation: Target = {
  name: "negotiation",
  checks:
    "MsgProposeVersions with arbitrary version tables (any version numbers, any version data) decoded and negotiated by the responder against our node-to-node table: a DecodeError, or an accept of the highest common version with our magic, or a refusal naming the reason; never a throw",
  property: () =>
    fc.property(
      fc.array(fc.tuple(versionNumber, versionData), { maxLength: 8 }),
      fc.constantFrom(42, 764824073),
      (entries, magic) => {
        // the wire wants ascending keys; sort the numeric ones
        const sorted = [...entries].sort((a, b) => (Number(a[0]) - Number(b[0])))
        const bytes = Cbor.encode([0, new Map(sorted as Array<[Cbor.Value, Cbor.Value]>)])
        const r = Handshake.protocol.decode(bytes)
        if (Result.isFailure(r)) tally("negotiation", "DecodeError")
        if (Result.isFailure(r)) return r.failure instanceof DecodeError
        if (r.success._tag !== "MsgProposeVersions") return false
        const theirs = r.success.versionTable
        const ours = Handshake.n2nVersionTable({ magic })
        const common = [...theirs.keys()].filter((v) => ours.has(v))
        // the responder negotiates with Handshake.negotiate itself
        const a = Handshake.negotiate(ours, theirs)
        tally("negotiation", a._tag === "Accept" ? "accepted" : `refused: ${a.reason._tag}`)
        if (common.length === 0) {
          if (a._tag !== "Refuse") return false
        } else {
          const best = Math.max(...common)
          const data = theirs.get(best)!
          if (a._tag === "Accept") {
            if (a.version !== best || a.data.networkMagic !== magic || data.networkMagic !== magic || data.undecoded !== undefined) return false
          } else if (data.undecoded === undefined && data.networkMagic === magic) return false
          else if (data.undecoded !== undefined && a.reason._tag !== "HandshakeDecodeError") return false
        }
        // the answer encodes and decodes
        const answer = a._tag === "Accept" ? Handshake.make.accept(a.version, a.data) : Handshake.make.refuse(a.reason)
        return Result.isSuccess(Handshake.protocol.decode(Handshake.protocol.encode(answer)))
      }
    )
}

// ---- 4. protocol drivers ------------------------------------------------------------------------------

const driverProtocols = allProtocols.filter((p) => (vectorMessages.get(p.name) ?? []).length > 0)

const drivers: Target = {
  name: "drivers",
  needsVectors: true,
  checks:
    "each protocol's driver (both roles) fed random sequences of its messages sent and received, legal and illegal, with random sizes: every step delivers or returns a typed ProtocolViolation (never throws), the state is always one of the protocol's states, and a legal walk of the state machine never violates",
  property: () =>
    fc.property(
      fc.constantFrom(...driverProtocols),
      fc.constantFrom("initiator" as const, "responder" as const),
      fc.array(fc.tuple(fc.boolean(), fc.nat(), fc.integer({ min: 0, max: 3_000_000 }), fc.boolean()), { maxLength: 40 }),
      (protocol, role, steps) => {
        const pool = vectorMessages.get(protocol.name)!
        const ours = role === "initiator" ? "client" : "server"
        // random messages
        const random = Driver.make(protocol, role)
        for (const [sending, pick, size] of steps) {
          const m = pool[pick % pool.length]
          const step = sending ? random.send(m) : random.recv(m, size)
          if (!(random.state in protocol.states)) return false
          if (step._tag === "Violation") {
            tally("drivers", `violation: ${step.error.kind}`)
            if (!(step.error instanceof ProtocolViolation)) return false
            break
          }
        }
        // a legal walk: pick only messages the state allows, within its byte limit
        tally("drivers", "random sequence run")
        const legal = Driver.make(protocol, role)
        for (const [, pick] of steps) {
          if (legal.done()) break
          const state = legal.state
          const allowed = pool.filter((m) => protocol.transitions.some((t) => t.from === state && t.message === m._tag))
          if (allowed.length === 0) break
          const m = allowed[pick % allowed.length]
          const agency = protocol.states[state]!.agency
          const limit = protocol.states[state]!.byteLimit ?? 1_000_000
          const step = agency === ours ? legal.send(m) : legal.recv(m, Math.min(limit, protocol.encode(m).length))
          if (step._tag === "Violation") return false
        }
        return true
      }
    )
}

// ---- 5. the whole multiplexer --------------------------------------------------------------------------

const channelChoices = [0, 2, 3, 4, 8, 10]

/** A stream of segments as a hostile peer would send them: mostly plausible, some broken. */
const hostileStream = (fromResponder: boolean): fc.Arbitrary<Uint8Array> => fc.array(
  fc.record({
    channel: fc.oneof({ weight: 8, arbitrary: fc.constantFrom(...channelChoices) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 0x7fff }) }),
    fromResponder: fc.oneof({ weight: 9, arbitrary: fc.constant(fromResponder) }, { weight: 1, arbitrary: fc.constant(!fromResponder) }),
    payloadSeed: fc.nat(),
    payload: fc.oneof(
      { weight: 12, arbitrary: fc.uint8Array({ minLength: 1, maxLength: 64 }) },
      // now and then a big one, for byte limits and ingress overruns (CBOR that claims a long item)
      { weight: 1, arbitrary: fc.integer({ min: 2_000, max: 65_535 }).map((n) => { const b = new Uint8Array(n); b[0] = 0x82; b[1] = 0x00; b[2] = 0x5a; b[3] = 0x00; b[4] = 0x01; return b }) }
    ),
    useVector: fc.boolean(),
    mutations: fc.array(mutation, { maxLength: 2 }),
    badLength: fc.oneof({ weight: 30, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 0xffff }) })
  }),
  { minLength: 1, maxLength: 8 }
).map((segs) =>
  concat(segs.map((s) => {
    const protocol = NodeToNode.protocols.find((p) => p.channel === s.channel)
    const vectors = protocol === undefined ? [] : vectorBytes.get(protocol.name) ?? []
    const base = s.useVector && vectors.length > 0 ? vectors[s.payloadSeed % vectors.length]! : s.payload
    const payload = mutate(base, s.mutations)
    const body = payload.length === 0 ? s.payload : payload
    const header = new Uint8Array(8)
    Segment.writeHeader(header, 0, 0, s.fromResponder, s.channel, s.badLength ?? body.length)
    return concat([header, body])
  }))
)

/** A handshake proposal first, so fuzzed segments also reach the other protocols. */
const ourTable = Handshake.n2nVersionTable({ magic: 42 })
const proposal = concat(Segment.cut(Handshake.protocol.encode(Handshake.make.propose(ourTable)), 0, false, 12_288, 0))
/** For the initiator side: the responder's accept of v14. */
const acceptance = concat(Segment.cut(Handshake.protocol.encode(Handshake.make.accept(14, ourTable.get(14)!)), 0, true, 12_288, 0))

const muxRun = (input: ReadonlyArray<Uint8Array>, role: "initiator" | "responder", received: Array<string> = []) =>
  Effect.gen(function*() {
    let i = 0
    const bearer: Mux.Bearer = {
      // after the input, give the instance fibers a few turns before the end of stream
      read: Effect.suspend(() =>
        i < input.length
          ? Effect.succeed([input[i++]!])
          : Effect.as(Effect.andThen(Effect.yieldNow, Effect.andThen(Effect.yieldNow, Effect.yieldNow)), undefined)
      ),
      write: () => Effect.void
    }
    const mux = yield* Mux.make(bearer, {
      protocols: NodeToNode.protocols,
      initiator: role === "initiator",
      responder: role === "responder",
      handshakeRole: role,
      onReceive: (ms) => Effect.sync(() => void received.push(...ms.map((m) => m._tag))),
      onSent: () => Effect.void
    })
    // the initiator proposes first, as it would; a chain-sync request then waits for its answer
    if (role === "initiator") yield* mux.send(Handshake.make.propose(ourTable))
    return yield* mux.closed.pipe(Effect.timeoutOption("2 seconds"))
  }).pipe(Effect.scoped, Effect.exit)

const multiplexer = (role: "initiator" | "responder"): Target => ({
  name: role === "responder" ? "mux" : "mux-initiator",
  checks: role === "responder"
    ? "a whole responder-side multiplexer (N2N protocols) fed a stream of hostile segments from an initiator (any channel, wrong mode bits, wrong lengths, mutated vectors and random payloads, after a valid proposal or not) cut at random points, then end of stream: it always ends, within 2 s, cleanly or with a typed MuxError / ProtocolViolation / DecodeError / TransportError, never a defect; after a failure, a fresh connection's valid handshake still gets through"
    : "a whole initiator-side multiplexer (N2N protocols) that has sent its proposal, fed a stream of hostile segments from a responder (after a valid accept or not), cut at random points, then end of stream: the same invariants",
  property: () =>
    fc.asyncProperty(fc.oneof({ weight: 4, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }), hostileStream(role === "initiator"), fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 6 }), async (handshake, stream, cuts) => {
      const name = role === "responder" ? "mux" : "mux-initiator"
      const bytes = handshake ? concat([role === "responder" ? proposal : acceptance, stream]) : stream
      const exit = await Effect.runPromise(muxRun(splitAt(bytes, cuts).filter((c) => c.length > 0), role))
      if (Exit.isSuccess(exit)) {
        tally(name, Option.isSome(exit.value) ? "clean end" : "STALL")
        return Option.isSome(exit.value) // None: it did not end (a stall)
      }
      const failure = Cause.findErrorOption(exit.cause)
      tally(name, Option.isSome(failure) ? `${(failure.value as { _tag?: string })._tag}: ${(failure.value as { reason?: string; kind?: string }).reason ?? (failure.value as { kind?: string }).kind ?? ""}` : "DEFECT")
      if (!(Option.isSome(failure) && typedError(failure.value) && !Cause.hasDies(exit.cause))) return false
      // a valid stream after the fuzzed one still works: a fresh connection gets its handshake through
      const received: Array<string> = []
      const valid = role === "responder" ? proposal : acceptance
      const after = await Effect.runPromise(muxRun(splitAt(valid, cuts).filter((c) => c.length > 0), role, received))
      return Exit.isSuccess(after) && received.includes(role === "responder" ? "MsgProposeVersions" : "MsgAcceptVersion")
    })
})

/** Every target, in the order `npm run fuzz` runs them. */
export const targets: ReadonlyArray<Target> = [segmentReader, decoders, negotiation, drivers, multiplexer("responder"), multiplexer("initiator")]
