/**
 * Which peers a responder shares when asked (peer-sharing): configured addresses first, then the
 * peers that connected to it and said they also accept connections (not initiator-only), never the
 * asker itself, at most the amount asked for and at most the configured cap.
 *
 * @internal
 */
import { PeerId } from "../../Primitives.ts"
import type * as PeerSharing from "../../protocol/PeerSharing.ts"

/** One candidate: its address and whether it may be shared. */
export interface Candidate {
  readonly peer: PeerId
  readonly shareable: boolean
}

/** The peers to share with `asker`, in order, without duplicates. */
export const selectPeers = (options: {
  readonly asker: PeerId
  readonly amount: number
  readonly cap: number
  readonly configured: ReadonlyArray<PeerId>
  readonly connected: Iterable<Candidate>
}): Array<PeerId> => {
  const limit = Math.max(0, Math.min(options.amount, options.cap))
  const out: Array<PeerId> = []
  const seen = new Set<string>([options.asker])
  const take = (peer: PeerId) => {
    if (out.length >= limit || seen.has(peer)) return
    seen.add(peer)
    out.push(peer)
  }
  for (const peer of options.configured) take(peer)
  for (const candidate of options.connected) if (candidate.shareable) take(candidate.peer)
  return out
}

/** An IPv4 dotted quad as four bytes, or `undefined`. */
export const parseIpv4 = (host: string): readonly [number, number, number, number] | undefined => {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host)
  if (m === null) return undefined
  const parts = [Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4])] as const
  return parts.every((p) => p <= 255) ? parts : undefined
}

/** The host and port of a TCP peer id, or `undefined` for a Unix peer. */
export const tcpAddress = (peer: PeerId): { readonly host: string; readonly port: number } | undefined => {
  const address = PeerId.parse(peer)
  return address !== undefined && address._tag === "Tcp" ? { host: address.host, port: address.port } : undefined
}

/** A peer id as a shared address (IPv4 TCP peers only; others cannot be shared), or `undefined`. */
export const sharedAddress = (peer: PeerId): PeerSharing.PeerAddress | undefined => {
  const a = tcpAddress(peer)
  return a === undefined || parseIpv4(a.host) === undefined ? undefined : { _tag: "IPv4", ip: a.host, port: a.port }
}

/** A shared address as a peer id. */
export const peerOfAddress = (address: PeerSharing.PeerAddress): PeerId => PeerId.tcp(address.ip, address.port)
