/**
 * Builds the API reference: `npm run docs` at the root (after `npm ci`).
 *
 * For each package it runs @effect/docgen, which fails when an export has no
 * description or no `@since`, and type-checks every ```ts block of every
 * `@example` (and of every description) with `tsc --noEmit` against the
 * workspace's sources and its effect 4.1.0, importing the packages by name as an
 * application would. Examples are never run (`runExamples: false`), so they
 * cannot open a connection. It also fails when a module has no description.
 *
 * docgen reads `package.json` (it needs `name` and `homepage`) and `docgen.json`
 * from its working directory and names each module by its path under `src`. So
 * each package is staged in `docs/api/.stage/<package>/`: a package.json with
 * the name and a homepage taken from `repository`, the merged docgen.json
 * (tools/docgen/docgen.base.json, then packages/<package>/docgen.json), and a
 * `src` symlink to the package's real sources. The stage sits inside the
 * repository so that `effect`, `@types/node` and the workspace packages resolve
 * from the root node_modules, as they do for the sources themselves.
 *
 * Output: docs/api/<package>/modules/**.md (not committed; built in CI), and
 * docs/api/README.md listing the modules. Exit code 1 when any package fails.
 *
 * Usage: node tools/docgen/run.ts [core|node|cli ...]
 */
import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"

const here = import.meta.dirname
const root = path.resolve(here, "../..")
const outRoot = path.join(root, "docs", "api")
const stageRoot = path.join(outRoot, ".stage")
const all = ["core", "node", "cli"]
const chosen = process.argv.slice(2)
const packages = chosen.length > 0 ? chosen : all
for (const name of packages) {
  if (!all.includes(name)) {
    console.error(`docs: unknown package "${name}" (known: ${all.join(", ")})`)
    process.exit(2)
  }
}

// Install this folder's own dependencies when they are missing or older than its lock file (a fresh
// clone, or a changed lock): `npm ci` here only, never the workspace's.
const installed = path.join(here, "node_modules", ".package-lock.json")
if (!fs.existsSync(installed) || fs.statSync(installed).mtimeMs < fs.statSync(path.join(here, "package-lock.json")).mtimeMs) {
  console.log("docs: installing tools/docgen (npm ci)")
  const npm = spawnSync("npm", ["ci", "--no-audit", "--no-fund", "--loglevel=error"], { cwd: here, stdio: "inherit" })
  if (npm.status !== 0) {
    console.error(`docs: npm ci in tools/docgen failed (exit ${npm.status ?? npm.signal})`)
    process.exit(1)
  }
}

const docgenBin = path.join(here, "node_modules", "@effect", "docgen", "dist", "bin.js")
// The compiler that type-checks the examples: the workspace's own (TypeScript 7, the one
// `npm run typecheck` uses; about 6 s a package where TypeScript 6 takes 40 s), else this
// folder's TypeScript 6; DOCS_TSC=<path> picks another.
const workspaceTsc = path.join(root, "node_modules", "typescript", "bin", "tsc")
const tscBin =
  process.env["DOCS_TSC"] ??
  (fs.existsSync(workspaceTsc) ? workspaceTsc : path.join(here, "node_modules", "typescript", "bin", "tsc"))
if (!fs.existsSync(docgenBin) || !fs.existsSync(tscBin)) {
  console.error("docs: tools/docgen is not installed: run `npm --prefix tools/docgen ci`")
  process.exit(1)
}

const readJson = (file: string): Record<string, any> => JSON.parse(fs.readFileSync(file, "utf8"))

