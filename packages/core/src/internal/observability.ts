/**
 * The probes behind {@link Observability}: labelled series built once per label set, gauges read
 * when scraped, a meter per multiplexer (bytes per protocol, one counter add per segment) and a
 * probe per connection (messages, handshake, keep-alive, chain-sync, block-fetch and state-query
 * figures and spans, seen in the messages the connection delivers and writes).
 *
 * @internal
 */
import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Metric from "effect/Metric"
import * as Option from "effect/Option"
import * as Scope from "effect/Scope"
import * as References from "effect/References"
import * as Tracer from "effect/Tracer"
import type { Message } from "../Message.ts"
import * as O from "../Observability.ts"

type Ctx = Context.Context<never>
type Attrs = Readonly<Record<string, string>>

/**
 * What a metric update reads from its context (the registry and the contextual attributes), in a
 * context of its own: a connection's context holds many services, and every update looks these two up.
 */
export const metricContext = (context: Ctx): Ctx => {
  const registry = Context.get(context, Metric.MetricRegistry)
  const attributes = Context.get(context, Metric.CurrentMetricAttributes)
  // one per registry and attribute set, shared by every connection (a connection would otherwise
  // carry two of its own)
  let byAttributes = metricContexts.get(registry)
  if (byAttributes === undefined) metricContexts.set(registry, byAttributes = new WeakMap())
  let made = byAttributes.get(attributes)
  if (made === undefined) {
    made = Context.make(Metric.MetricRegistry, registry).pipe(Context.add(Metric.CurrentMetricAttributes, attributes)) as Ctx
    byAttributes.set(attributes, made)
  }
  return made
}
const metricContexts = new WeakMap<object, WeakMap<object, Ctx>>()

// ---- series: one Metric per label set, built once

const seriesCache = new Map<string, Metric.Metric<number, any>>()
const keyOf = (id: string, attributes: Attrs): string => {
  let k = id
  for (const name in attributes) k += `|${name}=${attributes[name]}`
  return k
}

/**
 * The counter `base` with these labels (cached, but for a per-peer series: `cache` false; such a
 * series is held by its connection, and a cache would keep one of each for every peer ever seen).
 */
export const counter = (base: Metric.Counter<number>, attributes: Attrs, cache = true): Metric.Counter<number> => {
  if (!cache) return Metric.counter(base.id, { description: base.description, incremental: true, attributes })
  const key = keyOf(base.id, attributes)
  let m = seriesCache.get(key)
  if (m === undefined) {
    m = Metric.counter(base.id, { description: base.description, incremental: true, attributes })
    seriesCache.set(key, m)
  }
  return m as Metric.Counter<number>
}

/** The gauge `base` with these labels (cached, but for a per-peer series: `cache` false, as {@link counter}). */
export const gauge = (base: Metric.Gauge<number>, attributes: Attrs, cache = true): Metric.Gauge<number> => {
  if (!cache) return Metric.gauge(base.id, { description: base.description, attributes })
  const key = keyOf(base.id, attributes)
  let m = seriesCache.get(key)
  if (m === undefined) {
    m = Metric.gauge(base.id, { description: base.description, attributes })
    seriesCache.set(key, m)
  }
  return m as Metric.Gauge<number>
}

// ---- gauges read when scraped: the sum of every live source, per registry

const pulled = new WeakMap<object, Map<string, Set<() => number>>>()

/** Adds a source to a pulled gauge in the context's registry; returns its removal. */
export const pullGauge = (context: Ctx, metric: Metric.Gauge<number>, read: () => number): () => void => {
  const registry = Context.get(context, Metric.MetricRegistry)
  let byKey = pulled.get(registry)
  if (byKey === undefined) pulled.set(registry, byKey = new Map())
  const key = keyOf(metric.id, metric.attributes ?? {})
  let sources = byKey.get(key)
  if (sources === undefined) {
    const set = new Set<() => number>()
    sources = set
    byKey.set(key, set)
    Metric.registerUnsafe(metric, context, {
      get: () => {
        let value = 0
        for (const s of set) value += s()
        return { value }
      },
      update: () => {},
      modify: () => {}
    })
  }
  const own = sources
  own.add(read)
  return () => {
    own.delete(read)
  }
}

