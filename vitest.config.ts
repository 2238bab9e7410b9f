import { defineConfig } from "vitest/config"
import { projects } from "./vitest.workspace.ts"

/** Tests run on the sources: the workspace packages' `exports` lead there under this condition. */
const conditions = ["@pallas-network2/source", "module", "node", "development|production"]

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: ["@pallas-network2/source"] } },
  test: {
    projects: projects.map((p) => ({ ...p, extends: true })),
    passWithNoTests: true
  }
})
