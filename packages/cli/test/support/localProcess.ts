/**
 * Shared by the node-to-client process tests: a temporary directory, `network2 ARGS` run to its end,
 * and `network2 serve --socket-path` as a process (over the shared chunk, or as it is told).
 */
import { Block } from "@pallas-network2/core"
import * as Effect from "effect/Effect"
import * as cp from "node:child_process"
import * as fs from "node:fs"
import * as net from "node:net"
import * as os from "node:os"
import * as path from "node:path"
// core's test utilities are not part of its published exports (only src is): shared by relative path
import { vectorsDir } from "../../../core/test/utils/vectors.ts"
import { bin, root, run as runToEnd } from "./process.ts"

export const tempDir = Effect.acquireRelease(
  Effect.sync(() => fs.mkdtempSync(path.join(os.tmpdir(), "n2c-cli-"))),
  (dir) => Effect.sync(() => fs.rmSync(dir, { recursive: true, force: true }))
)

/** A temporary directory and the path of a socket `name` in it (gone with the scope). */
export const tempSocket = (name = "node.socket") => Effect.map(tempDir, (dir) => ({ dir, socketPath: path.join(dir, name) }))

/** A server listening on the Unix socket `socketPath`; closed with the scope, every connection destroyed. */
export const unixServer = (socketPath: string, onConnection: (socket: net.Socket) => void = () => {}) =>
  Effect.acquireRelease(
    Effect.callback<{ readonly server: net.Server; readonly held: Array<net.Socket> }>((resume) => {
      const held: Array<net.Socket> = []
      const server = net.createServer((socket) => {
        held.push(socket)
        socket.on("error", () => undefined)
        onConnection(socket)
      })
      server.listen(socketPath, () => resume(Effect.succeed({ server, held })))
    }),
    ({ held, server }) =>
      Effect.sync(() => {
        held.forEach((s) => s.destroy())
        server.close()
      })
  )

/** Runs `network2 args` to its end (killed after 60 s: its code is then null), with no socket path in the environment unless given. */
export const run = (args: ReadonlyArray<string>, env: Record<string, string | undefined> = {}) =>
  runToEnd(args, { env: { CARDANO_NODE_SOCKET_PATH: "", ...env } })

/**
 * `network2 serve --socket-path P ...` as a process, ready when it logs that it listens (within 30 s,
 * else it is killed and this dies); `stop` sends SIGINT and gives its exit code (0 when it closed
 * cleanly), as the scope's close does.
 */
export const serveProcess = (socketPath: string, args: ReadonlyArray<string>, magic = 42) =>
  Effect.acquireRelease(
    Effect.callback<{ child: cp.ChildProcess; log: () => string; stop: Effect.Effect<number | null> }>((resume) => {
      const child = cp.spawn(process.execPath, [bin, "serve", "--socket-path", socketPath, "--magic", String(magic), ...args], { cwd: root })
      let err = ""
      let ready = false
      const stop = Effect.callback<number | null>((done) => {
        if (child.exitCode !== null || child.signalCode !== null) return done(Effect.succeed(child.exitCode))
        child.once("close", (code) => done(Effect.succeed(code)))
        child.kill("SIGINT")
      })
      child.stderr!.on("data", (d) => {
        err += d.toString()
        if (!ready && err.includes("listening on")) {
          ready = true
          resume(Effect.succeed({ child, log: () => err, stop }))
        }
      })
      child.once("close", (code) => {
        if (!ready) resume(Effect.die(new Error(`serve exited ${code}: ${err}`)))
      })
      return Effect.sync(() => child.kill("SIGKILL"))
    }).pipe(
      Effect.timeoutOrElse({ duration: "30 seconds", orElse: () => Effect.die(new Error("serve --socket-path: no \"listening on\" within 30 s")) })
    ),
    ({ stop }) => Effect.asVoid(stop)
  )

/**
 * `network2 serve --socket-path` over the shared chunk of real blocks, its socket in a temporary
 * directory (both gone with the scope): the chunk's blocks (bytes and parsed) beside it.
 */
export const serveChunk = (magic = 42) =>
  Effect.gen(function*() {
    const { dir, socketPath } = yield* tempSocket()
    const chunkPath = path.join(vectorsDir, "chain", "01285.chunk")
    const chunkBytes = Block.splitChunk(new Uint8Array(fs.readFileSync(chunkPath)))
    const server = yield* serveProcess(socketPath, ["--chain", chunkPath], magic)
    return { dir, socketPath, chunkPath, chunkBytes, chunk: chunkBytes.map(Block.parse), server }
  })
