/**
 * Shared by the node-to-client process tests: a temporary directory, `network2 ARGS` run to its end,
 * and `network2 serve --socket-path` as a process.
 */
import * as Effect from "effect/Effect"
import * as cp from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { bin, root, run as runToEnd } from "./process.ts"

export const tempDir = Effect.acquireRelease(
  Effect.sync(() => fs.mkdtempSync(path.join(os.tmpdir(), "n2c-cli-"))),
  (dir) => Effect.sync(() => fs.rmSync(dir, { recursive: true, force: true }))
)

/** Runs `network2 args` to its end (killed after 60 s: its code is then null), with no socket path in the environment unless given. */
export const run = (args: ReadonlyArray<string>, env: Record<string, string | undefined> = {}) =>
  runToEnd(args, { env: { CARDANO_NODE_SOCKET_PATH: "", ...env } })

/**
 * `network2 serve --socket-path P ...` as a process, ready when it logs that it listens; on scope
 * close SIGINT, and the process must exit 0 and remove its socket.
 */
export const serveProcess = (socketPath: string, args: ReadonlyArray<string>, magic = 42) =>
  Effect.acquireRelease(
    Effect.callback<{ child: cp.ChildProcess; log: () => string }>((resume) => {
      const child = cp.spawn(process.execPath, [bin, "serve", "--socket-path", socketPath, "--magic", String(magic), ...args], { cwd: root })
      let err = ""
      let ready = false
      child.stderr!.on("data", (d) => {
        err += d.toString()
        if (!ready && err.includes("listening on")) {
          ready = true
          resume(Effect.succeed({ child, log: () => err }))
        }
      })
      child.once("close", (code) => {
        if (!ready) resume(Effect.die(new Error(`serve exited ${code}: ${err}`)))
      })
    }),
    ({ child }) =>
      Effect.callback<void>((resume) => {
        if (child.exitCode !== null) return resume(Effect.void)
        child.once("close", () => resume(Effect.void))
        child.kill("SIGINT")
      })
  )

