/**
 * Counts the fibers started and ended under an effect, through the runtime's fiber hooks
 * (`Metric.FiberRuntimeMetrics`): what the leak tests compare before and after their cycles.
 */
import * as Effect from "effect/Effect"
import * as Metric from "effect/Metric"

export const fiberCounter = () => {
  const counts = { started: 0, ended: 0 }
  const service: Metric.FiberRuntimeMetricsService = {
    recordFiberStart: () => void counts.started++,
    recordFiberEnd: () => void counts.ended++
  }
  return {
    counts,
    /** Fibers started and not yet ended. */
    live: () => counts.started - counts.ended,
    /** Runs an effect (and every fiber it forks) with the counting hooks. */
    provide: Effect.provideService(Metric.FiberRuntimeMetrics, service)
  }
}
