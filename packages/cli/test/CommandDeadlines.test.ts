/**
 * Every `network2` command that talks to a peer ends, or says what it waits for (issue 17, item 6):
 * each run as a process against a tiny `node:net` server on 127.0.0.1 that stays silent or misbehaves,
 * with short deadlines given by flags.
 */
import { assert, describe, it } from "@effect/vitest"
import { Protocols, Segment } from "@pallas-network2/core"
import * as Effect from "effect/Effect"
import * as net from "node:net"
import { freePort, run } from "./support/process.ts"

/** A server on a free 127.0.0.1 port; `onData` answers what a client sends (or nothing). Closed with the scope. */
const server = (onData: (socket: net.Socket, bytes: Buffer) => void = () => {}) =>
  Effect.acquireRelease(
    Effect.callback<net.Server>((resume) => {
      const sockets = new Set<net.Socket>()
      const s = net.createServer((socket) => {
        sockets.add(socket)
        socket.on("error", () => {})
        socket.on("close", () => sockets.delete(socket))
        socket.on("data", (bytes) => onData(socket, bytes))
      })
      s.on("close", () => sockets.forEach((k) => k.destroy()))
      ;(s as net.Server & { sockets?: Set<net.Socket> }).sockets = sockets
      s.listen(0, "127.0.0.1", () => resume(Effect.succeed(s)))
    }),
    (s) =>
      Effect.callback<void>((resume) => {
        ;(s as net.Server & { sockets?: Set<net.Socket> }).sockets?.forEach((k) => k.destroy())
        s.close(() => resume(Effect.void))
      })
  ).pipe(Effect.map((s) => `127.0.0.1:${(s.address() as net.AddressInfo).port}`))

/** `message` of `protocol` as the responder's segments. */
const segments = (protocol: Protocols.Handshake.Message) =>
  Buffer.concat(Segment.cut(Protocols.Handshake.protocol.encode(protocol), Protocols.Handshake.protocol.channel, true, 12_288, 0))

const lastLine = (text: string) => text.trim().split("\n").at(-1) ?? ""
const hash = "ab".repeat(32)

describe("network2 commands end or say what they wait for", () => {
  it.live("fetch --timeout against a silent peer: prints its attempts and exits 1 at the deadline", () =>
    Effect.gen(function*() {
      const address = yield* server()
      const r = yield* run(["fetch", address, "--from", `10.${hash}`, "--to", `20.${hash}`, "--timeout", "1500ms"])
      assert.strictEqual(r.code, 1, r.err)
      assert.include(r.err, `fetch: attempt 1: connecting to ${address}`)
      assert.match(
        lastLine(r.err),
        new RegExp(`^network2 fetch: no blocks from ${address} within 1\\.5 s after 1 attempt: waiting for the peer's handshake reply$`)
      )
      assert.strictEqual(r.out, "")
    }).pipe(Effect.scoped), 30_000)

  it.live("fetch: a peer nobody listens on shows each failed attempt and its retry, then the deadline", () =>
    Effect.gen(function*() {
      // a port that was free a moment ago: every dial is refused
      const closed = `127.0.0.1:${yield* freePort}`
      const r = yield* run(["fetch", closed, "--from", `10.${hash}`, "--to", `20.${hash}`, "--timeout", "2500ms"])
      assert.strictEqual(r.code, 1, r.err)
      assert.match(r.err, /fetch: attempt 1 failed: .*; attempt 2 in \d+ ms/)
      assert.match(lastLine(r.err), /^network2 fetch: no blocks from .* within 2\.5 s after [2-9] attempts: waiting for /)
    }).pipe(Effect.scoped), 30_000)

  it.live("follow: a peer that answers the handshake with garbage is banned; no peer left, exit 1", () =>
    Effect.gen(function*() {
      const address = yield* server((socket) => socket.write(Buffer.concat(Segment.cut(Uint8Array.of(0xff, 0xff), 0, true, 12_288, 0))))
      const r = yield* run(["follow", address, "--from", "origin"])
      assert.strictEqual(r.code, 1, r.err)
      assert.match(r.out, new RegExp(`${address} banned: `))
      assert.match(r.out, new RegExp(`no peer left: every peer is banned: ${address} \\(`))
      assert.match(lastLine(r.err), /^network2 follow: no peer left: every peer is banned \(.*\); --keep-trying waits for the bans to end$/)
      assert.isBelow(r.millis, 20_000)
    }).pipe(Effect.scoped), 30_000)

  it.live("follow --keep-trying: says when every peer is banned, when the ban ends and it retries, and keeps running", () =>
    Effect.gen(function*() {
      let connections = 0
      const address = yield* server((socket) => {
        connections++
        socket.write(Buffer.concat(Segment.cut(Uint8Array.of(0xff, 0xff), 0, true, 12_288, 0)))
      })
      const events = (out: string) =>
        out.split("\n").filter((l) => l.length > 0).map((l) => JSON.parse(l) as Record<string, unknown>)
      // banned for 1 s: no peer left, retrying, banned again, no peer left again; still running after that
      const r = yield* run(
        ["follow", address, "--keep-trying", "--ban-duration", "1s", "--json"],
        { until: (out) => events(out).filter((e) => e["event"] === "noPeerLeft").length >= 2, grace: 500 }
      )
      const kinds = events(r.out).map((e) => e["event"])
      assert.strictEqual(r.code, null, r.err) // stopped by us, not exited
      assert.deepStrictEqual(kinds.filter((k) => k !== "handshake"), ["PeerBanned", "noPeerLeft", "retrying", "PeerBanned", "noPeerLeft"])
      const notice = events(r.out).find((e) => e["event"] === "noPeerLeft")!
      assert.strictEqual(notice["keepTrying"], true)
      assert.strictEqual((notice["banned"] as Array<{ peer: string }>)[0]!.peer, address)
      assert.isAtLeast(connections, 2)
    }).pipe(Effect.scoped), 30_000)

  it.live("handshake: an unasked MsgQueryReply (no --query) exits 1 with a readable line", () =>
    Effect.gen(function*() {
      const table = Protocols.Handshake.n2nVersionTable({ magic: 764824073 })
      const address = yield* server((socket) => socket.write(segments(Protocols.Handshake.make.queryReply(table))))
      const r = yield* run(["handshake", address, "--timeout", "5s"])
      assert.strictEqual(r.code, 1, r.err)
      assert.strictEqual(
        lastLine(r.err),
        `network2 handshake: ${address}: the peer replied with its version table (MsgQueryReply), which we did not ask for (no --query)`
      )
      const json = yield* run(["handshake", address, "--json", "--timeout", "5s"])
      assert.strictEqual(json.code, 1)
      assert.deepStrictEqual(JSON.parse(json.out), {
        peer: address,
        ok: false,
        error: "the peer replied with its version table (MsgQueryReply), which we did not ask for (no --query)"
      })
      // asked for, the same reply is the answer
      const asked = yield* run(["handshake", address, "--query", "--timeout", "5s"])
      assert.strictEqual(asked.code, 0, asked.err)
      assert.include(asked.out, "supports 3 versions")
    }).pipe(Effect.scoped), 40_000)

  it.live("handshake --timeout against a silent peer exits 1 saying what it waited for", () =>
    Effect.gen(function*() {
      const address = yield* server()
      const r = yield* run(["handshake", address, "--timeout", "1s"])
      assert.strictEqual(r.code, 1, r.err)
      assert.strictEqual(lastLine(r.err), `network2 handshake: no answer from ${address} within 1 s (waited for its handshake reply)`)
    }).pipe(Effect.scoped), 30_000)
})
