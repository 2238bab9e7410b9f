/**
 * The packages as an application gets them: `npm pack` the three workspaces, install the tarballs in a
 * new directory outside the workspace (its own package.json; `effect` and every other dependency from the
 * registry, nothing linked), then
 * - compile the README's Effect example there with `tsc --strict` (`nodenext`, `skipLibCheck` off) and
 *   run it with Node against `network2 serve` started from the packed CLI;
 * - run a plain JavaScript (ESM) consumer that does a handshake with the same server;
 * - check what a tarball holds and what its `exports` let through.
 * Fails when a type, an export or a runtime file is missing from a tarball.
 */
import { assert, describe, it } from "@effect/vitest"
import { afterAll, beforeAll } from "vitest"
import * as cp from "node:child_process"
import * as fs from "node:fs"
import * as net from "node:net"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..")
const fixtures = path.join(root, "consumer/fixtures")
const packages = ["core", "node", "cli"] as const
const MAINNET = 764824073

/** The environment of every process here: without the workspace's source condition (see .npmrc). */
const env = (): NodeJS.ProcessEnv => {
  const e = { ...process.env }
  delete e.NODE_OPTIONS
  delete e.npm_config_node_options
  return e
}

const run = (command: string, args: ReadonlyArray<string>, cwd: string, timeoutMs = 240_000) => {
  const r = cp.spawnSync(command, args, { cwd, env: env(), encoding: "utf8", timeout: timeoutMs, maxBuffer: 64 * 2 ** 20 })
  return { code: r.status, out: r.stdout ?? "", err: (r.stderr ?? "") + (r.error ? String(r.error) : "") }
}

const must = (what: string, r: { code: number | null; out: string; err: string }) => {
  if (r.code !== 0) throw new Error(`${what} exited ${r.code}\n${r.out}\n${r.err}`)
  return r
}

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = net.createServer()
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as net.AddressInfo).port
      s.close(() => resolve(port))
    })
  })

const node = process.execPath
const npm = path.join(path.dirname(node), "npm")
const npmCli = fs.existsSync(npm) ? npm : "npm"

