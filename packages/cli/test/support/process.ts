/**
 * Shared by the tests that run `network2` as a child process: where the binary is, a free TCP port on
 * 127.0.0.1, running a command to its end (or until its output says enough), and starting a process
 * and waiting (with a deadline) for a line of its output.
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import * as cp from "node:child_process"
import * as net from "node:net"
import * as path from "node:path"
import { fileURLToPath } from "node:url"

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../..")
export const bin = path.join(root, "packages/cli/bin/network2.js")

/** A port nobody listens on right now (the OS picks it; the listener is closed again). */
export const freePort = Effect.callback<number>((resume) => {
  const s = net.createServer()
  s.listen(0, "127.0.0.1", () => {
    const port = (s.address() as net.AddressInfo).port
    s.close(() => resume(Effect.succeed(port)))
  })
})

/** A `network2 args` child with its stdout and stderr collected apart; `onOutput` is asked after each piece. */
export const startCollecting = (
  args: ReadonlyArray<string>,
  options: { readonly env?: Record<string, string | undefined>; readonly onOutput?: (out: string, err: string) => void } = {}
) => {
  const child = cp.spawn(process.execPath, [bin, ...args], { cwd: root, env: { ...process.env, ...options.env } })
  let out = ""
  let err = ""
  child.stdout.on("data", (d) => {
    out += d.toString()
    options.onOutput?.(out, err)
  })
  child.stderr.on("data", (d) => {
    err += d.toString()
    options.onOutput?.(out, err)
  })
  return { child, out: () => out, err: () => err }
}

/** How a command run to its end went. */
export interface Run {
  readonly code: number | null
  readonly out: string
  readonly err: string
  readonly millis: number
}

/**
 * Runs `network2 args` to its end. `until`, when given, is asked after each piece of output whether to
 * stop: the process is then killed `grace` ms later if it is still running; it is killed in any case
 * after `killAfter` ms (its code is then null).
 */
export const run = (
  args: ReadonlyArray<string>,
  options: {
    readonly env?: Record<string, string | undefined>
    readonly until?: (out: string, err: string) => boolean
    readonly grace?: number
    readonly killAfter?: number
  } = {}
): Effect.Effect<Run> =>
  Effect.callback<Run>((resume) => {
    const started = performance.now()
    let stopping = false
    const { child, err, out } = startCollecting(args, {
      ...(options.env === undefined ? {} : { env: options.env }),
      onOutput: (o, e) => {
        if (stopping || options.until?.(o, e) !== true) return
        stopping = true
        setTimeout(() => child.kill("SIGKILL"), options.grace ?? 0)
      }
    })
    const killer = setTimeout(() => child.kill("SIGKILL"), options.killAfter ?? 60_000)
    child.once("close", (code) => {
      clearTimeout(killer)
      resume(Effect.succeed({ code, out: out(), err: err(), millis: performance.now() - started }))
    })
    return Effect.sync(() => child.kill("SIGKILL"))
  })

/** A `network2` process: its output so far (stdout and stderr, in arrival order) and its exit. */
export interface Network2Process {
  readonly child: cp.ChildProcessWithoutNullStreams
  /** Everything it printed so far. */
  readonly log: () => string
  /** Its exit code (`null` when killed by a signal), once it has exited. */
  readonly exited: Effect.Effect<number | null>
}

/** Starts `network2 <args>` in the current scope; it is killed (SIGKILL) when the scope closes. */
export const spawn = (args: ReadonlyArray<string>): Effect.Effect<Network2Process, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.sync(() => {
      const child = cp.spawn(process.execPath, [bin, ...args], { cwd: root })
      let log = ""
      child.stdout.on("data", (d) => (log += d.toString()))
      child.stderr.on("data", (d) => (log += d.toString()))
      const exited = Effect.callback<number | null>((resume) => {
        if (child.exitCode !== null || child.signalCode !== null) return resume(Effect.succeed(child.exitCode))
        child.once("exit", (code) => resume(Effect.succeed(code)))
      })
      return { child, log: () => log, exited }
    }),
    ({ child }) => Effect.sync(() => child.kill("SIGKILL"))
  )

/**
 * Waits until the process has printed `text` (checked on each piece of output, not by polling).
 * Fails, with the output so far, when the process exits first or `within` passes.
 */
export const waitForOutput = (
  proc: Network2Process,
  text: string | RegExp,
  within: Duration.Input = "20 seconds"
): Effect.Effect<void, Error> => {
  const seen = () => typeof text === "string" ? proc.log().includes(text) : text.test(proc.log())
  return Effect.callback<void, Error>((resume) => {
    const check = () => {
      if (seen()) {
        done()
        resume(Effect.void)
      }
    }
    const exit = (code: number | null) => {
      done()
      resume(Effect.fail(new Error(`network2 exited (${code}) before printing ${String(text)}:\n${proc.log()}`)))
    }
    const done = () => {
      proc.child.stdout.off("data", check)
      proc.child.stderr.off("data", check)
      proc.child.off("exit", exit)
    }
    proc.child.stdout.on("data", check)
    proc.child.stderr.on("data", check)
    proc.child.once("exit", exit)
    check()
    return Effect.sync(done)
  }).pipe(
    Effect.timeoutOrElse({
      duration: within,
      orElse: () =>
        Effect.fail(new Error(`no ${String(text)} from network2 within ${Duration.format(Duration.fromInputUnsafe(within))}:\n${proc.log()}`))
    })
  )
}

/** Starts `network2 <args>` (a `serve`) and waits, at most `within`, until it says it is listening. */
export const serve = (args: ReadonlyArray<string>, within: Duration.Input = "20 seconds") =>
  Effect.tap(spawn(args), (proc) => waitForOutput(proc, "listening on", within))
