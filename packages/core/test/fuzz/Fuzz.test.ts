/**
 * The fuzz targets (targets.ts) at a small count, so every test run also fuzzes; `npm run fuzz`
 * runs the same properties 100 000 times or more each.
 */
import { assert, describe, it } from "@effect/vitest"
import * as fc from "fast-check"
import { vectorsAvailable } from "../utils/vectors.ts"
import { targets } from "./targets.ts"

describe("fuzz (small counts; npm run fuzz for the full ones)", () => {
  for (const target of targets) {
    it.skipIf(target.needsVectors === true && !vectorsAvailable)(`${target.name}: ${target.checks}`, async () => {
      const numRuns = target.name.startsWith("mux") ? 150 : 400
      const details = await fc.check(target.property() as fc.IAsyncProperty<unknown>, { numRuns })
      assert.isFalse(details.failed, fc.defaultReportMessage(details) ?? "failed")
      assert.strictEqual(details.numRuns, numRuns)
    })
  }
})
