/**
 * The `network2` commands as a user runs them: processes on 127.0.0.1.
 */
import { assert, describe, it } from "@effect/vitest"
import { Block, GeneratedChain } from "@pallas-network2/core"
import * as Effect from "effect/Effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { Point } from "@pallas-network2/core/protocol/Common"
import * as net from "node:net"
import { freePort, root, run, serve } from "./support/process.ts"


/** Runs `network2 args`: it exits 0 and prints each of `expected`. */
const succeeds = (args: ReadonlyArray<string>, ...expected: ReadonlyArray<string>) =>
  Effect.tap(run(args), (r) =>
    Effect.sync(() => {
      assert.strictEqual(r.code, 0, r.err)
      for (const text of expected) assert.include(r.out, text)
    }))

describe("network2 command line (effect/cli)", () => {
  it.live("--version prints the version of packages/cli/package.json", () =>
    Effect.gen(function*() {
      const pkg = JSON.parse(fs.readFileSync(path.join(root, "packages/cli/package.json"), "utf8")) as { version: string }
      const r = yield* run(["--version"])
      assert.strictEqual(r.code, 0, r.err)
      assert.strictEqual(r.out, `network2 ${pkg.version}\n`)
    }), 30_000)

  it.live("--help of a subcommand lists its flags; --completions prints a script", () =>
    Effect.gen(function*() {
      yield* succeeds(["fetch", "--help"], "--from SLOT.HASH", "--to SLOT.HASH", "--out FILE", "--magic", "--timeout DURATION", "--json", "network2 fetch")
      yield* succeeds(["--completions", "bash"], "network2", "handshake")
    }), 30_000)

  it.live("a bad flag value, an unknown flag or a missing argument: one line on stderr, exit 2", () =>
    Effect.gen(function*() {
      const cases: ReadonlyArray<readonly [ReadonlyArray<string>, RegExp]> = [
        [["follow", "127.0.0.1:3001", "--limit", "x"], /^network2 follow: Invalid value for flag --limit: "x"/],
        [["fetch", "127.0.0.1:3001", "--from", "nope", "--to", "1.ab"], /^network2 fetch: Invalid value for flag --from: "nope"/],
        [["serve", "--bogus"], /^network2 serve: Unrecognized flag: --bogus/],
        [["handshake"], /^network2 handshake: Missing required argument: peer/]
      ]
      for (const [args, line] of cases) {
        const r = yield* run(args)
        assert.strictEqual(r.code, 2, args.join(" "))
        assert.strictEqual(r.out, "", args.join(" "))
        assert.strictEqual(r.err.split("\n").filter((l) => l.length > 0).length, 1, r.err)
        assert.match(r.err, line)
        assert.notInclude(r.err, "    at ")
      }
    }), 60_000)

  it.live("serve on a port already in use: one line naming the address and the reason, exit 1", () =>
    Effect.gen(function*() {
      const busy = yield* Effect.acquireRelease(
        Effect.callback<net.Server>((resume) => {
          const s = net.createServer()
          s.listen(0, "127.0.0.1", () => resume(Effect.succeed(s)))
        }),
        (s) => Effect.callback<void>((resume) => void s.close(() => resume(Effect.void)))
      )
      const port = (busy.address() as net.AddressInfo).port
      const r = yield* run(["serve", "--port", String(port), "--magic", "2", "--blocks", "10"])
      assert.strictEqual(r.code, 1, r.err)
      const lines = r.err.split("\n").filter((l) => l.length > 0 && !/ (INFO|DEBUG) /.test(l))
      assert.deepStrictEqual(lines, [`network2 serve: cannot listen on 127.0.0.1:${port}: the address is in use (EADDRINUSE)`], r.err)
      assert.notInclude(r.err, "    at ")
      assert.notInclude(r.err, "internal error")
    }), 30_000)

  it.live("an unknown subcommand: one line, exit 2", () =>
    Effect.gen(function*() {
      const r = yield* run(["sync"])
      assert.strictEqual(r.code, 2)
      assert.strictEqual(r.err, `network2: Unknown subcommand "sync" for "network2" (see network2 --help)\n`)
    }), 30_000)
})

describe("network2 commands", () => {
  it.live("demo syncs the generated chain over TCP and exits 0 with an OK summary", () =>
    Effect.gen(function*() {
      yield* succeeds(["demo", "--blocks", "100"], "OK: 100 blocks", "every header links to the one before it and every block matches its header: yes")
    }), 60_000)

  it.live("handshake, follow and fetch against network2 serve", () =>
    Effect.gen(function*() {
      const port = yield* freePort
      yield* serve(["serve", "--port", String(port), "--magic", "2", "--blocks", "30"])
      const address = `127.0.0.1:${port}`
      yield* succeeds(["handshake", address, "--magic", "2"], "accepted node-to-node v16")
      const wrong = yield* run(["handshake", address, "--magic", "7", "--json"])
      assert.strictEqual(wrong.code, 1)
      assert.include(wrong.out, "magic")
      yield* succeeds(["follow", address, "--magic", "2", "--from", "origin", "--limit", "3", "--json"])
      // the same generated chain the server made (same seed and size)
      const blocks = GeneratedChain.generate({ blocks: 30 })
      const outFile = path.join(os.tmpdir(), `network2-fetch-${process.pid}.bin`)
      yield* succeeds(
        ["fetch", address, "--magic", "2", "--from", Point.toString(Block.pointOf(blocks[3]!)), "--to", Point.toString(Block.pointOf(blocks[9]!)), "--out", outFile],
        "fetched 7 blocks"
      )
      assert.isTrue(fs.readFileSync(outFile).equals(Buffer.concat(blocks.slice(3, 10).map((b) => b.bytes))))
      fs.rmSync(outFile)
    }), 60_000)

  it.live("serve --live: a follower receives each new block and sees the scheduled rollbacks", () =>
    Effect.gen(function*() {
      const port = yield* freePort
      yield* serve(["serve", "--port", String(port), "--magic", "2", "--blocks", "400", "--live", "--start", "10", "--block-time", "200ms", "--rollback-every", "4", "--rollback-depth", "2"])
      // from block 5 (below every live rollback: a roll-back past the intersection is a violation);
      // stopped once two scheduled rollbacks have arrived
      const from = Point.toString(Block.pointOf(GeneratedChain.generate({ blocks: 400 })[5]!))
      const rollbacks = (out: string) => out.split("\n").filter((l) => l.includes(`"rollBackward"`)).length
      const follow = yield* run(["follow", `127.0.0.1:${port}`, "--magic", "2", "--from", from, "--json"], { until: (out) => rollbacks(out) >= 3 })
      assert.isNull(follow.code, follow.err) // stopped by us, still following
      const lines = follow.out.trim().split("\n").map((l) => JSON.parse(l) as { event?: string })
      const kinds = lines.map((l) => l.event)
      // RollBackward to the intersection, the blocks after it, each new block, the scheduled rollbacks
      assert.isAtLeast(kinds.filter((k) => k === "rollForward").length, 6, follow.out)
      assert.isAtLeast(kinds.filter((k) => k === "rollBackward").length, 3, follow.out)
      assert.notInclude(follow.out, "banned", follow.out)
    }), 60_000)
})