const homepageOf = (pkg: Record<string, any>): string => {
  if (typeof pkg["homepage"] === "string") return pkg["homepage"].replace(/#.*$/, "")
  const repo = pkg["repository"]
  const url: unknown = typeof repo === "string" ? repo : repo?.url
  if (typeof url === "string") return url.replace(/^git\+/, "").replace(/\.git$/, "")
  return "https://github.com/pallas-network2/pallas-network2-effect"
}

/**
 * The barrels (`src/index.ts`, `src/<folder>/index.ts`) hold no declarations, only re-exports, so
 * docgen leaves them out; this lists what each import path gives, linked to the module pages.
 */
/** The GitHub anchor of an export's heading ("## Name", "## Name (type alias)") in a module page. */
function anchor(file: string, exportName: string): string {
  const heading = fs
    .readFileSync(file, "utf8")
    .split("\n")
    .find((l) => l === `## ${exportName}` || l.startsWith(`## ${exportName} (`))
  if (heading === undefined) return ""
  return "#" + heading.slice(3).toLowerCase().replace(/[^a-z0-9 _-]/g, "").replace(/ /g, "-")
}

function entryPoints(name: string, npmName: string, modules: ReadonlyArray<string>): Array<string> {
  const src = path.join(root, "packages", name, "src")
  const barrels = [...(fs.existsSync(path.join(src, "index.ts")) ? ["index.ts"] : []), ...fs.readdirSync(src).filter((d) => fs.existsSync(path.join(src, d, "index.ts"))).map((d) => `${d}/index.ts`)]
  const page = (rel: string) => {
    const m = `${rel}.md`.split("/").join(path.sep)
    return modules.includes(m) ? `${name}/modules/${rel.split(path.sep).join("/")}.md` : undefined
  }
  // what `export * as X` names in a barrel: X -> module file relative to src
  const namespaces = (barrel: string) => {
    const out = new Map<string, string>()
    const text = fs.existsSync(path.join(src, barrel)) ? fs.readFileSync(path.join(src, barrel), "utf8") : ""
    for (const m of text.matchAll(/^export \* as (\w+) from "(\.[^"]+)"/gm)) {
      out.set(m[1]!, path.posix.join(path.posix.dirname(barrel), m[2]!))
    }
    return out
  }
  const lines: Array<string> = ["### Entry points", ""]
  if (barrels.length === 0) return []
  for (const barrel of barrels) {
    const text = fs.readFileSync(path.join(src, barrel), "utf8")
    const dir = path.posix.dirname(barrel)
    const importPath = dir === "." ? npmName : `${npmName}/${dir}`
    const items: Array<string> = []
    for (const m of text.matchAll(/^export (type )?(?:\* as (\w+)|\{([^}]*)\}) from "(\.[^"]+)"/gm)) {
      const target = path.posix.join(dir, m[4]!)
      const names = m[2] !== undefined ? [m[2]] : m[3]!.split(",").map((n) => n.trim()).filter((n) => n !== "")
      for (const n of names) {
        let link: string | undefined
        if (m[2] !== undefined && target.endsWith("/index.ts")) {
          items.push(`\`${n}\` (\`${npmName}/${path.posix.dirname(target)}\`)`)
          continue
        } else if (m[2] !== undefined) link = page(target)
        else if (target.endsWith("/index.ts")) {
          const t = namespaces(target).get(n)
          link = t === undefined ? undefined : page(t)
        } else {
          const p = page(target)
          link = p === undefined ? undefined : `${p}${anchor(path.join(outRoot, p), n)}`
        }
        items.push(link === undefined ? `\`${n}\`` : `[\`${n}\`](${link})`)
      }
    }
    if (items.length > 0) lines.push(`- \`import { … } from "${importPath}"\`: ${items.join(", ")}`)
  }
  lines.push(`- \`import * as M from "${npmName}/<module>"\`: each module below`, "")
  return lines
}

const base = readJson(path.join(here, "docgen.base.json"))
const started = Date.now()
const failed: Array<string> = []
const undocumentedModules: Array<string> = []
const summary: Array<{ name: string; npmName: string; modules: Array<string>; exports: number }> = []

