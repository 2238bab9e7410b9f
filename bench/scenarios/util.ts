/**
 * Helpers shared by the scenarios: spawning a side process on the pinned Node and reading the port it
 * prints; asking a side process for its CPU time (`cpu` on its stdin, answered with one JSON line).
 */
import { sourceCondition } from "../sources.ts"
import * as cp from "node:child_process"
import * as path from "node:path"
import * as readline from "node:readline"
import * as Stream from "effect/Stream"
import { fileURLToPath } from "node:url"

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..")
export const shared = path.resolve(root, "..", "shared")
export const chunkPath = path.join(shared, "vectors", "chain", "01285.chunk")

/** Starts `node script args...` and resolves with the child and the first line it prints. */
export const spawnWithPort = (script: string, args: ReadonlyArray<string>, extraNodeArgs: ReadonlyArray<string> = []) =>
  new Promise<{ child: cp.ChildProcess; line: string }>((resolve, reject) => {
    const child = cp.spawn(process.execPath, [sourceCondition, ...extraNodeArgs, script, ...args], {
      stdio: ["pipe", "pipe", "inherit"],
      cwd: root
    })
    let buffer = ""
    const onData = (d: Buffer) => {
      buffer += d.toString()
      // lines of V8's traces (`[bailout ...`, when a probe passes `--log-deopt`) come before the port
      while (buffer.startsWith("[") && buffer.indexOf("\n") >= 0) buffer = buffer.slice(buffer.indexOf("\n") + 1)
      const nl = buffer.indexOf("\n")
      if (nl >= 0) {
        child.stdout!.off("data", onData)
        resolve({ child, line: buffer.slice(0, nl).trim() })
      }
    }
    child.stdout!.on("data", onData)
    child.once("error", reject)
    child.once("exit", (code) => {
      if (buffer.indexOf("\n") < 0) reject(new Error(`${script} exited with ${code} before printing its port`))
    })
  })

export const waitExit = (child: cp.ChildProcess) =>
  new Promise<number | null>((resolve) => {
    if (child.exitCode !== null) resolve(child.exitCode)
    else child.once("exit", (code) => resolve(code))
  })

/** Stops a child: `quit` on its stdin, or `signal`; SIGKILL when it has not exited 10 s later. */
export const stopChild = async (child: cp.ChildProcess, how: "quit" | NodeJS.Signals): Promise<void> => {
  if (how === "quit") child.stdin!.end("quit\n")
  else child.kill(how)
  const timer = setTimeout(() => child.kill("SIGKILL"), 10_000)
  await waitExit(child)
  clearTimeout(timer)
}

