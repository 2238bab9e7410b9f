/**
 * The initiator's peer set as pure bookkeeping: every known peer with its temperature (cold, warm,
 * hot, banned), its connection phase, its failures and backoff, its round-trip time; and the
 * governor that compares the set with its targets and says what to do next (connect, promote,
 * demote, disconnect, forget). Time is passed in (milliseconds of the behavior's Clock), randomness
 * too, so the logic is deterministic under test.
 *
 * Root peers (a topology file's local root groups, public roots and bootstrap peers) come from a
 * function read at each governor pass, so addresses resolved again replace the old ones: each local
 * root group keeps its own valency (`hotValency` hot, `warmValency` established) whatever the
 * overall targets; trustable peers (trustable groups, bootstrap peers) are chosen first and demoted
 * last; a peer known only as a root is disconnected and forgotten once no root names it.
 *
 * @internal
 */
import type { PeerId } from "../../Primitives.ts"
// the public shapes of the root peers (a type-only import: no cycle at run time)
import type { RootPeers } from "../Initiator.ts"

/** How warm a peer is: cold (known), warm (connected and handshaken), hot (syncing), banned. */
export type Temperature = "cold" | "warm" | "hot" | "banned"

/** Where a cold peer's connection stands. */
export type Phase = "idle" | "connecting" | "handshaking" | "established"

/** Where a peer came from: the application, peer-sharing, or nowhere we keep (forgotten peers). */
export type PeerSource = "included" | "discovered"

/** Targets the governor works towards. */
export interface PeerTargets {
  /** Known peers (every temperature but banned). */
  readonly known: number
  /** Established peers: warm + hot (connection attempts in flight count too). */
  readonly established: number
  /** Active peers: hot. */
  readonly active: number
}

/** What the roots say of one peer: its local root group (index), and whether it is trusted. */
interface RootRole {
  readonly group: number | undefined
  readonly trustable: boolean
}

/** Reconnection backoff. */
export interface BackoffPolicy {
  /** The first delay (ms). */
  readonly base: number
  /** The longest delay (ms). */
  readonly max: number
  /** Spread of the random jitter, as a fraction of the delay (0.2 = +/- 20 %). */
  readonly jitter: number
  /** A discovered peer that failed this many times in a row is forgotten (included peers never are). */
  readonly forgetAfter: number
}

/** One peer's record. */
export interface PeerRecord {
  readonly peer: PeerId
  readonly source: PeerSource
  /** Known only because the root peers name it (forgotten when they no longer do). */
  fromRoots: boolean
  /** Insertion order, the stable tie-break. */
  readonly order: number
  temperature: Temperature
  phase: Phase
  /** When the phase started (ms). */
  phaseSince: number
  /** Consecutive failures (connect, handshake, keep-alive, transport). */
  failures: number
  /** Not before this time may the peer be dialled again (ms). */
  retryAt: number
  /** No promotion before this time (after a demotion by the application or by churn). */
  holdUntil: number
  bannedUntil: number
  banReason: string | undefined
  /** Smoothed keep-alive round trip (ms). */
  rtt: number | undefined
  /** Headers and blocks this peer delivered (usefulness, for churn). */
  useful: number
}

/** What the governor asks for. */
export type GovernorAction =
  | { readonly _tag: "Connect"; readonly peer: PeerId }
  | { readonly _tag: "Promote"; readonly peer: PeerId }
  | { readonly _tag: "Demote"; readonly peer: PeerId; readonly reason: string }
  | { readonly _tag: "Disconnect"; readonly peer: PeerId; readonly reason: string }
  | { readonly _tag: "Forget"; readonly peer: PeerId }

/** Counts per temperature. */
export interface PeerCounts {
  readonly known: number
  readonly cold: number
  readonly connecting: number
  readonly warm: number
  readonly hot: number
  readonly banned: number
}

const rttOf = (r: PeerRecord): number => r.rtt ?? Number.POSITIVE_INFINITY

