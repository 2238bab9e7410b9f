/**
 * Inbound admission for the responder: hard and soft limits on connections, a per-IP limit, and bans
 * by IP (never IP and port, so a banned peer cannot come back from a new source port).
 *
 * @internal
 */
import { PeerId } from "../../Primitives.ts"

export interface AdmissionLimits {
  /** Above this many inbound connections a new one is refused. */
  readonly hardLimit: number
  /** Above this many, the least active connection is pruned to make room. */
  readonly softLimit: number
  /** At most this many connections from one IP. */
  readonly perIpLimit: number
  /** How long a ban lasts (ms). */
  readonly banDuration: number
}

export type Admission =
  | { readonly _tag: "Accept"; readonly prune: PeerId | undefined }
  | { readonly _tag: "Refuse"; readonly reason: string }

export class AdmissionControl {
  readonly limits: AdmissionLimits
  private readonly connected = new Map<PeerId, number>() // peer -> last activity (ms)
  private readonly perIp = new Map<string, number>()
  private readonly bans = new Map<string, { until: number; reason: string }>()

  constructor(limits: AdmissionLimits) {
    this.limits = limits
  }

  /** Decides on a new inbound connection at time `now` (ms); `busy` says which peers are working. */
  admit(peer: PeerId, now: number, busy: (peer: PeerId) => boolean): Admission {
    const ip = PeerId.host(peer)
    const ban = this.bans.get(ip)
    if (ban !== undefined) {
      if (ban.until > now) return { _tag: "Refuse", reason: `banned for ${Math.ceil((ban.until - now) / 1000)} s more: ${ban.reason}` }
      this.bans.delete(ip)
    }
    if (this.connected.size >= this.limits.hardLimit) {
      return { _tag: "Refuse", reason: `over the hard limit of ${this.limits.hardLimit} inbound connections` }
    }
    if ((this.perIp.get(ip) ?? 0) >= this.limits.perIpLimit) {
      return { _tag: "Refuse", reason: `over the limit of ${this.limits.perIpLimit} connections from ${ip}` }
    }
    let prune: PeerId | undefined
    if (this.connected.size >= this.limits.softLimit) {
      let oldest = Infinity
      for (const [p, last] of this.connected) {
        if (!busy(p) && last < oldest) {
          oldest = last
          prune = p
        }
      }
    }
    this.connected.set(peer, now)
    this.perIp.set(ip, (this.perIp.get(ip) ?? 0) + 1)
    return { _tag: "Accept", prune }
  }

  /** Notes activity from a peer (for pruning the least active). */
  touch(peer: PeerId, now: number): void {
    if (this.connected.has(peer)) this.connected.set(peer, now)
  }

  /** Forgets a connection that closed. */
  release(peer: PeerId): void {
    if (!this.connected.delete(peer)) return
    const ip = PeerId.host(peer)
    const n = (this.perIp.get(ip) ?? 1) - 1
    if (n <= 0) this.perIp.delete(ip)
    else this.perIp.set(ip, n)
  }

  /** Bans the IP of a peer. */
  ban(peer: PeerId, now: number, reason: string): void {
    this.bans.set(PeerId.host(peer), { until: now + this.limits.banDuration, reason })
  }

  isBanned(peer: PeerId, now: number): boolean {
    const ban = this.bans.get(PeerId.host(peer))
    return ban !== undefined && ban.until > now
  }

  get count(): number {
    return this.connected.size
  }
}
