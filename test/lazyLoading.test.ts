import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { createRequire } from "node:module"

/** Native addons the library must not load until they are used. */
const loaded = (pkg: string) => Object.keys(createRequire(import.meta.url).cache).some((file) => file.includes(`/${pkg}/`))

describe("loading on first use", () => {
  it("importing the library loads neither resvg nor node-hid; the first render loads resvg", async () => {
    const library = await import("../src/index.ts")
    assert.isFalse(loaded("@resvg/resvg-js"), "resvg loaded by import")
    assert.isFalse(loaded("node-hid"), "node-hid loaded by import")
    await Effect.runPromise(
      library.KeyRenderer.use((r) => r.render({ label: "Mute" }, { width: 72, height: 72 })).pipe(
        Effect.provide(library.KeyRenderer.layer)
      )
    )
    assert.isTrue(loaded("@resvg/resvg-js"), "resvg not loaded by a render")
  })
})
