/**
 * The primitive vocabulary shared by every layer of the stack: who a peer is, which mini-protocol a
 * byte belongs to, and the wire limits of a segment.
 *
 * @since 0.1.0
 */
import * as Brand from "effect/Brand"

/**
 * A peer's address, written as text so it can key a `Map`: `host:port` for TCP (IPv6 hosts in
 * brackets, `[::1]:3001`) or `unix:/path/to/socket` for a Unix socket.
 *
 * @example
 * ```ts
 * import { PeerId } from "@pallas-network2/core"
 * const peer = PeerId.tcp("127.0.0.1", 3001) // "127.0.0.1:3001"
 * PeerId.parse("relay.example:3001") // { _tag: "Tcp", host: "relay.example", port: 3001 }
 * ```
 *
 * @category models
 * @since 0.1.0
 */
export type PeerId = string & Brand.Brand<"PeerId">

/**
 * The parsed form of a {@link PeerId}.
 *
 * @category models
 * @since 0.1.0
 */
export type PeerAddress =
  | { readonly _tag: "Tcp"; readonly host: string; readonly port: number }
  | { readonly _tag: "Unix"; readonly path: string }

/**
 * Constructors and parsers for {@link PeerId}.
 *
 * @category constructors
 * @since 0.1.0
 */
export const PeerId = {
  /** A TCP peer; IPv6 literals are bracketed. */
  tcp: (host: string, port: number): PeerId =>
    (host.includes(":") && !host.startsWith("[") ? `[${host}]:${port}` : `${host}:${port}`) as PeerId,
  /** A Unix-socket peer. */
  unix: (path: string): PeerId => `unix:${path}` as PeerId,
  /** Parses `host:port`, `[v6]:port` or `unix:/path`; `undefined` when the text is not an address. */
  parse: (text: string): PeerAddress | undefined => {
    if (text.startsWith("unix:")) {
      const path = text.slice(5)
      return path.length > 0 ? { _tag: "Unix", path } : undefined
    }
    const colon = text.lastIndexOf(":")
    if (colon <= 0) return undefined
    let host = text.slice(0, colon)
    const portText = text.slice(colon + 1)
    if (!/^\d{1,5}$/.test(portText)) return undefined
    const port = Number(portText)
    if (port > 65535) return undefined
    if (host.startsWith("[") && host.endsWith("]")) host = host.slice(1, -1)
    else if (host.includes(":")) return undefined
    if (host.length === 0) return undefined
    return { _tag: "Tcp", host, port }
  },
  /** Parses or throws nothing: returns the branded id of a valid address text, `undefined` otherwise. */
  fromString: (text: string): PeerId | undefined => {
    const address = PeerId.parse(text)
    if (address === undefined) return undefined
    return address._tag === "Unix" ? PeerId.unix(address.path) : PeerId.tcp(address.host, address.port)
  },
  /** The host part of a TCP peer (the path of a Unix peer): what per-IP limits and bans key on. */
  host: (peer: PeerId): string => {
    const address = PeerId.parse(peer)
    return address === undefined ? peer : address._tag === "Unix" ? address.path : address.host
  }
} as const

/**
 * A mini-protocol number (15 bits; the 16th bit of the segment header is the mode bit).
 *
 * @category models
 * @since 0.1.0
 */
export type Channel = number

/**
 * The bytes of one mini-protocol message, or of a piece of one.
 *
 * @category models
 * @since 0.1.0
 */
export type Payload = Uint8Array

/**
 * The largest payload one segment can carry: the header's length field is 16 bits.
 *
 * @category constants
 * @since 0.1.0
 */
export const MAX_SEGMENT_PAYLOAD_LENGTH = 65_535

/**
 * The segment size the reference socket bearer cuts at, for node-to-node and node-to-client alike.
 *
 * @category constants
 * @since 0.1.0
 */
export const DEFAULT_SDU_SIZE = 12_288

/**
 * Which side of a mini-protocol instance a message comes from. The initiator is the client of that
 * protocol (it dialled, or runs the client half on a duplex connection); the responder is the server.
 * On the wire the mode bit is 0 for the initiator and 1 (0x8000) for the responder.
 *
 * @category models
 * @since 0.1.0
 */
export type Role = "initiator" | "responder"

/**
 * Network magics of the public Cardano networks.
 *
 * @category constants
 * @since 0.1.0
 */
export const NetworkMagic = {
  mainnet: 764824073,
  preprod: 1,
  preview: 2
} as const