const NO_ROLE: RootRole = { group: undefined, trustable: false }
/** The peer set. */
export class PeerSet {
  readonly targets: PeerTargets
  readonly backoff: BackoffPolicy
  private readonly records = new Map<PeerId, PeerRecord>()
  private counter = 0
  private readonly roots: (() => RootPeers | undefined) | undefined
  private rootsSeen: RootPeers | undefined
  private roles = new Map<PeerId, RootRole>()

  constructor(targets: PeerTargets, backoff: BackoffPolicy, roots?: () => RootPeers | undefined) {
    this.targets = targets
    this.backoff = backoff
    this.roots = roots
  }

  /** What the roots say of a peer. */
  role(peer: PeerId): RootRole {
    return this.roles.get(peer) ?? NO_ROLE
  }

  /** Better peers first: trusted, fewer failures, included or root before discovered, lower RTT, older. */
  private readonly candidateOrder = (a: PeerRecord, b: PeerRecord): number =>
    Number(this.role(b.peer).trustable) - Number(this.role(a.peer).trustable) ||
    a.failures - b.failures ||
    (a.source === b.source ? 0 : a.source === "included" ? -1 : 1) ||
    (rttOf(a) === rttOf(b) ? 0 : rttOf(a) < rttOf(b) ? -1 : 1) ||
    a.order - b.order

  /** Worse peers first: untrusted, higher RTT (unknown is worst), less useful, newer. */
  private readonly worstOrder = (a: PeerRecord, b: PeerRecord): number =>
    Number(this.role(a.peer).trustable) - Number(this.role(b.peer).trustable) ||
    (rttOf(a) === rttOf(b) ? 0 : rttOf(a) > rttOf(b) ? -1 : 1) || a.useful - b.useful || b.order - a.order

  /**
   * Reads the root peers: new ones are added (cold, included), their roles recorded; a peer known
   * only as a root that no root names any more is disconnected, then forgotten once cold.
   */
  private syncRoots(now: number, actions: Array<GovernorAction>): void {
    const roots = this.roots?.()
    if (roots !== this.rootsSeen) {
      this.rootsSeen = roots
      const roles = new Map<PeerId, RootRole>()
      roots?.localRoots.forEach((g, group) => {
        for (const peer of g.peers) if (!roles.has(peer)) roles.set(peer, { group, trustable: g.trustable })
      })
      for (const peer of roots?.bootstrapPeers ?? []) if (!roles.has(peer)) roles.set(peer, { group: undefined, trustable: true })
      for (const peer of roots?.publicRoots ?? []) if (!roles.has(peer)) roles.set(peer, NO_ROLE)
      this.roles = roles
      for (const peer of roles.keys()) this.add(peer, "included", now, true)
    }
    for (const r of this.records.values()) {
      if (!r.fromRoots || this.roles.has(r.peer)) continue
      if (r.temperature === "warm" || r.temperature === "hot" || r.phase !== "idle") {
        actions.push({ _tag: "Disconnect", peer: r.peer, reason: "no longer a root peer" })
      } else actions.push({ _tag: "Forget", peer: r.peer })
    }
  }

  get(peer: PeerId): PeerRecord | undefined {
    return this.records.get(peer)
  }

  all(): IterableIterator<PeerRecord> {
    return this.records.values()
  }

  /**
   * Adds a peer as cold. Discovered peers are taken only while the known set is under its target;
   * a peer already known is left as it is. Returns whether the peer is new.
   */
  add(peer: PeerId, source: PeerSource, now: number, fromRoots = false): boolean {
    const existing = this.records.get(peer)
    if (existing !== undefined) {
      if (source === "included" && existing.source === "discovered") {
        this.records.set(peer, { ...existing, source, fromRoots })
      } else if (source === "included" && !fromRoots) existing.fromRoots = false
      return false
    }
    if (source === "discovered" && this.counts(now).known >= this.targets.known) return false
    this.records.set(peer, {
      peer,
      source,
      fromRoots,
      order: this.counter++,
      temperature: "cold",
      phase: "idle",
      phaseSince: now,
      failures: 0,
      retryAt: now,
      holdUntil: 0,
      bannedUntil: 0,
      banReason: undefined,
      rtt: undefined,
      useful: 0
    })
    return true
  }