let dir = ""
let tarballs: Record<string, string> = {}
let server: cp.ChildProcess | undefined
let port = 0

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "network2-consumer-"))
  const packDir = path.join(dir, "tarballs")
  fs.mkdirSync(packDir)
  must("npm run build", run("npm", ["run", "build"], root))
  const packed = must(
    "npm pack",
    run("npm", ["pack", "--json", "--pack-destination", packDir, ...packages.flatMap((p) => ["-w", `packages/${p}`])], root)
  )
  const list = JSON.parse(packed.out) as Array<{ name: string; filename: string; files: Array<{ path: string }> }>
  tarballs = Object.fromEntries(list.map((t) => [t.name, path.join(packDir, t.filename)]))
  fs.writeFileSync(path.join(dir, "pack.json"), JSON.stringify(list.map((t) => ({ name: t.name, files: t.files.map((f) => f.path) }))))
  const app = path.join(dir, "app")
  fs.mkdirSync(app)
  fs.writeFileSync(
    path.join(app, "package.json"),
    JSON.stringify({
      name: "network2-consumer",
      private: true,
      type: "module",
      dependencies: Object.fromEntries(Object.entries(tarballs).map(([name, file]) => [name, `file:${file}`])),
      devDependencies: { typescript: "7.0.2", "@types/node": "22.20.5" }
    }, null, 2)
  )
  must("npm install", run(npmCli, ["install", "--no-audit", "--no-fund", "--no-package-lock"], app))
  fs.copyFileSync(path.join(root, "packages/cli/src/examples/ReadmeExample.ts"), path.join(app, "example.ts"))
  for (const f of ["run-example.ts", "tsconfig.json", "handshake.mjs"]) fs.copyFileSync(path.join(fixtures, f), path.join(app, f))
  port = await freePort()
  const bin = path.join(app, "node_modules/@pallas-network2/cli/bin/network2.js")
  server = cp.spawn(node, [bin, "serve", "--host", "127.0.0.1", "--port", String(port), "--blocks", "20"], { cwd: app, env: env() })
  let log = ""
  server.stdout!.on("data", (d) => (log += d))
  server.stderr!.on("data", (d) => (log += d))
  const started = Date.now()
  while (!log.includes("listening on")) {
    if (server.exitCode !== null || Date.now() - started > 30_000) throw new Error(`network2 serve did not start:\n${log}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}, 600_000)

afterAll(() => {
  server?.kill("SIGINT")
  if (dir !== "") fs.rmSync(dir, { recursive: true, force: true })
})

describe("an application installing the packed packages", () => {
  it("each tarball holds built JavaScript, declarations and maps, and no tests", () => {
    const list = JSON.parse(fs.readFileSync(path.join(dir, "pack.json"), "utf8")) as Array<{ name: string; files: Array<string> }>
    assert.deepStrictEqual(list.map((t) => t.name).sort(), ["@pallas-network2/cli", "@pallas-network2/core", "@pallas-network2/node"])
    for (const t of list) {
      const entry = t.name === "@pallas-network2/cli" ? "main" : "index"
      const needed = [`dist/${entry}.js`, `dist/${entry}.d.ts`, `dist/${entry}.d.ts.map`, `dist/${entry}.js.map`, "package.json", "README.md", "LICENSE"]
      for (const f of t.name === "@pallas-network2/cli" ? [...needed, "bin/network2.js"] : needed) {
        assert.include(t.files, f, `${t.name} lacks ${f}`)
      }
      assert.isFalse(t.files.some((f) => f.startsWith("test/") || f.endsWith(".tsbuildinfo")), `${t.name} ships tests or build info`)
    }
  })

  it("the README example compiles with tsc --strict (nodenext, skipLibCheck off)", () => {
    const r = run(path.join(dir, "app/node_modules/.bin/tsc"), ["-p", "tsconfig.json"], path.join(dir, "app"))
    assert.strictEqual(r.code, 0, r.out + r.err)
    assert.isTrue(fs.existsSync(path.join(dir, "app/out/run-example.js")))
  })

  it("the compiled README example follows the packed CLI's server over TCP", () => {
    const r = must("node out/run-example.js", run(node, ["out/run-example.js", String(port)], path.join(dir, "app"), 60_000))
    assert.deepStrictEqual(JSON.parse(r.out.trim().split("\n").pop()!), [0, 1, 2, 3, 4])
  })

  it("a plain JavaScript consumer does a handshake", () => {
    const r = must("node handshake.mjs", run(node, ["handshake.mjs", String(port), String(MAINNET)], path.join(dir, "app"), 60_000))
    const outcome = JSON.parse(r.out.trim().split("\n").pop()!)
    assert.strictEqual(outcome.outcome, "Accepted")
    assert.isAtLeast(outcome.version, 14)
  })

  it("exports reach public modules and not internals", () => {
    const script = [
      "const ok = await import('@pallas-network2/core/protocol/ChainSync').then((m) => typeof m.protocol === 'object')",
      "const hidden = await import('@pallas-network2/core/behavior/internal/admission').then(() => 'reachable', (e) => e.code)",
      "const sub = await import('@pallas-network2/core/protocol').then((m) => typeof m.NodeToNode === 'object')",
      "console.log(JSON.stringify({ ok, hidden, sub }))"
    ].join("\n")
    const r = must("node --input-type=module", run(node, ["--input-type=module", "-e", script], path.join(dir, "app")))
    assert.deepStrictEqual(JSON.parse(r.out.trim()), { ok: true, hidden: "ERR_PACKAGE_PATH_NOT_EXPORTED", sub: true })
  })

  it("the packed CLI prints its version, and on an old Node says which Node it needs", () => {
    const bin = path.join(dir, "app/node_modules/@pallas-network2/cli/bin/network2.js")
    const version = JSON.parse(fs.readFileSync(path.join(dir, "app/node_modules/@pallas-network2/cli/package.json"), "utf8")).version
    const r = run(node, [bin, "--version"], path.join(dir, "app"), 30_000)
    assert.strictEqual(r.code, 0, r.err)
    assert.include(r.out, version)
    // as a user runs it: `npx network2` in the application's folder, on the pinned Node (first on PATH)
    const npx = cp.spawnSync(npmCli, ["exec", "--", "network2", "--version"], {
      cwd: path.join(dir, "app"),
      env: { ...env(), PATH: `${path.dirname(node)}${path.delimiter}${process.env.PATH ?? ""}` },
      encoding: "utf8",
      timeout: 60_000
    })
    assert.strictEqual(npx.status, 0, npx.stderr)
    assert.include(npx.stdout, version)
    // the machine's own Node, when it is older than 22.19 (CI machines have Node 20)
    const system = cp.spawnSync("/usr/bin/env", ["-i", "PATH=/usr/local/bin:/usr/bin:/bin", "node", "--version"], { encoding: "utf8" })
    const [major, minor] = (system.stdout ?? "").replace("v", "").split(".").map(Number)
    if (system.status === 0 && (major! < 22 || (major === 22 && minor! < 19))) {
      const old = cp.spawnSync("/usr/bin/env", ["-i", "PATH=/usr/local/bin:/usr/bin:/bin", "node", bin, "serve"], { encoding: "utf8" })
      assert.strictEqual(old.status, 1)
      assert.match(old.stderr, /^network2 needs Node\.js 22\.19 or newer \(this is Node\.js [\d.]+\)\n$/)
    }
  })
})
