/**
 * A preload that counts the Effect work a process does: how many times a fiber's run loop is
 * entered (a fiber started or resumed) and how many operations it evaluates, printed to stderr with
 * the script's name as the process ends (SIGTERM too, as the bench's side processes are stopped).
 * With `OPS_BY_KIND=N`, the operations are also counted by kind (`OnSuccess`, `Suspend`,
 * `WithFiber`...; the kinds that carry a function named by its first characters) and the top N
 * printed, each divided by `OPS_PER` (default 1: set it to the requests made, for a figure per
 * request). The kinds are counted by wrapping each kind's `evaluate` as it is first met, so the
 * run loop itself stays Effect's own; an operation whose `evaluate` is never called (an exit a
 * continuation takes directly) is not counted by kind. Used for docs/BENCHMARKS.md item 45:
 * `NODE_OPTIONS="--import ./bench/count-ops.ts" node --conditions=@pallas-network2/source bench/probes.ts chain-sync 20000 1`
 * `OPS_BY_KIND=25 OPS_PER=40000 NODE_OPTIONS="--import ./bench/count-ops.ts" node --conditions=@pallas-network2/source bench/probes.ts answer 20000 2`
 */
import * as Effect from "effect/Effect"

const byKind = Number(process.env.OPS_BY_KIND ?? 0)
const per = Number(process.env.OPS_PER ?? 1)
const evaluate = "~effect/Effect/evaluate"
const identifier = "~effect/Effect/identifier"
const args = "~effect/Effect/args"
const kinds = new Map<string, number>()
const named = new Set(["WithFiber", "Suspend", "Sync", "Async", "QueueTake"])

const kindOf = (primitive: Record<string, unknown>): string => {
  const kind = String(primitive[identifier] ?? primitive["_tag"] ?? "?")
  if (!named.has(kind)) return kind
  const a = primitive[args]
  const f = Array.isArray(a) ? a[1] ?? a[0] : a
  return typeof f === "function" ? `${kind} ${f.toString().replace(/\s+/g, " ").slice(0, 70)}` : kind
}

// Each kind of operation is a prototype with an `evaluate` method: a prototype met for the first
// time (an effect a run loop starts with, or one an operation returns) gets a counting `evaluate`.
const wrapped = new WeakSet<object>()
const watch = (value: unknown): void => {
  if (typeof value !== "object" || value === null) return
  const proto = Object.getPrototypeOf(value) as Record<string, unknown> | null
  if (proto === null || wrapped.has(proto) || typeof proto[evaluate] !== "function") return
  wrapped.add(proto)
  const inner = proto[evaluate] as (this: Record<string, unknown>, fiber: unknown) => unknown
  proto[evaluate] = function(this: Record<string, unknown>, fiber: unknown) {
    const kind = kindOf(this)
    kinds.set(kind, (kinds.get(kind) ?? 0) + 1)
    const next = inner.call(this, fiber)
    watch(next)
    return next
  }
}

// the fibers' class, from a fiber of its own
const proto = Effect.runSync(Effect.withFiber((fiber) => Effect.succeed(Object.getPrototypeOf(fiber)))) as {
  runLoop: (this: { currentOpCount: number }, effect: unknown) => unknown
}
const runLoop = proto.runLoop
let runs = 0
let ops = 0
proto.runLoop = function(effect) {
  runs++
  if (byKind > 0) watch(effect)
  const exit = runLoop.call(this, effect)
  ops += this.currentOpCount
  return exit
}

let reported = false
const report = () => {
  if (reported) return
  reported = true
  const top = [...kinds].sort((a, b) => b[1] - a[1]).slice(0, byKind)
  process.stderr.write(
    `[${process.argv[1]?.split("/").pop()}] fiber runs ${runs}, operations ${ops}\n` +
      top.map(([k, n]) => `  ${(n / per).toFixed(2).padStart(10)}  ${k}\n`).join("")
  )
}
process.on("exit", report)
process.on("SIGTERM", () => {
  report()
  process.exit(0)
})