  counts(now: number): PeerCounts {
    let cold = 0, connecting = 0, warm = 0, hot = 0, banned = 0
    for (const r of this.records.values()) {
      if (r.temperature === "banned" && r.bannedUntil <= now) this.unban(r, now)
      switch (r.temperature) {
        case "cold":
          if (r.phase === "idle") cold++
          else connecting++
          break
        case "warm":
          warm++
          break
        case "hot":
          hot++
          break
        case "banned":
          banned++
          break
      }
    }
    return { known: cold + connecting + warm + hot, cold, connecting, warm, hot, banned }
  }

  private unban(r: PeerRecord, now: number): void {
    r.temperature = "cold"
    r.phase = "idle"
    r.phaseSince = now
    r.banReason = undefined
    r.failures = 0
    r.retryAt = now
  }

  /** Marks a dial started. */
  connecting(peer: PeerId, now: number): void {
    const r = this.records.get(peer)
    if (r === undefined) return
    r.phase = "connecting"
    r.phaseSince = now
  }

  /** The connection is up; the handshake starts. */
  handshaking(peer: PeerId, now: number): void {
    const r = this.records.get(peer)
    if (r === undefined) return
    r.phase = "handshaking"
    r.phaseSince = now
  }

  /** The handshake was accepted: the peer is warm. */
  established(peer: PeerId, now: number): void {
    const r = this.records.get(peer)
    if (r === undefined) return
    r.phase = "established"
    r.phaseSince = now
    r.temperature = "warm"
    r.failures = 0
  }

  /** Warm to hot. */
  promote(peer: PeerId): void {
    const r = this.records.get(peer)
    if (r !== undefined && r.temperature === "warm") r.temperature = "hot"
  }

  /** Hot to warm; `hold` keeps it from being promoted again for a while. */
  demote(peer: PeerId, now: number, hold = 0): void {
    const r = this.records.get(peer)
    if (r !== undefined && r.temperature === "hot") {
      r.temperature = "warm"
      r.holdUntil = now + hold
    }
  }

  /** The delay before the next dial after `failures` consecutive failures. */
  delay(failures: number, random: () => number): number {
    if (failures <= 0) return 0
    const raw = Math.min(this.backoff.max, this.backoff.base * 2 ** Math.min(failures - 1, 30))
    const spread = 1 - this.backoff.jitter + 2 * this.backoff.jitter * random()
    return Math.max(0, Math.round(raw * spread))
  }

  /**
   * The connection is gone: back to cold (banned peers stay banned). A failure counts towards the
   * backoff; a clean close (our own demotion) does not, though the peer still waits `minDelay`.
   * Returns the temperature the peer had.
   */
  disconnected(peer: PeerId, now: number, failed: boolean, random: () => number, minDelay = 0): Temperature | undefined {
    const r = this.records.get(peer)
    if (r === undefined) return undefined
    const was = r.temperature
    if (r.temperature !== "banned") {
      r.temperature = "cold"
      if (failed) r.failures++
      r.retryAt = now + Math.max(minDelay, this.delay(r.failures, random))
    }
    r.phase = "idle"
    r.phaseSince = now
    return was
  }

  /** Bans a peer until `until` (ms). Returns the temperature it had. */
  ban(peer: PeerId, now: number, duration: number, reason: string): Temperature | undefined {
    const r = this.records.get(peer)
    if (r === undefined) return undefined
    const was = r.temperature
    r.temperature = "banned"
    r.bannedUntil = now + duration
    r.banReason = reason
    return was
  }

