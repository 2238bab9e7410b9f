import { defineConfig } from "vitest/config"
import { projects } from "./vitest.workspace.ts"

/** Tests run on the sources: the workspace packages' `exports` lead there under this condition. */
const conditions = ["@pallas-network2/source", "module", "node", "development|production"]
// and the processes tests spawn (`network2` as a child process) run the sources too, however vitest was
// started (npm sets this through .npmrc; `node_modules/.bin/vitest` alone would not)
const sourceCondition = "--conditions=@pallas-network2/source"
if (!(process.env.NODE_OPTIONS ?? "").includes(sourceCondition)) {
  process.env.NODE_OPTIONS = `${process.env.NODE_OPTIONS ?? ""} ${sourceCondition}`.trim()
}

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: ["@pallas-network2/source"] } },
  test: {
    projects: projects.map((p) => ({ ...p, extends: true })),
    passWithNoTests: true
  }
})
