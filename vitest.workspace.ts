/**
 * The test projects of the workspace: one per package, and `consumer` (the packed packages installed as an application would). `vitest.config.ts` reads this list into
 * `test.projects` (vitest 4 and later no longer read a workspace file on their own).
 */
export const projects = [
  {
    test: {
      name: "core",
      root: "./packages/core",
      include: ["test/**/*.test.ts"],
      setupFiles: ["../../vitest.setup.ts"],
      testTimeout: 30_000
    }
  },
  {
    test: {
      name: "node",
      root: "./packages/node",
      include: ["test/**/*.test.ts"],
      setupFiles: ["../../vitest.setup.ts"],
      testTimeout: 60_000
    }
  },
  {
    test: {
      name: "cli",
      root: "./packages/cli",
      include: ["test/**/*.test.ts"],
      setupFiles: ["../../vitest.setup.ts"],
      testTimeout: 120_000
    }
  },
  {
    test: {
      name: "consumer",
      root: "./consumer",
      include: ["test/**/*.test.ts"],
      setupFiles: ["../vitest.setup.ts"],
      testTimeout: 120_000,
      hookTimeout: 600_000
    }
  }
]

export default projects