  /** Whether a peer is banned now. */
  isBanned(peer: PeerId, now: number): boolean {
    const r = this.records.get(peer)
    return r !== undefined && r.temperature === "banned" && r.bannedUntil > now
  }

  forget(peer: PeerId): void {
    this.records.delete(peer)
  }

  /** Folds a keep-alive round trip into the smoothed RTT (weight 1/8, as TCP does). */
  recordRtt(peer: PeerId, sample: number): number | undefined {
    const r = this.records.get(peer)
    if (r === undefined) return undefined
    r.rtt = r.rtt === undefined ? sample : Math.round((r.rtt * 7 + sample) / 8)
    return r.rtt
  }

  /** Counts a useful delivery (header or block). */
  useful(peer: PeerId, n = 1): void {
    const r = this.records.get(peer)
    if (r !== undefined) r.useful += n
  }

  /** Peers at a temperature. */
  at(temperature: Temperature): Array<PeerRecord> {
    return [...this.records.values()].filter((r) => r.temperature === temperature)
  }

  /**
   * The worst peer at a temperature that churn may take (not a local root, whose group keeps its own
   * valency, nor a trusted peer), or `undefined`.
   */
  worst(temperature: "warm" | "hot"): PeerRecord | undefined {
    return this.at(temperature).filter((r) => {
      const role = this.role(r.peer)
      return role.group === undefined && !role.trustable
    }).sort(this.worstOrder)[0]
  }

