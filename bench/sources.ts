/**
 * Imported first by every script a person runs directly (`node bench/...`, `node soak/run.ts`): the
 * benchmarks, fuzz targets and soak measure the packages' sources, which Node reaches only under the
 * `@pallas-network2/source` export condition (npm scripts set it through `.npmrc`). Without it Node
 * would load the last `npm run build` output (dist/), or fail to find it: stop with one line instead.
 * Child processes are spawned with {@link sourceCondition} so they run the same code.
 */
export const sourceCondition = "--conditions=@pallas-network2/source"

const given = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? "").split(/\s+/)]
if (!given.some((a) => a === sourceCondition || a === "-C=@pallas-network2/source")) {
  process.stderr.write(`run this through npm (npm run bench / fuzz / soak) or as: node ${sourceCondition} ${process.argv.slice(1).join(" ")}\n`)
  process.exit(2)
}
