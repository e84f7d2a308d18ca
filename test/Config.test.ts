import { assert, describe, it } from "@effect/vitest"
import { Effect, Redacted, Result } from "effect"
import {
  BASE_SCOPES,
  checkLayout,
  configFilePath,
  decodeConfig,
  DEFAULT_BRIGHTNESS,
  describeDeck,
  requiredScopes,
  tokenFilePath
} from "../src/index.ts"
import { FakeDeck } from "../src/testing/index.ts"

const FILE = "/home/u/.config/deckcord/config.json"
const ID = "112233445566778899"

const failure = (text: string): string => {
  const r = decodeConfig(FILE, text, checkLayout)
  assert.isTrue(Result.isFailure(r), "expected a decode failure")
  return Result.isFailure(r) ? r.failure.message : ""
}

describe("decodeConfig", () => {
  it("decodes a full config, with the secret redacted", () => {
    const r = decodeConfig(
      FILE,
      JSON.stringify({ clientId: ID, clientSecret: "s3cret-value", socketPath: "/tmp/x", brightness: 30, scopes: ["video"], decks: { "*": { keys: { "0": "mute" } } } })
    )
    assert.isTrue(Result.isSuccess(r))
    if (!Result.isSuccess(r)) return
    const c = r.success.config
    assert.strictEqual(c.clientId, ID)
    assert.strictEqual(c.brightness, 30)
    assert.deepStrictEqual(c.scopes, ["video"])
    assert.deepStrictEqual(c.decks, { "*": { keys: { "0": "mute" } } })
    assert.isTrue(c.clientSecret !== undefined && Redacted.isRedacted(c.clientSecret))
    assert.strictEqual(c.clientSecret && Redacted.value(c.clientSecret), "s3cret-value")
    assert.notInclude(String(c.clientSecret), "s3cret")
    assert.deepStrictEqual(r.success.unknownKeys, [])
  })

  it("fills defaults for an empty object", () => {
    const r = decodeConfig(FILE, "{}")
    assert.isTrue(Result.isSuccess(r))
    if (Result.isSuccess(r)) {
      assert.strictEqual(r.success.config.brightness, DEFAULT_BRIGHTNESS)
      assert.deepStrictEqual(r.success.config.scopes, [])
      assert.isUndefined(r.success.config.clientId)
    }
  })

  it("names the file, the JSON path, what was expected and what it got", () => {
    const msg = failure(JSON.stringify({ clientId: "abc" }))
    assert.include(msg, `${FILE}: at ["clientId"]: expected a Discord id (17–20 digits)`)
    assert.include(msg, `got "abc"`)
  })

  it("an invalid layout refuses the whole config, naming the path inside it", () => {
    const msg = failure(JSON.stringify({ decks: { "*": { keys: { "2": { action: "mutte" } } } } }))
    assert.include(msg, `${FILE}: at ["decks"]["*"]["keys"]["2"]`)
    assert.include(msg, "mute")
  })

  it("reports every wrong field, nested paths included", () => {
    const msg = failure(JSON.stringify({ clientId: 123, brightness: 250, scopes: ["video", "camera"] }))
    const lines = msg.split("\n")
    assert.strictEqual(lines.length, 3)
    assert.include(msg, `at ["clientId"]: the Application ID must be a string: put the id in quotes, "clientId": "123"`)
    assert.include(msg, `at ["brightness"]: expected a value between 0 and 100, got 250`)
    assert.include(msg, `at ["scopes"][1]: expected "video" | "screenshare" | "notifications", got "camera"`)
  })

  it("rejects a numeric client id with the digits as written, not as JSON.parse rounded them", () => {
    const msg = failure(`{ "clientId": ${ID} }`)
    assert.include(msg, `at ["clientId"]: the Application ID must be a string: put the id in quotes, "clientId": "${ID}"`)
    // the rounded number is named as what it became, never offered as the id
    assert.include(msg, `(as a JSON number it becomes ${Number(ID)})`)
    assert.notInclude(msg, `"clientId": "${Number(ID)}"`)
  })

  it("accepts onExit \"logo\" and \"clear\" as known keys, and nothing else there", () => {
    for (const onExit of ["logo", "clear"] as const) {
      const r = decodeConfig(FILE, JSON.stringify({ onExit }))
      assert.isTrue(Result.isSuccess(r))
      if (Result.isSuccess(r)) {
        assert.strictEqual(r.success.config.onExit, onExit)
        assert.deepStrictEqual(r.success.unknownKeys, [])
      }
    }
    assert.include(failure(JSON.stringify({ onExit: "blank" })), `at ["onExit"]: expected "clear" | "logo", got "blank"`)
  })

  it("never echoes the client secret in an error", () => {
    const msg = failure(JSON.stringify({ clientSecret: 918273645546372 }))
    assert.include(msg, `at ["clientSecret"]`)
    assert.notInclude(msg, "918273645546372")
  })

  it("gives line and column for broken JSON", () => {
    const msg = failure(`{\n  "clientId": "${ID}",\n}`)
    assert.include(msg, `${FILE}: not valid JSON`)
    assert.include(msg, "line 3, column 1")
  })

  it("rejects a non-object document", () => {
    assert.include(failure("[1,2]"), "expected a JSON object")
  })

  it("lists unknown keys instead of failing", () => {
    const r = decodeConfig(FILE, JSON.stringify({ clientID: ID, brigthness: 3 }))
    assert.isTrue(Result.isSuccess(r))
    if (Result.isSuccess(r)) assert.deepStrictEqual(r.success.unknownKeys, ["clientID", "brigthness"])
  })
})

