/**
 * Helpers shared by the scenarios: spawning a side process on the pinned Node and reading the port it
 * prints.
 */
import * as cp from "node:child_process"
import * as path from "node:path"
import { fileURLToPath } from "node:url"

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..")
export const shared = path.resolve(root, "..", "shared")
export const chunkPath = path.join(shared, "vectors", "chain", "01285.chunk")

/** Starts `node script args...` and resolves with the child and the first line it prints. */
export const spawnWithPort = (script: string, args: ReadonlyArray<string>, extraNodeArgs: ReadonlyArray<string> = []) =>
  new Promise<{ child: cp.ChildProcess; line: string }>((resolve, reject) => {
    const child = cp.spawn(process.execPath, [...extraNodeArgs, script, ...args], {
      stdio: ["ignore", "pipe", "inherit"],
      cwd: root
    })
    let buffer = ""
    const onData = (d: Buffer) => {
      buffer += d.toString()
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
