/**
 * `src/main.ts` imported as a module (as tests and the lead's bin import it): nothing runs on import,
 * and `run` resolves a command line to its exit code with one line on stderr for a bad one.
 */
import { assert, describe, it } from "@effect/vitest"
import * as NodeServices from "@effect/platform-node/NodeServices"
import * as Effect from "effect/Effect"
import * as fs from "node:fs"
import * as path from "node:path"
import { cli, run, version } from "../src/main.ts"
import { root } from "./support/process.ts"

/** Runs `argv` in this process, capturing what it writes on stderr. */
const capture = (argv: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    const lines: Array<string> = []
    const write = process.stderr.write
    process.stderr.write = ((chunk: string | Uint8Array) => {
      lines.push(String(chunk))
      return true
    }) as typeof process.stderr.write
    const code = yield* run(argv).pipe(
      Effect.provide(NodeServices.layer),
      Effect.ensuring(Effect.sync(() => (process.stderr.write = write)))
    )
    return { code, err: lines.join("") }
  })

describe("network2 main module", () => {
  it("exports the root command and the package's version without running anything", () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(root, "packages/cli/package.json"), "utf8")) as { version: string }
    assert.strictEqual(version, pkg.version)
    assert.strictEqual(cli.name, "network2")
    assert.deepStrictEqual(
      cli.subcommands.flatMap((g) => g.commands.map((c) => c.name)),
      ["demo", "serve", "relay", "handshake", "follow", "fetch", "query", "submit-tx", "mempool", "decode"]
    )
  })

  it.live("run: a bad value or an unknown subcommand is exit code 2 and one line", () =>
    Effect.gen(function*() {
      const bad = yield* capture(["handshake", "127.0.0.1:1", "--timeout", "soon"])
      assert.strictEqual(bad.code, 2)
      assert.strictEqual(
        bad.err,
        `network2 handshake: Invalid value for flag --timeout: "soon". Expected: a duration like 20s, 500ms or 1m (see network2 handshake --help)\n`
      )
      const unknown = yield* capture(["sync"])
      assert.strictEqual(unknown.code, 2)
      assert.strictEqual(unknown.err.split("\n").length, 2)
      const peer = yield* capture(["follow", "localhost"])
      assert.strictEqual(peer.code, 2)
      assert.match(peer.err, /^network2 follow: Invalid value for argument <peer>: "localhost"\. Expected: a HOST:PORT address/)
    }))
})