// ---- per multiplexer: bytes per protocol (hot path: one counter add per segment)

/**
 * What a multiplexer reports: `in`/`out` per segment (payload plus header), `read`/`wrote` per
 * bearer read and write (for the per-peer totals).
 */
export interface MuxMeter {
  /** Segment bytes (headers included) that arrived on a channel. */
  readonly in: (channel: number, segmentBytes: number) => void
  readonly out: (channel: number, segmentLength: number) => void
  readonly read: (chunks: ReadonlyArray<Uint8Array>) => void
  readonly wrote: (bytes: number) => void
  /** The multiplexer closed: its backlog gauges stop reading it. */
  readonly close: () => void
}

/** The meter of a multiplexer when metrics are off: it records nothing. */
export const noMeter: MuxMeter = { in: () => {}, out: () => {}, read: () => {}, wrote: () => {}, close: () => {} }

class LiveMeter implements MuxMeter {
  readonly context: Ctx
  readonly inBy: ReadonlyArray<Metric.Counter<number> | undefined>
  readonly outBy: ReadonlyArray<Metric.Counter<number> | undefined>
  readonly peerIn: Metric.Counter<number> | undefined
  readonly peerOut: Metric.Counter<number> | undefined
  private readonly removals: ReadonlyArray<() => void>
  constructor(
    context: Ctx,
    inBy: ReadonlyArray<Metric.Counter<number> | undefined>,
    outBy: ReadonlyArray<Metric.Counter<number> | undefined>,
    peerIn: Metric.Counter<number> | undefined,
    peerOut: Metric.Counter<number> | undefined,
    removals: ReadonlyArray<() => void>
  ) {
    this.context = context
    this.inBy = inBy
    this.outBy = outBy
    this.peerIn = peerIn
    this.peerOut = peerOut
    this.removals = removals
  }
  close(): void {
    for (const r of this.removals) r()
  }
  in(channel: number, segmentBytes: number): void {
    this.inBy[channel]?.updateUnsafe(segmentBytes, this.context)
  }
  out(channel: number, segmentLength: number): void {
    this.outBy[channel]?.updateUnsafe(segmentLength, this.context)
  }
  read(chunks: ReadonlyArray<Uint8Array>): void {
    if (this.peerIn === undefined) return
    let n = 0
    for (const c of chunks) n += c.length
    this.peerIn.updateUnsafe(n, this.context)
  }
  wrote(bytes: number): void {
    this.peerOut?.updateUnsafe(bytes, this.context)
  }
}

/** The byte counters by channel, in and out, of a protocol list (shared by every multiplexer over it). */
const channelCounters = new WeakMap<
  ReadonlyArray<{ readonly name: string; readonly channel: number }>,
  { readonly inBy: ReadonlyArray<Metric.Counter<number> | undefined>; readonly outBy: ReadonlyArray<Metric.Counter<number> | undefined> }
>()
const countersOf = (protocols: ReadonlyArray<{ readonly name: string; readonly channel: number }>) => {
  let c = channelCounters.get(protocols)
  if (c === undefined) {
    const inBy: Array<Metric.Counter<number> | undefined> = []
    const outBy: Array<Metric.Counter<number> | undefined> = []
    for (const p of protocols) {
      inBy[p.channel] = counter(O.bytes, { protocol: p.name, direction: "in" })
      outBy[p.channel] = counter(O.bytes, { protocol: p.name, direction: "out" })
    }
    c = { inBy, outBy }
    channelCounters.set(protocols, c)
  }
  return c
}

/**
 * The meter of one multiplexer running in `context`, for its protocols; `egress` and `ingress`
 * give the bytes waiting (read when scraped, until the meter is closed).
 */
export const muxMeter = (
  context: Ctx,
  protocols: ReadonlyArray<{ readonly name: string; readonly channel: number }>,
  egress: () => number,
  ingress: () => number
): MuxMeter => {
  if (!Context.get(context, O.MetricsEnabled)) return noMeter
  const { inBy, outBy } = countersOf(protocols)
  const peer = Context.get(context, O.CurrentPeer)
  return new LiveMeter(
    metricContext(context),
    inBy,
    outBy,
    peer === undefined ? undefined : counter(O.peerBytes, { peer, direction: "in" }, false),
    peer === undefined ? undefined : counter(O.peerBytes, { peer, direction: "out" }, false),
    [pullGauge(context, O.egressBacklogBytes, egress), pullGauge(context, O.ingressBytesWaiting, ingress)]
  )
}

