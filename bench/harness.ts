/**
 * The benchmark harness: runs each scenario's sides alternately (A B A B ...) after a warm-up, and
 * reports median, min and max of each side and the ratio of the medians. Plain Node, no test runner.
 */
import * as os from "node:os"

export interface Side {
  /** What is measured ("network2 block-fetch", "raw node:net socket"). */
  readonly name: string
  /** One run; returns the figure (higher is better unless `lowerIsBetter`). */
  readonly run: () => Promise<number>
}

export interface Scenario {
  readonly id: string
  readonly title: string
  readonly unit: string
  readonly sides: ReadonlyArray<Side>
  readonly goal?: string
  readonly lowerIsBetter?: boolean
  /** Extra figures a scenario wants in the report (memory per connection, p99, ...). */
  readonly extra?: () => Record<string, unknown>
}

export interface SideResult {
  readonly name: string
  readonly runs: ReadonlyArray<number>
  readonly median: number
  readonly min: number
  readonly max: number
}

export interface ScenarioResult {
  readonly id: string
  readonly title: string
  readonly unit: string
  readonly goal: string | undefined
  readonly sides: ReadonlyArray<SideResult>
  /** median of the first side over the median of each other side */
  readonly ratios: ReadonlyArray<{ readonly of: string; readonly to: string; readonly ratio: number }>
  readonly extra: Record<string, unknown>
}

/** The median of the runs that produced a figure (a failed run is NaN and left out). */
const median = (all: ReadonlyArray<number>): number => {
  const xs = all.filter((x) => !Number.isNaN(x))
  if (xs.length === 0) return Number.NaN
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2
}

export const runScenario = async (scenario: Scenario, runs: number, warmup: number): Promise<ScenarioResult> => {
  process.stderr.write(`\n# ${scenario.id}: ${scenario.title}\n`)
  for (let w = 0; w < warmup; w++) {
    for (const side of scenario.sides) {
      const v = await side.run()
      process.stderr.write(`  warm-up ${side.name}: ${v.toFixed(2)} ${scenario.unit}\n`)
    }
  }
  const figures = scenario.sides.map(() => [] as Array<number>)
  for (let r = 0; r < runs; r++) {
    for (let i = 0; i < scenario.sides.length; i++) {
      const side = scenario.sides[i]!
      const v = await side.run()
      figures[i]!.push(v)
      process.stderr.write(`  run ${r + 1} ${side.name}: ${v.toFixed(2)} ${scenario.unit}\n`)
    }
  }
  const sides = scenario.sides.map((side, i) => ({
    name: side.name,
    runs: figures[i]!,
    median: median(figures[i]!),
    min: Math.min(...figures[i]!.filter((x) => !Number.isNaN(x))),
    max: Math.max(...figures[i]!.filter((x) => !Number.isNaN(x)))
  }))
  const ratios = sides.slice(1).map((other) => ({
    of: sides[0]!.name,
    to: other.name,
    ratio: sides[0]!.median / other.median
  }))
  return {
    id: scenario.id,
    title: scenario.title,
    unit: scenario.unit,
    goal: scenario.goal,
    sides,
    ratios,
    extra: scenario.extra?.() ?? {}
  }
}

export const machine = () => ({
  cores: os.cpus().length,
  cpu: os.cpus()[0]?.model ?? "unknown",
  memoryGiB: Math.round(os.totalmem() / 2 ** 30),
  node: process.version,
  platform: `${os.platform()} ${os.arch()}`
})
