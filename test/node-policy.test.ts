/**
 * The Node support policy is written in three places: `engines` in package.json, the
 * README's "Supported Node versions", and the Node binaries CI installs (`.ci/node/<major>`).
 * They must say the same thing.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Fs from "node:fs"

const read = (path: string) => Fs.readFileSync(new URL(`../${path}`, import.meta.url), "utf8")
const pkg = JSON.parse(read("package.json")) as { engines: { node: string } }
const readme = read("README.md")
const section = readme.slice(readme.indexOf("### Supported Node versions"), readme.indexOf("Source layout:"))

const ciVersions = Fs.readdirSync(new URL("../.ci/node/", import.meta.url)).sort().map((major) => {
  const manifest = JSON.parse(read(`.ci/node/${major}/package.json`)) as { dependencies: { node: string } }
  return { major, version: manifest.dependencies.node }
})

const parts = (v: string) => v.replace(/^[^\d]*/, "").split(".").map(Number)
const atLeast = (v: string, floor: string) => {
  const [a, b] = [parts(v), parts(floor)]
  for (let i = 0; i < 3; i++) if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) > (b[i] ?? 0)
  return true
}

describe("Node support policy", () => {
  it("CI tests the oldest supported line and every line the README names, all within engines", () => {
    const floor = /^>=(\d+\.\d+\.\d+)$/.exec(pkg.engines.node)?.[1]
    assert.isDefined(floor, `engines.node should be ">=x.y.z", is ${pkg.engines.node}`)
    assert.isAbove(section.length, 0, "the README has a 'Supported Node versions' section")
    assert.include(section, `\`>=${floor}\``)
    assert.deepStrictEqual(ciVersions.map((v) => v.major), ["22", "24"])
    for (const { major, version } of ciVersions) {
      assert.isTrue(atLeast(version, floor!), `.ci/node/${major} pins ${version}, below engines ${floor}`)
      assert.strictEqual(String(parts(version)[0]), major, `.ci/node/${major} pins ${version}`)
      assert.include(section, `Node ${major}`)
    }
    assert.strictEqual(ciVersions[0]!.major, String(parts(floor!)[0]), "CI runs the oldest supported line")
    assert.include(read(".ci/run"), "node_bin 22")
  })

  it("the test config needs no polyfill for an unsupported Node", () => {
    assert.notInclude(read("vitest.config.ts"), "groupBy")
    assert.notInclude(read("vitest.soak.config.ts"), "groupBy")
  })
})
