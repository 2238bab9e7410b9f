/**
 * Runs a subcommand's Effect as a process would: logs to stderr, interrupts it on SIGINT / SIGTERM
 * (so every scope closes and every connection with it), and resolves to an exit code.
 *
 * @since 0.1.0
 */
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import process from "node:process"

const StderrLogger = Logger.layer([Logger.make(({ date, logLevel, message }) => {
  const text = Array.isArray(message) ? message.map(String).join(" ") : String(message)
  process.stderr.write(`${date.toISOString()} ${logLevel.toUpperCase()} ${text}\n`)
})])

/**
 * Runs `effect` until it ends or the process is interrupted. Success (or an interrupt) gives 0; a
 * failure prints its message and gives 1.
 *
 * @category running
 * @since 0.1.0
 */
export const runCommand = <A, E>(effect: Effect.Effect<A, E>, exitCode: (a: A) => number = () => 0): Promise<number> =>
  new Promise((resolve) => {
    const fiber = Effect.runFork(effect.pipe(Effect.provide(StderrLogger as Layer.Layer<never>)))
    let interrupted = false
    const stop = () => {
      interrupted = true
      Effect.runFork(Fiber.interrupt(fiber))
    }
    process.once("SIGINT", stop)
    process.once("SIGTERM", stop)
    fiber.addObserver((exit) => {
      process.off("SIGINT", stop)
      process.off("SIGTERM", stop)
      if (Exit.isSuccess(exit)) resolve(exitCode(exit.value))
      else if (interrupted || Cause.hasInterruptsOnly(exit.cause)) resolve(0)
      else {
        const error = Cause.findErrorOption(exit.cause)
        process.stderr.write(
          `error: ${error._tag === "Some" ? (error.value as { message?: string }).message ?? String(error.value) : Cause.pretty(exit.cause)}\n`
        )
        resolve(1)
      }
    })
  })
