/**
 * A preload that counts the event-loop turns a process asks for: every `setImmediate` (Effect's
 * scheduler resumes a fiber woken by another through it), `queueMicrotask` and `setTimeout`, printed
 * to stderr with the script's name as the process ends (SIGTERM too, as the bench's side processes
 * are stopped). Used for docs/BENCHMARKS.md item 43:
 * `NODE_OPTIONS="--import ./bench/count-turns.ts" node --conditions=@pallas-network2/source bench/probes.ts chain-sync 20000 1`
 * (every process of the probe counts, the responder process among them).
 */
let immediates = 0
let microtasks = 0
let timeouts = 0
const setImmediateBefore = globalThis.setImmediate
const queueMicrotaskBefore = globalThis.queueMicrotask
const setTimeoutBefore = globalThis.setTimeout
globalThis.setImmediate = ((...args: Parameters<typeof setImmediate>) => {
  immediates++
  return setImmediateBefore(...args)
}) as typeof setImmediate
globalThis.queueMicrotask = (task) => {
  microtasks++
  queueMicrotaskBefore(task)
}
globalThis.setTimeout = ((...args: Parameters<typeof setTimeout>) => {
  timeouts++
  return setTimeoutBefore(...args)
}) as typeof setTimeout

let reported = false
const report = () => {
  if (reported) return
  reported = true
  process.stderr.write(`[${process.argv[1]?.split("/").pop()}] setImmediate ${immediates}, queueMicrotask ${microtasks}, setTimeout ${timeouts}\n`)
}
process.on("exit", report)
process.on("SIGTERM", () => {
  report()
  process.exit(0)
})