// ---- per connection: messages, handshake, round trips, chain-sync, block-fetch, state queries, spans

interface Pending {
  readonly at: number
  readonly span: Tracer.Span
}

const PROTOCOLS = [
  "handshake",
  "chain-sync",
  "block-fetch",
  "tx-submission2",
  "keep-alive",
  "peer-sharing",
  "local-chain-sync",
  "local-tx-submission",
  "local-state-query",
  "local-tx-monitor"
] as const

/** The message counters per protocol, shared by every connection. */
const messagesIn = new Map<string, Metric.Counter<number>>(PROTOCOLS.map((p) => [p, counter(O.messages, { protocol: p, direction: "in" })]))
const messagesOut = new Map<string, Metric.Counter<number>>(PROTOCOLS.map((p) => [p, counter(O.messages, { protocol: p, direction: "out" })]))

/** Why a connection ended, as the `reason` label. */
const reasonOf = (exit: Exit.Exit<unknown, unknown>): { readonly reason: string; readonly error: unknown } => {
  if (Exit.isSuccess(exit)) return { reason: "clean", error: undefined }
  const found = Cause.findErrorOption(exit.cause)
  if (Option.isNone(found)) return { reason: Cause.hasInterruptsOnly(exit.cause) ? "local" : "other", error: undefined }
  const e = found.value as { readonly _tag?: string }
  switch (e._tag) {
    case "TransportError":
      return { reason: "transport", error: e }
    case "ProtocolViolation":
      return { reason: "violation", error: e }
    case "MuxError":
      return { reason: "mux", error: e }
    case "DecodeError":
      return { reason: "decode", error: e }
    default:
      return { reason: "other", error: e }
  }
}

/** The probe of one connection: see the module's description. */
export class ConnectionProbe {
  private readonly messagesIn = messagesIn
  private readonly messagesOut = messagesOut
  /** This peer's round-trip time (made at the first, when metrics are on). */
  private peerRtt: Metric.Gauge<number> | undefined
  /** This peer's blocks (made at the first). */
  private peerBlocks: Metric.Counter<number> | undefined
  private opened = false
  private handshake: Tracer.Span | undefined
  private proposedAt: number | undefined
  private intersect: Tracer.Span | undefined
  /** What is pending, made at the first (most connections never fetch a range nor query). */
  private ranges: Array<Pending> | undefined
  private queries: Array<Pending> | undefined
  /** The keep-alive sent and not answered: its cookie and when (one at a time, as the protocol allows). */
  private keepAliveCookie: number | undefined
  private keepAliveAt = 0

  readonly context: Ctx
  readonly enabled: boolean
  readonly peer: string
  readonly direction: string
  readonly tracer: Tracer.Tracer
  readonly clock: Clock.Clock
  readonly parent: Option.Option<Tracer.AnySpan>

  constructor(
    context: Ctx,
    enabled: boolean,
    peer: string,
    direction: string,
    tracer: Tracer.Tracer,
    clock: Clock.Clock,
    parent: Option.Option<Tracer.AnySpan>
  ) {
    this.context = context
    this.enabled = enabled
    this.peer = peer
    this.direction = direction
    this.tracer = tracer
    this.clock = clock
    this.parent = parent
  }

  private span(name: string, attributes?: Record<string, unknown>): Tracer.Span {
    const span = this.tracer.span({
      name,
      parent: this.parent,
      annotations: Context.empty(),
      links: [],
      startTime: this.clock.currentTimeNanosUnsafe(),
      kind: "internal",
      root: false,
      sampled: Option.isSome(this.parent) ? this.parent.value.sampled : true
    })
    span.attribute("network2.peer", this.peer)
    if (attributes !== undefined) for (const k in attributes) span.attribute(k, attributes[k])
    return span
  }

