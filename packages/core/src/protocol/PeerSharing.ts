/**
 * Peer-sharing (node-to-node, mini-protocol 10, only when both sides negotiated it): the client asks
 * for up to `amount` peer addresses, the server answers with some it knows.
 *
 * Address byte order follows the reference codec: an IPv4 address is the word32 that holds its four
 * bytes in network order on a little-endian host (1.2.3.4 is 0x04030201); an IPv6 address is four
 * word32 values, each the big-endian value of its 4 bytes (2001:db8::1 is 0x20010db8, 0, 0, 1).
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"
import type * as Cbor from "../cbor/Cbor.ts"
import * as C from "./internal/codec.ts"
import * as M from "./internal/messages.ts"

/**
 * A shared peer address.
 *
 * @category schemas
 * @since 0.1.0
 */
export const PeerAddressSchema = Schema.Union([
  Schema.TaggedStruct("IPv4", { ip: Schema.String, port: Schema.Number }),
  Schema.TaggedStruct("IPv6", { ip: Schema.String, port: Schema.Number })
])
/**
 * A shared peer address.
 *
 * @category models
 * @since 0.1.0
 */
export type PeerAddress = typeof PeerAddressSchema.Type

const ipv4ToWord = (ip: string): number => {
  const b = ip.split(".").map(Number)
  return ((b[3]! << 24) | (b[2]! << 16) | (b[1]! << 8) | b[0]!) >>> 0
}
const wordToIpv4 = (w: number): string => [w & 0xff, (w >>> 8) & 0xff, (w >>> 16) & 0xff, w >>> 24].join(".")

const ipv6ToWords = (ip: string): Array<number> => {
  const [head, tail] = ip.includes("::") ? ip.split("::") : [ip, undefined]
  const h = head === "" ? [] : head!.split(":")
  const t = tail === undefined || tail === "" ? [] : tail.split(":")
  const groups = [...h, ...Array(8 - h.length - t.length).fill("0"), ...t].map((g) => parseInt(g, 16))
  return [0, 1, 2, 3].map((i) => ((groups[2 * i]! << 16) | groups[2 * i + 1]!) >>> 0)
}
const wordsToIpv6 = (words: ReadonlyArray<number>): string => {
  const groups = words.flatMap((w) => [w >>> 16, w & 0xffff])
  // shorten the longest run of zero groups
  let best = -1, bestLen = 0
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++
      continue
    }
    let j = i
    while (j < 8 && groups[j] === 0) j++
    if (j - i > bestLen && j - i > 1) {
      best = i
      bestLen = j - i
    }
    i = j
  }
  const hex = groups.map((g) => g.toString(16))
  return best < 0 ? hex.join(":") : `${hex.slice(0, best).join(":")}::${hex.slice(best + bestLen).join(":")}`
}

/**
 * Codec of one address (the v11-12 IPv6 form with flow info and scope id is read, never written).
 *
 * @category encoding
 * @since 0.1.0
 */
export const PeerAddressCodec = {
  toCbor: (a: PeerAddress): Cbor.Value =>
    a._tag === "IPv4" ? [0, ipv4ToWord(a.ip), a.port] : [1, ...ipv6ToWords(a.ip), a.port],
  fromCbor: (v: Cbor.Value): PeerAddress => {
    const a = C.array(v, "peer address")
    const kind = C.uint(a[0]!, "address kind", 1)
    if (kind === 0) {
      C.arrayOf(v, 3, "IPv4 address")
      return { _tag: "IPv4", ip: wordToIpv4(C.uint(a[1]!, "IPv4", 0xffffffff)), port: C.uint(a[2]!, "port", 0xffff) }
    }
    if (a.length !== 6 && a.length !== 8) C.fail("IPv6 address: expected 6 (or legacy 8) elements")
    const words = [1, 2, 3, 4].map((i) => C.uint(a[i]!, "IPv6 word", 0xffffffff))
    return { _tag: "IPv6", ip: wordsToIpv6(words), port: C.uint(a[a.length - 1]!, "port", 0xffff) }
  }
} as const

const peerSharing = M.protocol({
  name: "peer-sharing",
  channel: 10,
  ingressLimit: 5_760,
  maxInFlight: 1,
  messages: [
    M.msg(0, "MsgShareRequest", "shareRequest", [["amount", M.F.uint("amount", 0xff)]]),
    M.msg(1, "MsgSharePeers", "sharePeers", [[
      "peers",
      M.F.list(PeerAddressSchema, "peers", PeerAddressCodec, (a) => ({ ip: a.ip, port: a.port }))
    ]]),
    M.msg(2, "MsgDone", "done", [])
  ],
  initialState: "Idle",
  states: {
    Idle: { agency: "client", byteLimit: 5_760 },
    Busy: { agency: "server", byteLimit: 5_760, timeout: 60_000 },
    Done: "nobody"
  },
  transitions: {
    Idle: { MsgShareRequest: "Busy", MsgDone: "Done" },
    Busy: { MsgSharePeers: "Idle" }
  }
})

/**
 * The peer-sharing messages, a Schema each:
 * - `MsgShareRequest`, client: asks for up to `amount` peer addresses. `[0, amount]`.
 * - `MsgSharePeers`, server: the addresses it shares, at most the amount asked. `[1, [*peerAddress]]`.
 * - `MsgDone`, client: ends the protocol. `[2]`.
 *
 * @category schemas
 * @since 0.1.0
 */
export const { MsgShareRequest, MsgSharePeers, MsgDone } = peerSharing.schemas

/**
 * The peer-sharing protocol (channel 10; 5 760-byte limits, 60 s to answer) and its messages:
 * `MessageSchema` (every message), `make` (their constructors), `codec` (the exact CBOR codec) and
 * `toJson` (the JSON form the CLI prints).
 *
 * @category protocols
 * @since 0.1.0
 */
export const { protocol, MessageSchema, make, codec, toJson } = peerSharing

/**
 * A peer-sharing message.
 *
 * @category models
 * @since 0.1.0
 */
export type Message = typeof MessageSchema.Type