/** A side process's JSON line; a line `{"error": ...}` is thrown. */
export const json = (line: string): any => {
  const v = JSON.parse(line)
  if (v.error !== undefined) throw new Error(v.error)
  return v
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/**
 * A child `node <nodeArgs> script args` speaking lines on stdout: `next` resolves with the next line
 * (or fails when it exits or `timeoutMs` passes), `ask` writes a command line first. With
 * `stdout: "log"` its stdout is kept in the log instead, read by `waitFor`; its stderr goes to the log
 * too unless `stderr: "inherit"`.
 */
export const lineChild = (
  script: string,
  args: ReadonlyArray<string>,
  options: { readonly nodeArgs?: ReadonlyArray<string>; readonly stdout?: "lines" | "log"; readonly stderr?: "log" | "inherit" } = {}
) => {
  const child: cp.ChildProcess = cp.spawn(process.execPath, [sourceCondition, ...(options.nodeArgs ?? []), script, ...args], {
    stdio: ["pipe", "pipe", options.stderr === "inherit" ? "inherit" : "pipe"],
    cwd: root
  })
  let log = ""
  const waiting: Array<(line: string) => void> = []
  const early: Array<string> = []
  readline.createInterface({ input: child.stdout! }).on("line", (line) => {
    if (options.stdout === "log") {
      log += `${line}\n`
      return
    }
    const w = waiting.shift()
    if (w !== undefined) w(line)
    else early.push(line)
  })
  child.stderr?.on("data", (d: Buffer) => (log += d.toString()))
  const exitedWith = (code: number | null) => new Error(`${script} exited with ${code}: ${log.slice(-500)}`)
  const next = (timeoutMs: number) =>
    new Promise<string>((resolve, reject) => {
      const e = early.shift()
      if (e !== undefined) return resolve(e)
      const timer = setTimeout(() => reject(new Error(`${script}: no answer in ${timeoutMs} ms`)), timeoutMs)
      const onExit = (code: number | null) => reject(exitedWith(code))
      child.once("exit", onExit)
      waiting.push((line) => {
        clearTimeout(timer)
        child.off("exit", onExit)
        resolve(line)
      })
    })
  const ask = (command: string, timeoutMs = 30_000) => {
    child.stdin!.write(`${command}\n`)
    return next(timeoutMs)
  }
  /** Waits until the child's log matches. */
  const waitFor = (pattern: RegExp, timeoutMs: number) =>
    new Promise<RegExpExecArray>((resolve, reject) => {
      const deadline = Date.now() + timeoutMs
      const check = () => {
        const m = pattern.exec(log)
        if (m !== null) return resolve(m)
        if (child.exitCode !== null) return reject(exitedWith(child.exitCode))
        if (Date.now() > deadline) return reject(new Error(`${script}: ${pattern} not seen in ${timeoutMs} ms: ${log.slice(-500)}`))
        setTimeout(check, 20)
      }
      check()
    })
  return { child, next, ask, waitFor }
}

/** Runs a scenario alone from the command line: its figures as JSON on stdout, exit 0; or the error, exit 1. */
export const runAlone = (run: () => Promise<unknown>): void => {
  run().then(
    (f) => {
      process.stdout.write(JSON.stringify(f, null, 2) + "\n")
      process.exit(0)
    },
    (e) => {
      process.stderr.write(`${e instanceof Error ? e.stack : String(e)}\n`)
      process.exit(1)
    }
  )
}

/** Which part of the CPU time {@link cpuMicros} counts: CPU_PART=user or =system, for a probe that splits them (default both). */
const cpuPart = process.env.CPU_PART

/** CPU time this process has used so far, in microseconds (user + system, or the part CPU_PART names). */
export const cpuMicros = (): number => {
  const u = process.cpuUsage()
  return cpuPart === "user" ? u.user : cpuPart === "system" ? u.system : u.user + u.system
}

/**
 * Installs the `cpu` command on a side process's stdin: each `cpu` line is answered with
 * `{"cpu": <user + system microseconds so far>}`. Other lines go to `other`.
 */
export const answerCpu = (other: (line: string) => void = () => {}): void => {
  readline.createInterface({ input: process.stdin }).on("line", (line) => {
    if (line === "cpu") process.stdout.write(`${JSON.stringify({ cpu: cpuMicros() })}\n`)
    else other(line)
  })
}

const probes = new WeakMap<cp.ChildProcess, Array<(line: string) => void>>()

/** Asks a side process (started by {@link spawnWithPort}, answering with {@link answerCpu}) for its CPU microseconds. */
export const remoteCpu = (child: cp.ChildProcess): Promise<number> =>
  new Promise((resolve, reject) => {
    let waiting = probes.get(child)
    if (waiting === undefined) {
      const queue: Array<(line: string) => void> = []
      waiting = queue
      probes.set(child, queue)
      readline.createInterface({ input: child.stdout! }).on("line", (line) => {
        if (!line.startsWith("[")) queue.shift()?.(line)
      })
    }
    waiting.push((line) => {
      try {
        resolve((JSON.parse(line) as { cpu: number }).cpu)
      } catch (e) {
        reject(e)
      }
    })
    child.stdin!.write("cpu\n")
  })

/** CPU microseconds of this process and of a side process over a timed window: `begin` before the clock starts, `end` after it stops. */
export class CpuWindow {
  private local = 0
  private remote = 0
  private readonly child: cp.ChildProcess | undefined
  constructor(child: cp.ChildProcess | undefined) {
    this.child = child
  }
  async begin(): Promise<void> {
    this.remote = this.child === undefined ? 0 : await remoteCpu(this.child)
    this.local = cpuMicros()
  }
  /** The microseconds each side spent since `begin`. */
  async end(): Promise<{ readonly local: number; readonly remote: number }> {
    const local = cpuMicros() - this.local
    const remote = this.child === undefined ? Number.NaN : (await remoteCpu(this.child)) - this.remote
    return { local, remote }
  }
}

/**
 * Scenario 1's range: `blocks` in order, again and again from the first, until `total` bytes went out
 * (every range the same). Streamed as arrays of the chunk's blocks, as the library's own sources
 * stream a range (`ChainSource.makeMemory`: the range's array; docs/BENCHMARKS.md item 44): a
 * generator of one block at a time cost the responder's process an iterator step and a result object
 * per block.
 */
export const repeatedBlocks = (blocks: ReadonlyArray<Uint8Array>, total: number): Stream.Stream<Uint8Array> => {
  const arrays: Array<ReadonlyArray<Uint8Array>> = []
  let sent = 0
  while (sent < total) {
    let i = 0
    while (i < blocks.length && sent < total) sent += blocks[i++]!.length
    arrays.push(i === blocks.length ? blocks : blocks.slice(0, i))
  }
  return Stream.fromArrays(...arrays)
}