for (const name of packages) {
  const t0 = Date.now()
  const pkgDir = path.join(root, "packages", name)
  const pkg = readJson(path.join(pkgDir, "package.json"))
  const own = fs.existsSync(path.join(pkgDir, "docgen.json")) ? readJson(path.join(pkgDir, "docgen.json")) : {}
  const homepage = homepageOf(pkg)
  const stage = path.join(stageRoot, name)
  const outDir = path.join(outRoot, name)
  fs.rmSync(stage, { recursive: true, force: true })
  fs.rmSync(outDir, { recursive: true, force: true })
  fs.mkdirSync(stage, { recursive: true })
  fs.symlinkSync(path.join(pkgDir, "src"), path.join(stage, "src"), "dir")
  fs.writeFileSync(path.join(stage, "package.json"), JSON.stringify({ name: pkg["name"], homepage }, null, 2))
  const { $schema: _schema, ...merged } = { ...base, ...own }
  fs.writeFileSync(
    path.join(stage, "docgen.json"),
    JSON.stringify(
      {
        ...merged,
        srcDir: "src",
        outDir: path.relative(stage, outDir),
        srcLink: `${homepage}/blob/main/packages/${name}/src/`, // run.ts fixes nested paths after
        projectHomepage: homepage,
        tscExecutable: tscBin
      },
      null,
      2
    )
  )
  console.log(`docs: ${pkg["name"]}`)
  const run = spawnSync(process.execPath, [docgenBin], {
    cwd: stage,
    env: process.env,
    encoding: "utf8",
    maxBuffer: 256 * 1024 * 1024
  })
  // name the real files, not their staged symlinks
  const real = (text: string) => text.replaceAll(path.join(stage, "src") + path.sep, path.join("packages", name, "src") + path.sep)
  process.stdout.write(real(run.stdout ?? ""))
  process.stderr.write(real(run.stderr ?? ""))
  const seconds = ((Date.now() - t0) / 1000).toFixed(1)
  if (run.status !== 0) {
    failed.push(name)
    if (fs.existsSync(path.join(outDir, "examples"))) {
      console.error(`docs: the examples tsc read are in docs/api/${name}/examples/ (<module>-<kind>-<export>-<n>.ts)`)
    }
    console.error(`docs: ${pkg["name"]} FAILED (exit ${run.status ?? run.signal}, ${seconds} s)`)
    continue
  }
  const modulesDir = path.join(outDir, "modules")
  const modules = (fs.readdirSync(modulesDir, { recursive: true }) as Array<string>)
    .filter((f) => f.endsWith(".ts.md"))
    .sort()
  let exports = 0
  const srcLink = `${homepage}/blob/main/packages/${name}/src/`
  for (const m of modules) {
    const file = path.join(modulesDir, m)
    // docgen links a source by its base name only: give nested modules their folder back
    const rel = m.replace(/\.md$/, "").split(path.sep).join("/")
    const text = fs.readFileSync(file, "utf8").replaceAll(`](${srcLink}${path.basename(rel)}#L`, `](${srcLink}${rel}#L`)
    fs.writeFileSync(file, text)
    const overview = /^## .* overview\n\n(.*)$/m.exec(text)
    if (overview === null || overview[1]!.startsWith("Since v") || overview[1]!.trim() === "") {
      undocumentedModules.push(`packages/${name}/src/${rel}`)
    }
    // each documented export is one "## name" heading under its category heading
    const body = text.slice(text.indexOf("\n---\n", text.indexOf("Exports Grouped by Category")) + 1)
    exports += (body.match(/^## (?!Exports Grouped by Category)/gm) ?? []).length
  }
  summary.push({ name, npmName: pkg["name"], modules, exports })
  console.log(`docs: ${pkg["name"]}: ${modules.length} modules, ${exports} exports documented (${seconds} s)`)
}

if (summary.length > 0) {
  const lines = [
    "# API reference",
    "",
    "Generated by `npm run docs` (tools/docgen) from the JSDoc in each package's `src/`; not committed.",
    ""
  ]
  for (const s of summary) {
    lines.push(`## ${s.npmName}`, "", ...entryPoints(s.name, s.npmName, s.modules), "### Modules", "")
    for (const m of s.modules) lines.push(`- [${m.replace(/\.ts\.md$/, "")}](${s.name}/modules/${m})`)
    lines.push("")
  }
  fs.writeFileSync(path.join(outRoot, "README.md"), lines.join("\n"))
}
fs.rmSync(stageRoot, { recursive: true, force: true })

const total = ((Date.now() - started) / 1000).toFixed(1)
const modules = summary.reduce((n, s) => n + s.modules.length, 0)
const exports = summary.reduce((n, s) => n + s.exports, 0)
if (undocumentedModules.length > 0) {
  console.error(`docs: modules without a description (the JSDoc block at the top of the file):`)
  for (const m of undocumentedModules) console.error(`  ${m}`)
  failed.push("module descriptions")
}
if (failed.length > 0) {
  console.error(`docs: failed for ${failed.join(", ")} (${total} s)`)
  process.exit(1)
}
console.log(`docs: ${modules} modules, ${exports} exports documented in docs/api (${total} s)`)
