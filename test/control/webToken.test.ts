/**
 * The web UI's token outlives a restart (a phone's cookie keeps working) and is private.
 */
import { NodeServices } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { webToken } from "../../src/layers/ControlledDaemon.ts"

describe("the web token", () => {
  it.effect("is made once, kept 0600 beside the OAuth tokens, and made anew when deleted", () =>
    Effect.gen(function*() {
      const dir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "deckcord-webtoken-"))
      yield* Effect.addFinalizer(() => Effect.sync(() => Fs.rmSync(dir, { recursive: true, force: true })))
      const tokens = Path.join(dir, "state", "tokens.json")
      const first = yield* webToken(tokens)
      expect(first).toMatch(/^[A-Za-z0-9_-]{32,}$/)
      expect(yield* webToken(tokens)).toBe(first)
      const file = Path.join(dir, "state", "web-token")
      expect(Fs.statSync(file).mode & 0o777).toBe(0o600)
      Fs.rmSync(file)
      expect(yield* webToken(tokens)).not.toBe(first)
    }).pipe(Effect.scoped, Effect.provide(NodeServices.layer)))
})
