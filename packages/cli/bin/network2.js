#!/usr/bin/env node
// The `network2` command. Plain JavaScript on purpose: it must run on any Node to say which Node it
// needs before anything else loads. `#main` is the built dist/main.js; inside this repository, run with
// `--conditions=@pallas-network2/source` (the npm scripts and tests do), it is src/main.ts.
const [major, minor] = process.versions.node.split(".").map(Number)
if (major < 22 || (major === 22 && minor < 19)) {
  process.stderr.write(`network2 needs Node.js 22.19 or newer (this is Node.js ${process.versions.node})\n`)
  process.exit(1)
}
import("#main").catch((e) => {
  process.stderr.write(`network2: ${e instanceof Error ? e.message : String(e)}\n`)
  process.exit(70)
})