  private end(span: Tracer.Span, exit: Exit.Exit<unknown, unknown> = Exit.void): void {
    span.end(this.clock.currentTimeNanosUnsafe(), exit)
  }

  private add(metric: Metric.Metric<number, any>, n: number): void {
    if (this.enabled) metric.updateUnsafe(n, this.context)
  }

  /** This peer's round-trip time, when metrics are on (its gauge made at the first). */
  private roundTrip(rtt: number): void {
    if (this.enabled) (this.peerRtt ??= gauge(O.peerRtt, { peer: this.peer }, false)).updateUnsafe(rtt, this.context)
  }

  /** A keep-alive sent with `cookie` at `at` (ms). */
  private keepAlive(cookie: number, at: number): void {
    this.keepAliveCookie = cookie
    this.keepAliveAt = at
  }

  /** When the keep-alive with `cookie` was sent (forgotten now), if it was. */
  private keepAliveSent(cookie: number): number | undefined {
    if (this.keepAliveCookie !== cookie) return undefined
    this.keepAliveCookie = undefined
    return this.keepAliveAt
  }

  /** The bearer is up and the multiplexer runs. */
  open(): Effect.Effect<void> {
    this.opened = true
    this.add(counter(O.connectionsOpened, { direction: this.direction }), 1)
    if (this.enabled) gauge(O.connectionsOpen, { direction: this.direction }).modifyUnsafe(1, this.context)
    this.handshake = this.span("network2.handshake", { "network2.direction": this.direction })
    return Effect.logDebug("connection opened", this.direction)
  }

  private handshakeDone(m: Message & Record<string, unknown>): void {
    const outcome = m._tag === "MsgAcceptVersion" ? "accepted" : m._tag === "MsgRefuse" ? "refused" : "query"
    const version = m._tag === "MsgAcceptVersion" ? String(m["version"]) : ""
    this.add(counter(O.handshakes, { outcome, version }), 1)
    if (this.proposedAt !== undefined) {
      const rtt = (this.clock.currentTimeMillisUnsafe() - this.proposedAt) / 1000
      this.roundTrip(rtt)
      this.proposedAt = undefined
    }
    if (this.handshake !== undefined) {
      this.handshake.attribute("network2.handshake.outcome", outcome)
      if (version !== "") this.handshake.attribute("network2.handshake.version", version)
      this.end(this.handshake)
      this.handshake = undefined
    }
  }

  /** Messages delivered by the multiplexer (one protocol per batch). */
  received(batch: ReadonlyArray<Message>): void {
    const first = batch[0]
    if (first === undefined) return
    const c = this.messagesIn.get(first.protocol)
    if (c !== undefined && this.enabled) c.updateUnsafe(batch.length, this.context)
    switch (first.protocol) {
      case "chain-sync": {
        let forwards = 0
        let backwards = 0
        for (const m of batch) {
          if (m._tag === "MsgRollForward") forwards++
          else if (m._tag === "MsgRollBackward") backwards++
          else if ((m._tag === "MsgIntersectFound" || m._tag === "MsgIntersectNotFound") && this.intersect !== undefined) {
            this.intersect.attribute("network2.chainsync.found", m._tag === "MsgIntersectFound")
            this.end(this.intersect)
            this.intersect = undefined
          }
        }
        if (forwards > 0) this.add(O.chainSyncHeaders, forwards)
        if (backwards > 0) this.add(O.chainSyncRollbacks, backwards)
        return
      }
      case "block-fetch": {
        let blocks = 0
        let bytes = 0
        for (const m of batch) {
          if (m._tag === "MsgBlock") {
            blocks++
            bytes += (m as unknown as { readonly block: { readonly bytes: Uint8Array } }).block.bytes.length
          } else if (m._tag === "MsgBatchDone" || m._tag === "MsgNoBlocks") {
            const r = this.ranges?.shift()
            if (r !== undefined) {
              this.add(O.blockFetchRangeSeconds, (this.clock.currentTimeMillisUnsafe() - r.at) / 1000)
              r.span.attribute("network2.blockfetch.outcome", m._tag === "MsgBatchDone" ? "done" : "noBlocks")
              this.end(r.span)
            }
          }
        }
        if (blocks > 0) {
          this.add(O.blockFetchBlocks, blocks)
          this.add(O.blockFetchBytes, bytes)
          this.add(this.peerBlocks ??= counter(O.peerBlocks, { peer: this.peer }, false), blocks)
          const r = this.ranges?.[0]
          if (r !== undefined) r.span.attribute("network2.blockfetch.blocks", blocks)
        }
        return
      }
      case "keep-alive": {
        for (const m of batch) {
          if (m._tag !== "MsgKeepAliveResponse") continue
          const cookie = (m as unknown as { readonly cookie: number }).cookie
          const at = this.keepAliveSent(cookie)
          if (at === undefined) continue
          const rtt = (this.clock.currentTimeMillisUnsafe() - at) / 1000
          this.add(O.keepAliveRtt, rtt)
          this.roundTrip(rtt)
        }
        return
      }
      case "handshake": {
        for (const m of batch) {
          if (m._tag === "MsgAcceptVersion" || m._tag === "MsgRefuse" || m._tag === "MsgQueryReply") {
            this.handshakeDone(m as Message & Record<string, unknown>)
          }
        }
        return
      }
      case "local-state-query": {
        for (const m of batch) {
          if (m._tag !== "MsgResult" && m._tag !== "MsgFailure") continue
          const q = this.queries?.shift()
          if (q === undefined) continue
          this.add(counter(O.stateQueries, { outcome: m._tag === "MsgResult" ? "result" : "failure" }), 1)
          this.end(q.span)
        }
        return
      }
    }
  }

