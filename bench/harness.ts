/**
 * The benchmark harness: runs each scenario's sides alternately (A B A B ...) after a warm-up, and
 * reports median, min and max of each side and the ratio of the medians. Plain Node, no test runner.
 */
import * as os from "node:os"

export interface Side {
  /** What is measured ("network2 block-fetch", "raw node:net socket"). */
  readonly name: string
  /** One run; returns the figure (higher is better unless `lowerIsBetter`), or the figure and CPU costs. */
  readonly run: () => Promise<number | Measured>
}

/** A run's figure and what it cost: named CPU figures (microseconds per block or header, by process). */
export interface Measured {
  readonly value: number
  readonly cpu: Record<string, number>
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
  /** Which ratios to report, as [of, to] side indexes (median of `of` over median of `to`); default: the first side over each other. */
  readonly ratioPairs?: ReadonlyArray<readonly [number, number]>
}

export interface SideResult {
  readonly name: string
  readonly runs: ReadonlyArray<number>
  readonly median: number
  readonly min: number
  readonly max: number
  /** Medians of the CPU figures the runs reported, by name (absent when the side reports none). */
  readonly cpu?: Record<string, { readonly median: number; readonly runs: ReadonlyArray<number> }>
  /** The warm-up rounds' figures, in order (not in the median). */
  readonly warmup?: ReadonlyArray<number>
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
  /** How many warm-up rounds of every side ran before the measured ones. */
  readonly warmupRounds?: number
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
  const cpuText = (m: Measured) =>
    Object.keys(m.cpu).length === 0 ? "" : ` (CPU ${Object.entries(m.cpu).map(([k, x]) => `${k} ${x.toFixed(1)}`).join(", ")})`
  const one = async (side: Side): Promise<Measured> => {
    const v = await side.run()
    return typeof v === "number" ? { value: v, cpu: {} } : v
  }
  const warmups = scenario.sides.map(() => [] as Array<number>)
  for (let w = 0; w < warmup; w++) {
    for (let i = 0; i < scenario.sides.length; i++) {
      const side = scenario.sides[i]!
      const m = await one(side)
      warmups[i]!.push(m.value)
      process.stderr.write(`  warm-up ${side.name}: ${m.value.toFixed(2)} ${scenario.unit}${cpuText(m)}\n`)
    }
  }
  const figures = scenario.sides.map(() => [] as Array<number>)
  const cpus = scenario.sides.map(() => new Map<string, Array<number>>())
  for (let r = 0; r < runs; r++) {
    for (let i = 0; i < scenario.sides.length; i++) {
      const side = scenario.sides[i]!
      const m = await one(side)
      figures[i]!.push(m.value)
      for (const [k, x] of Object.entries(m.cpu)) cpus[i]!.set(k, [...(cpus[i]!.get(k) ?? []), x])
      process.stderr.write(`  run ${r + 1} ${side.name}: ${m.value.toFixed(2)} ${scenario.unit}${cpuText(m)}\n`)
    }
  }
  const sides = scenario.sides.map((side, i) => ({
    name: side.name,
    runs: figures[i]!,
    median: median(figures[i]!),
    min: Math.min(...figures[i]!.filter((x) => !Number.isNaN(x))),
    max: Math.max(...figures[i]!.filter((x) => !Number.isNaN(x))),
    ...(cpus[i]!.size === 0 ? {} : { cpu: Object.fromEntries([...cpus[i]!].map(([k, xs]) => [k, { median: median(xs), runs: xs }])) }),
    ...(warmups[i]!.length === 0 ? {} : { warmup: warmups[i]! })
  }))
  const pairs = scenario.ratioPairs ?? sides.slice(1).map((_, i) => [0, i + 1] as const)
  const ratios = pairs.map(([of, to]) => ({
    of: sides[of]!.name,
    to: sides[to]!.name,
    ratio: sides[of]!.median / sides[to]!.median
  }))
  return {
    id: scenario.id,
    title: scenario.title,
    unit: scenario.unit,
    goal: scenario.goal,
    sides,
    ratios,
    extra: scenario.extra?.() ?? {},
    warmupRounds: warmup
  }
}

export const machine = () => ({
  cores: os.cpus().length,
  cpu: os.cpus()[0]?.model ?? "unknown",
  memoryGiB: Math.round(os.totalmem() / 2 ** 30),
  node: process.version,
  platform: `${os.platform()} ${os.arch()}`
})