  /**
   * Compares the set with the targets and says what to do now. Each local root group first: promote
   * its best warm peers while fewer than `hotValency` are hot (demote the worst over it), dial its
   * best cold peers while fewer than `warmValency` are established (drop the worst warm ones over
   * it). Then the other peers against the overall targets (which count every peer): dial cold peers
   * whose backoff is over while established peers are too few, promote the best warm peers while
   * hot ones are too few, demote the worst hot ones and drop the worst warm ones when over target;
   * forget the worst discovered cold peers when too many are known.
   */
  govern(now: number): Array<GovernorAction> {
    const actions: Array<GovernorAction> = []
    this.syncRoots(now, actions)
    const counts = this.counts(now)
    const promoted = new Set<PeerId>()
    let hot = counts.hot
    let established = counts.warm + counts.hot + counts.connecting
    let connected = counts.warm + counts.hot
    // peers no root names any more, on their way out
    for (const a of actions) {
      const r = a._tag === "Disconnect" ? this.records.get(a.peer) : undefined
      if (r === undefined) continue
      established--
      if (r.temperature === "hot") hot--
      if (r.temperature === "warm" || r.temperature === "hot") connected--
    }
    // local root groups, each on its own valency
    const groups = this.rootsSeen?.localRoots ?? []
    const members: Array<Array<PeerRecord>> = groups.map(() => [])
    for (const r of this.records.values()) {
      const group = this.role(r.peer).group
      if (group !== undefined && r.temperature !== "banned") members[group]!.push(r)
    }
    groups.forEach((g, i) => {
      const mine = members[i]!
      const hotOnes = mine.filter((r) => r.temperature === "hot")
      const warmOnes = mine.filter((r) => r.temperature === "warm")
      const groupHot = hotOnes.length
      if (groupHot < g.hotValency) {
        const best = warmOnes.filter((r) => r.holdUntil <= now).sort(this.candidateOrder).slice(0, g.hotValency - groupHot)
        for (const r of best) {
          actions.push({ _tag: "Promote", peer: r.peer })
          promoted.add(r.peer)
        }
        hot += best.length
      } else if (groupHot > g.hotValency) {
        for (const r of hotOnes.sort(this.worstOrder).slice(0, groupHot - g.hotValency)) {
          actions.push({ _tag: "Demote", peer: r.peer, reason: "over its local root group's hot valency" })
          hot--
        }
      }
      const pending = mine.filter((r) => r.temperature === "cold" && r.phase !== "idle").length
      const groupEstablished = hotOnes.length + warmOnes.length + pending
      if (groupEstablished < g.warmValency) {
        const cold = mine.filter((r) => r.temperature === "cold" && r.phase === "idle" && r.retryAt <= now)
          .sort(this.candidateOrder).slice(0, g.warmValency - groupEstablished)
        for (const r of cold) actions.push({ _tag: "Connect", peer: r.peer })
        established += cold.length
      } else if (hotOnes.length + warmOnes.length > g.warmValency) {
        const spare = warmOnes.filter((r) => !promoted.has(r.peer)).sort(this.worstOrder)
        for (const r of spare.slice(0, hotOnes.length + warmOnes.length - g.warmValency)) {
          actions.push({ _tag: "Disconnect", peer: r.peer, reason: "over its local root group's warm valency" })
          established--
          connected--
        }
      }
    })
    // the other peers, against the overall targets
    const free = (r: PeerRecord) => this.role(r.peer).group === undefined
    if (hot < this.targets.active) {
      const warm = this.at("warm").filter((r) => free(r) && r.holdUntil <= now).sort(this.candidateOrder)
      for (const r of warm.slice(0, this.targets.active - hot)) {
        actions.push({ _tag: "Promote", peer: r.peer })
        promoted.add(r.peer)
      }
    } else if (hot > this.targets.active) {
      const hotOnes = this.at("hot").filter(free).sort(this.worstOrder)
      for (const r of hotOnes.slice(0, hot - this.targets.active)) {
        actions.push({ _tag: "Demote", peer: r.peer, reason: "over the active target" })
      }
    }
    // established (warm + hot + dials in flight)
    if (established < this.targets.established) {
      const cold = this.at("cold").filter((r) => free(r) && r.phase === "idle" && r.retryAt <= now).sort(this.candidateOrder)
      for (const r of cold.slice(0, this.targets.established - established)) {
        actions.push({ _tag: "Connect", peer: r.peer })
      }
    } else if (connected > this.targets.established) {
      const warm = this.at("warm").filter((r) => free(r) && !promoted.has(r.peer)).sort(this.worstOrder)
      for (const r of warm.slice(0, connected - this.targets.established)) {
        actions.push({ _tag: "Disconnect", peer: r.peer, reason: "over the established target" })
      }
    }
    // known
    const forgettable = this.at("cold")
      .filter((r) => r.phase === "idle" && r.source === "discovered" && !this.roles.has(r.peer))
      .sort((a, b) => b.failures - a.failures || b.order - a.order)
    let excess = counts.known - this.targets.known
    for (const r of forgettable) {
      if (r.failures >= this.backoff.forgetAfter) {
        actions.push({ _tag: "Forget", peer: r.peer })
        excess--
      } else if (excess > 0) {
        actions.push({ _tag: "Forget", peer: r.peer })
        excess--
      }
    }
    return actions
  }

  /**
   * Churn: when cold peers could take its place, the worst hot peer goes back to warm and the worst
   * warm peer is disconnected, so the governor brings fresh ones in.
   */
  churn(now: number): Array<GovernorAction> {
    const counts = this.counts(now)
    const actions: Array<GovernorAction> = []
    const spareCold = this.at("cold").some((r) => r.phase === "idle" && r.retryAt <= now)
    const worstHot = this.worst("hot")
    if (worstHot !== undefined && (counts.warm > 0 || spareCold) && counts.hot >= this.targets.active) {
      actions.push({ _tag: "Demote", peer: worstHot.peer, reason: "churn" })
    }
    const worstWarm = this.worst("warm")
    if (worstWarm !== undefined && spareCold && counts.warm + counts.hot >= this.targets.established) {
      actions.push({ _tag: "Disconnect", peer: worstWarm.peer, reason: "churn" })
    }
    return actions
  }
}