  /** The messages of one write: counted once per protocol run (a write of blocks is one update), each looked at for its spans. */
  sentAll(messages: ReadonlyArray<Message>): void {
    let run = 0
    let protocol: string | undefined
    for (let i = 0; i < messages.length; i++) {
      const m = messages[i]!
      if (m.protocol !== protocol) {
        if (run > 0) this.countOut(protocol!, run)
        protocol = m.protocol
        run = 0
      }
      run++
      this.sent(m)
    }
    if (run > 0) this.countOut(protocol!, run)
  }

  private countOut(protocol: string, n: number): void {
    const c = this.messagesOut.get(protocol)
    if (c !== undefined && this.enabled) c.updateUnsafe(n, this.context)
  }

  /** A message written out (counted by {@link sentAll}): the spans it opens or ends. */
  private sent(m: Message): void {
    switch (m.protocol) {
      case "chain-sync":
        if (m._tag === "MsgFindIntersect") {
          if (this.intersect !== undefined) this.end(this.intersect)
          this.intersect = this.span("network2.chainsync.intersect", {
            "network2.chainsync.points": (m as unknown as { readonly points: ReadonlyArray<unknown> }).points.length
          })
        }
        return
      case "block-fetch":
        if (m._tag === "MsgRequestRange") {
          ;(this.ranges ??= []).push({ at: this.clock.currentTimeMillisUnsafe(), span: this.span("network2.blockfetch.range") })
        }
        return
      case "keep-alive":
        if (m._tag === "MsgKeepAlive") this.keepAlive((m as unknown as { readonly cookie: number }).cookie, this.clock.currentTimeMillisUnsafe())
        return
      case "handshake":
        if (m._tag === "MsgProposeVersions") this.proposedAt = this.clock.currentTimeMillisUnsafe()
        else if (m._tag === "MsgAcceptVersion" || m._tag === "MsgRefuse" || m._tag === "MsgQueryReply") {
          this.handshakeDone(m as Message & Record<string, unknown>)
        }
        return
      case "local-state-query":
        if (m._tag === "MsgQuery") {
          ;(this.queries ??= []).push({ at: this.clock.currentTimeMillisUnsafe(), span: this.span("network2.localstatequery.query") })
        }
        return
    }
  }