describe("requiredScopes", () => {
  it("is the fixed base list by default", () => {
    assert.deepStrictEqual(requiredScopes({ scopes: [] }), [...BASE_SCOPES])
    assert.deepStrictEqual(requiredScopes({ scopes: [] }), ["rpc", "identify", "rpc.voice.read", "rpc.voice.write"])
  })

  it("adds camera and screenshare scopes in a fixed order, whatever order they are asked in", () => {
    const expected = [...BASE_SCOPES, "rpc.video.read", "rpc.video.write", "rpc.screenshare.read", "rpc.screenshare.write"]
    assert.deepStrictEqual(requiredScopes({ scopes: ["screenshare", "video"] }), expected)
    assert.deepStrictEqual(requiredScopes({ scopes: ["video"] }, ["screenshare", "video"]), expected)
  })

  it("asks for the camera scopes when the layout has a camera key, without the user listing them", () => {
    const scopes = requiredScopes({ scopes: [], decks: { "*": { keys: { "0": "camera" } } } })
    assert.deepStrictEqual(scopes, [...BASE_SCOPES, "rpc.video.read", "rpc.video.write"])
  })
})

describe("requiredScopes with the connected decks", () => {
  const infoOf = (model: string, serial: string) =>
    Effect.promise(async () => {
      const device = await (await FakeDeck.make({ model, serial })).open()
      const info = describeDeck(serial, device)
      await device.close()
      return info
    })

  it.effect("a camera key only counts where a connected deck has that key", () =>
    Effect.gen(function*() {
      const mini = yield* infoOf("mini", "MINI01") // keys 0–5
      const mk2 = yield* infoOf("original-mk2", "MK201") // keys 0–14
      const config = { scopes: [], decks: { "*": { keys: { "0": "mute", "8": "camera" } } } }
      const video = [...BASE_SCOPES, "rpc.video.read", "rpc.video.write"]
      assert.deepStrictEqual(requiredScopes(config, [], [mini]), [...BASE_SCOPES])
      assert.deepStrictEqual(requiredScopes(config, [], [mini, mk2]), video)
      assert.deepStrictEqual(requiredScopes(config, [], []), [...BASE_SCOPES])
      // on a page too, and a deck's own entry wins over "*"
      const paged = { scopes: [], decks: { "*": { keys: { "0": { action: "page", page: "p" } }, pages: { p: { keys: { "0": { action: "page", page: "home" }, "3": "camera" } } } }, MINI01: { keys: { "0": "mute" } } } }
      assert.deepStrictEqual(requiredScopes(paged, [], [mini]), [...BASE_SCOPES])
      assert.deepStrictEqual(requiredScopes(paged, [], [mk2]), video)
      // the config's own `scopes` stands regardless of decks; without deck knowledge every binding counts
      assert.deepStrictEqual(requiredScopes({ ...config, scopes: ["video"] }, [], [mini]), video)
      assert.deepStrictEqual(requiredScopes(config), video)
    }))
})

describe("paths", () => {
  it("prefers the explicit path, then DECKCORD_CONFIG, then XDG_CONFIG_HOME, then ~/.config", () => {
    const env = { DECKCORD_CONFIG: "/etc/dc.json", XDG_CONFIG_HOME: "/xdg" }
    assert.strictEqual(configFilePath(env, "/home/u", "/cli/c.json"), "/cli/c.json")
    assert.strictEqual(configFilePath(env, "/home/u"), "/etc/dc.json")
    assert.strictEqual(configFilePath({ XDG_CONFIG_HOME: "/xdg" }, "/home/u"), "/xdg/deckcord/config.json")
    assert.strictEqual(configFilePath({}, "/home/u"), "/home/u/.config/deckcord/config.json")
    // relative XDG values are invalid per the spec
    assert.strictEqual(configFilePath({ XDG_CONFIG_HOME: "rel" }, "/home/u"), "/home/u/.config/deckcord/config.json")
  })

  it("keeps tokens under XDG_STATE_HOME", () => {
    assert.strictEqual(tokenFilePath({ XDG_STATE_HOME: "/st" }, "/home/u"), "/st/deckcord/tokens.json")
    assert.strictEqual(tokenFilePath({}, "/home/u"), "/home/u/.local/state/deckcord/tokens.json")
  })
})