  /** The connection ended with `exit`: counts, logs and ends the spans still open. */
  closed(exit: Exit.Exit<unknown, unknown>): Effect.Effect<void> {
    const { error, reason } = reasonOf(exit)
    const failed = Exit.fail(reason)
    if (this.handshake !== undefined) this.end(this.handshake, failed)
    if (this.intersect !== undefined) this.end(this.intersect, failed)
    for (const r of this.ranges?.splice(0) ?? []) this.end(r.span, failed)
    for (const q of this.queries?.splice(0) ?? []) this.end(q.span, failed)
    this.handshake = undefined
    this.intersect = undefined
    if (!this.opened) {
      this.add(O.connectFailures, 1)
      return Effect.logDebug("connection failed", String(error ?? reason))
    }
    this.add(counter(O.connectionsClosed, { reason }), 1)
    if (this.enabled) gauge(O.connectionsOpen, { direction: this.direction }).modifyUnsafe(-1, this.context)
    const e = error as { readonly _tag?: string; readonly protocol?: string; readonly kind?: string; readonly reason?: string } | undefined
    if (e?._tag === "ProtocolViolation") this.add(counter(O.protocolViolations, { protocol: e.protocol ?? "", kind: e.kind ?? "" }), 1)
    else if (e?._tag === "MuxError") this.add(counter(O.protocolViolations, { protocol: "mux", kind: e.reason ?? "" }), 1)
    return error === undefined
      ? Effect.logDebug("connection closed", reason)
      : Effect.logDebug("connection closed", reason, String(error))
  }
}

/** A probe for the connection about to run in the current fiber (see {@link connectionContext}). */
export const connectionProbe = (peer: string, direction: string): Effect.Effect<ConnectionProbe> =>
  Effect.gen(function*() {
    const context = yield* Effect.context<never>()
    const parent = yield* Effect.option(Effect.currentSpan)
    return new ConnectionProbe(
      metricContext(context),
      Context.get(context, O.MetricsEnabled),
      peer,
      direction,
      yield* Effect.tracer,
      yield* Clock.Clock,
      parent
    )
  })

/** A connection's span, ended when the scope in the context closes (with its exit). */
export const connectionSpan = (peer: string, direction: string): Effect.Effect<Tracer.Span, never, Scope.Scope> =>
  Effect.makeSpanScoped("network2.connection", { attributes: { "network2.peer": peer, "network2.direction": direction } })

/**
 * The context a connection runs in: its scope, its span as the parent span, the peer as
 * {@link O.CurrentPeer} and as log annotation. One change of context for the four (a connection's
 * fiber would otherwise hold a context, and the one before it, for each).
 */
export const connectionContext = <R>(context: Context.Context<R>, scope: Scope.Scope, span: Tracer.Span, peer: string): Context.Context<R | Scope.Scope> => {
  const annotations = Context.get(context, References.CurrentLogAnnotations)
  const withPeer = Context.add(Context.add(context, O.CurrentPeer, peer), References.CurrentLogAnnotations, { ...annotations, peer })
  return Context.add(Context.add(withPeer, Tracer.ParentSpan, span), Scope.Scope, scope)
}

// ---- the initiator: bans, peers by temperature, best tip

/** What the initiator reports: its events, and its peers by temperature (read when scraped). */
export interface InitiatorProbe {
  readonly event: (e: { readonly _tag: string }) => void
}

/** The initiator's probe; `count(t)` gives its peers at temperature `t`. */
export const initiatorProbe = (count: (temperature: "cold" | "warm" | "hot" | "banned") => number): Effect.Effect<InitiatorProbe, never, Scope.Scope> =>
  Effect.gen(function*() {
    const context = yield* Effect.context<never>()
    if (!Context.get(context, O.MetricsEnabled)) return { event: () => {} } as InitiatorProbe
    const removals = (["cold", "warm", "hot", "banned"] as const).map((t) => pullGauge(context, gauge(O.peers, { temperature: t }), () => count(t)))
    yield* Effect.addFinalizer(() => Effect.sync(() => removals.forEach((r) => r())))
    const updates = metricContext(context)
    const probe: InitiatorProbe = {
      event: (e) => {
        if (e._tag === "PeerBanned") O.bans.updateUnsafe(1, updates)
        else if (e._tag === "TipChanged") {
          const t = e as unknown as { readonly blockNo: number; readonly point: { readonly _tag: string; readonly slot?: number } }
          O.tipBlockNumber.updateUnsafe(t.blockNo, updates)
          O.tipSlot.updateUnsafe(t.point.slot ?? 0, updates)
        }
      }
    }
    return probe
  })
