/**
 * The plugin end to end, as users get it: the built `.sdPlugin` folder, started by a
 * FakeStreamDeckHost the way a host starts it (child process, launch arguments, WebSocket),
 * talking to a FakeDiscord through deckcord's own config and token files.
 */
import { Effect, Exit, Scope } from "effect"
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { fileURLToPath } from "node:url"
import { requiredScopes } from "../../src/index.ts"
import { countPixels, decodePng } from "../support/png.ts"
import { buildPlugin } from "../../src/plugin/Build.ts"
import { actionUuid } from "../../src/plugin/PluginSurface.ts"
import {
  FAKE_HOST_DEVICES,
  type FakeAvatarCdn,
  type FakeDiscordServer,
  type FakeHostProfile,
  FakeStreamDeckHost,
  type FakeStreamDeckHostOptions,
  FIXTURE_CLIENT_ID,
  fixtures,
  makeFakeAvatarCdn,
  simpleAuthority,
  solidPng,
  startFakeDiscord
} from "../../src/testing/index.ts"

const root = fileURLToPath(new URL("../..", import.meta.url))
/**
 * The Node the plugin runs on: the tests' own by default; CI also sets a Node 20 here, the
 * Node Elgato's app (6.5–7.0) gives plugins, so the bundle is proven on it too.
 */
const PLUGIN_NODE = process.env["DECKCORD_PLUGIN_NODE"] || undefined
const TOKEN = "plugin-test-token-0123456789abcdef"
const SCOPES = requiredScopes({ scopes: [] })
const PLUS = FAKE_HOST_DEVICES.plus()

let buildDir: string
let pluginDir: string
/** Members' pictures come from here, never from Discord's CDN: Blair has one, solid magenta. */
let cdn: FakeAvatarCdn
const cdnScope = Effect.runSync(Scope.make())
beforeAll(async () => {
  buildDir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "deckcord-plugin-build-"))
  pluginDir = (await buildPlugin({ root, outDir: buildDir, pack: false })).pluginDir
  cdn = await Effect.runPromise(Scope.provide(makeFakeAvatarCdn, cdnScope))
  cdn.add(fixtures.users.blair.id, fixtures.users.blair.avatar!, solidPng([255, 0, 255], 64))
}, 60_000)
afterAll(async () => {
  Fs.rmSync(buildDir, { recursive: true, force: true })
  await Effect.runPromise(Scope.close(cdnScope, Exit.void))
})

/** Cleanups of the running test, last first. */
const cleanups: Array<() => Promise<void> | void> = []
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!()
})

/** Wait for a fake's state, which changes on socket callbacks and has no change stream. */
const until = async <A>(read: () => A, ok: (a: A) => boolean, what: string): Promise<A> => {
  for (let i = 0; i < 750; i++) {
    const value = read()
    if (ok(value)) return value
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(read())}`)
}

interface Setup {
  readonly fake: FakeDiscordServer
  readonly host: FakeStreamDeckHost
  readonly dir: string
  readonly configPath: string
}

const setup = async (
  options: {
    readonly fake?: Parameters<typeof startFakeDiscord>[0]
    readonly host?: Partial<FakeStreamDeckHostOptions>
    readonly profile?: FakeHostProfile
    readonly configured?: boolean
  } = {}
): Promise<Setup> => {
  const fake = await startFakeDiscord({ authority: simpleAuthority({ [TOKEN]: SCOPES }), ...options.fake })
  cleanups.push(() => fake.close())
  const dir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "deckcord-plugin-"))
  cleanups.push(() => Fs.rmSync(dir, { recursive: true, force: true }))
  const configPath = Path.join(dir, "config", "config.json")
  Fs.mkdirSync(Path.dirname(configPath), { recursive: true })
  const credentials = options.configured === false ? {} : { clientId: FIXTURE_CLIENT_ID, clientSecret: "secret" }
  Fs.writeFileSync(configPath, JSON.stringify({ ...credentials, socketPath: fake.socketPath }))
  const tokenDir = Path.join(dir, "state", "deckcord")
  Fs.mkdirSync(tokenDir, { recursive: true })
  Fs.writeFileSync(
    Path.join(tokenDir, "tokens.json"),
    JSON.stringify({
      version: 1,
      tokens: {
        [FIXTURE_CLIENT_ID]: { accessToken: TOKEN, refreshToken: "r", expiresAt: Date.now() + 5 * 86_400_000, scopes: SCOPES }
      }
    })
  )
  const host = await FakeStreamDeckHost.start({
    pluginDir,
    profile: options.profile ?? "elgato",
    devices: [PLUS],
    env: {
      PATH: process.env["PATH"],
      HOME: dir,
      DECKCORD_CONFIG: configPath,
      XDG_STATE_HOME: Path.join(dir, "state"),
      XDG_CACHE_HOME: Path.join(dir, "cache"),
      XDG_RUNTIME_DIR: fake.runtimeDir,
      DECKCORD_AVATAR_CDN: cdn.baseUrl
    },
    ...(PLUGIN_NODE === undefined ? {} : { node: PLUGIN_NODE }),
    ...options.host
  })
  cleanups.push(async () => {
    await host.close()
  })
  return { fake, host, dir, configPath }
}

/**
 * Wait until the plugin is connected to Discord and synced (its inspector says so), using a
 * status key at the bottom right. Faces of instances added after this are drawn from the
 * live model, so a test can take an instance's first face as its live face.
 */
const live = async (host: FakeStreamDeckHost) => {
  const status = host.addInstance({ action: actionUuid("status"), device: PLUS.id, column: 3, row: 1 })
  const inspector = await host.openInspector(status.context)
  await inspector.waitForMessage((p) => p["type"] === "status" && p["connected"] === true, "the plugin to be live")
  inspector.close()
}

/** The first image the plugin sends to `context` (a face, on a key or a dial segment). */
const firstImage = async (host: FakeStreamDeckHost, context: string, what: string) =>
  host.waitUntil(() => host.lastImage(context), what)

/** Wait until `context` shows an image for which `ok` holds. */
const imageWhere = (host: FakeStreamDeckHost, context: string, ok: (image: Uint8Array) => boolean, what: string) =>
  host.waitUntil(() => {
    const image = host.lastImage(context)
    return image !== undefined && ok(image.bytes) ? image : undefined
  }, what)

const sameBytes = (a: Uint8Array, b: Uint8Array) => Buffer.compare(Buffer.from(a), Buffer.from(b)) === 0

describe("deckcord as a Stream Deck plugin", () => {
  it("a mute key gets its face; pressing it mutes in Discord and the face follows", async () => {
    const { fake, host } = await setup()
    await live(host)
    const mute = host.addInstance({ action: actionUuid("mute"), device: PLUS.id, column: 0, row: 0 })
    const unmuted = await firstImage(host, mute.context, "the mute key's face")
    expect([unmuted.width, unmuted.height]).toEqual([144, 144])

    host.keyDown(mute.context)
    host.keyUp(mute.context)
    await until(() => fake.state().voiceSettings.mute, (m) => m, "SET_VOICE_SETTINGS mute at Discord")
    await imageWhere(host, mute.context, (b) => !sameBytes(b, unmuted.bytes), "the muted face")
    // and back, from Discord's side: the very same unmuted face again
    fake.setVoiceSettings({ mute: false })
    await imageWhere(host, mute.context, (b) => sameBytes(b, unmuted.bytes), "the unmuted face again")
    expect(host.violations).toEqual([])
  })

  it("push-to-talk transmits while held and stops on release", async () => {
    const { fake, host } = await setup({ fake: { voiceSettings: { mode: { type: "PUSH_TO_TALK" } } } })
    await live(host)
    const ptt = host.addInstance({ action: actionUuid("push-to-talk"), device: PLUS.id, column: 1, row: 0 })
    const idle = await firstImage(host, ptt.context, "the PTT face")
    host.keyDown(ptt.context)
    await until(() => fake.state().pushToTalkActive, (a) => a, "push-to-talk active while held")
    await imageWhere(host, ptt.context, (b) => !sameBytes(b, idle.bytes), "the talking face")
    host.keyUp(ptt.context)
    await until(() => fake.state().pushToTalkActive, (a) => !a, "push-to-talk released")
    await imageWhere(host, ptt.context, (b) => sameBytes(b, idle.bytes), "the idle face again")
    expect(host.violations).toEqual([])
  })

  it("releases a held push-to-talk when its key disappears (a page switch drops the keyUp)", async () => {
    const { fake, host } = await setup({ fake: { voiceSettings: { mode: { type: "PUSH_TO_TALK" } } } })
    await live(host)
    const ptt = host.addInstance({ action: actionUuid("push-to-talk"), device: PLUS.id, column: 1, row: 0 })
    const idle = await firstImage(host, ptt.context, "the PTT face")
    host.keyDown(ptt.context)
    await until(() => fake.state().pushToTalkActive, (a) => a, "push-to-talk active while held")
    await imageWhere(host, ptt.context, (b) => !sameBytes(b, idle.bytes), "the talking face")
    host.removeInstance(ptt.context)
    await until(() => fake.state().pushToTalkActive, (a) => !a, "push-to-talk released with its key gone")
    expect(host.violations).toEqual([])
  })

  it("a dial turns a user's volume and shows it on its touch-strip segment", async () => {
    const alex = fixtures.users.alex.id
    const { fake, host } = await setup({ fake: { initialVoiceChannelId: fixtures.channels.lounge.id } })
    await live(host)
    const dial = host.addInstance({
      action: actionUuid("user-volume"),
      device: PLUS.id,
      controller: "Encoder",
      column: 2,
      settings: { user: alex, step: 5 }
    })
    const first = await host.waitUntil(() => host.commandsFor(dial.context, "setFeedback")[0], "the dial's face")
    expect(host.commandsFor(dial.context, "setImage")).toEqual([])
    expect(Object.keys(first.payload as object)).toEqual(["face"])
    const segment = host.lastImage(dial.context)!
    expect([segment.width, segment.height]).toEqual([200, 100])
    host.rotate(dial.context, 2)
    await until(() => fake.state().userSettings[alex]?.volume, (v) => v === 110, "alex's volume up by 2 × 5")
    await imageWhere(host, dial.context, (b) => !sameBytes(b, segment.bytes), "the dial's face showing the new volume")
    expect(host.violations).toEqual([])
  })

  it("a voice-channel key shows its members' pictures from the CDN (initials for the others)", async () => {
    const { blair } = fixtures.users
    const { dir, host } = await setup({ fake: { initialVoiceChannelId: fixtures.channels.lounge.id } })
    await live(host)
    const key = host.addInstance({
      action: actionUuid("voice-channel"),
      device: PLUS.id,
      column: 0,
      row: 0,
      settings: { channel: fixtures.channels.lounge.id }
    })
    // a colour no initials disc has
    const magenta = (r: number, g: number, b: number) => r > 230 && g < 30 && b > 230
    const drawn = await imageWhere(host, key.context, (b) => countPixels(decodePng(b), magenta) > 50, "Blair's picture on the key")
    expect(countPixels(decodePng(drawn.bytes), magenta)).toBeLessThan((144 * 144) / 4) // in a disc, not over the key
    expect(cdn.requestCount(blair.id, blair.avatar!)).toBeGreaterThan(0)
    expect(Fs.readdirSync(Path.join(dir, "cache", "deckcord", "avatars"))).toContain(`${blair.id}-${blair.avatar}.png`)
    expect(host.violations).toEqual([])
  })

  it("settings changed in the property inspector rebind the key", async () => {
    const { fake, host } = await setup()
    await live(host)
    const key = host.addInstance({
      action: actionUuid("voice-processing"),
      device: PLUS.id,
      column: 2,
      row: 1,
      settings: { feature: "noise-suppression" }
    })
    const noiseFace = await firstImage(host, key.context, "the key's face")
    const inspector = await host.openInspector(key.context)
    const status = await inspector.waitForMessage((p) => p["type"] === "status", "the inspector's status")
    expect(status["clientId"]).toBe(FIXTURE_CLIENT_ID)
    expect(JSON.stringify(status)).not.toContain("secret\"")

    const echoBefore = fake.state().voiceSettings.echo_cancellation
    const noiseBefore = fake.state().voiceSettings.noise_suppression
    inspector.setSettings({ feature: "echo-cancellation" })
    await imageWhere(host, key.context, (b) => !sameBytes(b, noiseFace.bytes), "the rebound face")
    host.keyDown(key.context)
    host.keyUp(key.context)
    await until(() => fake.state().voiceSettings.echo_cancellation, (v) => v === !echoBefore, "echo cancellation toggled")
    expect(fake.state().voiceSettings.noise_suppression).toBe(noiseBefore)
    inspector.close()
    expect(host.violations).toEqual([])
  })

  it("the inspector's pickers list the call's members, voice channels and devices from Discord", async () => {
    const { host } = await setup({ fake: { initialVoiceChannelId: fixtures.channels.lounge.id } })
    await live(host)
    const dial = host.addInstance({ action: actionUuid("user-volume"), device: PLUS.id, controller: "Encoder", column: 0 })
    const inspector = await host.openInspector(dial.context)
    inspector.sendToPlugin({ type: "choices" })
    const lists = await inspector.waitForMessage((p) => p["type"] === "choices", "the picker lists")
    const ids = (key: string) => (lists[key] as ReadonlyArray<{ readonly id: string }>).map((c) => c.id)
    expect(ids("members")).toContain(fixtures.users.alex.id)
    expect(ids("voiceChannels")).toContain(fixtures.channels.lounge.id)
    expect(ids("inputDevices")).toContain("default")
    inspector.close()
  })

  it("shows that Discord went away, and recovers when it is back", async () => {
    const { fake, host } = await setup()
    await live(host)
    const mute = host.addInstance({ action: actionUuid("mute"), device: PLUS.id, column: 0, row: 1 })
    const face = await firstImage(host, mute.context, "the live face")
    await fake.stop()
    await imageWhere(host, mute.context, (b) => !sameBytes(b, face.bytes), "the face while Discord is away")
    await fake.start()
    await imageWhere(host, mute.context, (b) => sameBytes(b, face.bytes), "the live face again after Discord restarted")
    expect(host.violations).toEqual([])
  })

  it("ignores unknown and malformed events, and works on OpenDeck's ids and extra events", async () => {
    const { fake, host } = await setup({ profile: "opendeck" })
    host.sendRaw(JSON.stringify({ event: "someEventFromTheFuture", payload: { x: 1 } }))
    host.sendRaw("not json at all")
    host.sendRaw(JSON.stringify({ event: "keyDown", context: 42 }))
    const mute = host.addInstance({ action: actionUuid("mute"), device: PLUS.id, column: 1, row: 1 })
    expect(mute.context).toBe(`${PLUS.id}.Default.Keypad.5.0`)
    await live(host)
    await firstImage(host, mute.context, "the face")
    host.keyDown(mute.context)
    host.keyUp(mute.context)
    await until(() => fake.state().voiceSettings.mute, (m) => m, "muted")
    expect(host.output).toContain("malformed")
    expect(host.violations).toEqual([])
  })

  it("draws a key again when the host shows it again (OpenDeck replays willAppear on every restart)", async () => {
    const { host } = await setup({ profile: "opendeck" })
    await live(host)
    const mute = host.addInstance({ action: actionUuid("mute"), device: PLUS.id, column: 2, row: 0 })
    const face = await firstImage(host, mute.context, "the face")
    const sent = host.commandsFor(mute.context, "setImage").length
    host.sendRaw(JSON.stringify({
      event: "willAppear",
      action: mute.action,
      context: mute.context,
      device: mute.device,
      payload: { controller: "Keypad", coordinates: { column: 2, row: 0 }, isInMultiAction: false, settings: {}, state: 0 }
    }))
    await host.waitUntil(() => host.commandsFor(mute.context, "setImage").length > sent ? true : undefined, "the face sent again")
    expect(sameBytes(host.lastImage(mute.context)!.bytes, face.bytes)).toBe(true)
    expect(host.violations).toEqual([])
  })

  it("an action whose settings are invalid shows an alert and leaves the other keys alone", async () => {
    const { host } = await setup()
    const bad = host.addInstance({ action: actionUuid("voice-channel"), device: PLUS.id, column: 0, row: 0, settings: { channel: "lounge" } })
    const good = host.addInstance({ action: actionUuid("mute"), device: PLUS.id, column: 1, row: 0 })
    await host.waitForCommand((c) => c.context === bad.context && c.event === "showAlert", "an alert on the bad key")
    await host.waitForCommand((c) => c.context === good.context && c.event === "setImage", "the good key's face")
    expect(host.output).toContain("voice channel id")
    // the same warning reaches the host's own log
    await host.waitForCommand(
      (c) => c.event === "logMessage" && JSON.stringify(c.payload).includes("voice channel id"),
      "the warning in the host's log"
    )
    expect(host.violations).toEqual([])
  })

  it("a press Discord refuses shows the error face and the host's alert", async () => {
    const { host } = await setup()
    await live(host)
    const volume = host.addInstance({
      action: actionUuid("user-volume"),
      device: PLUS.id,
      column: 0,
      row: 0,
      settings: { user: "123456789012345678", set: 50 }
    })
    const face = await firstImage(host, volume.context, "the volume key's face")
    expect(host.commandsFor(volume.context, "showAlert")).toEqual([])
    host.keyDown(volume.context)
    host.keyUp(volume.context)
    await host.waitForCommand((c) => c.context === volume.context && c.event === "showAlert", "an alert for the refused volume")
    await imageWhere(host, volume.context, (b) => !sameBytes(b, face.bytes), "the error face")
    expect(host.violations).toEqual([])
  })

  it("first-time setup from the inspector: the secret goes to deckcord's 0600 config, not to the host", async () => {
    const { host, configPath } = await setup({ configured: false })
    const mute = host.addInstance({ action: actionUuid("mute"), device: PLUS.id, column: 0, row: 0 })
    await host.waitForCommand((c) => c.context === mute.context && c.event === "setImage", "the set-up face")
    const inspector = await host.openInspector(mute.context)
    const first = await inspector.waitForMessage((p) => p["type"] === "status", "the status")
    expect(first["message"]).toMatch(/Not set up/)
    inspector.sendToPlugin({ type: "saveSetup", clientId: FIXTURE_CLIENT_ID, clientSecret: "top-secret-value" })
    await inspector.waitForMessage((p) => p["type"] === "status" && p["connected"] === true, "connected after setup")
    const saved = JSON.parse(Fs.readFileSync(configPath, "utf8")) as Record<string, unknown>
    expect(saved["clientId"]).toBe(FIXTURE_CLIENT_ID)
    expect(saved["clientSecret"]).toBe("top-secret-value")
    expect(Fs.statSync(configPath).mode & 0o777).toBe(0o600)
    const toHost = host.commands.filter((c) => c.from === "plugin").map((c) => JSON.stringify(c.raw))
    expect(toHost.some((c) => c.includes("top-secret-value"))).toBe(false)
    expect(host.output).not.toContain("top-secret-value")
    inspector.close()
  })

  it("a broken config file is reported in the host's log, and the plugin stays until the host closes", async () => {
    const fake = await startFakeDiscord({ authority: simpleAuthority({ [TOKEN]: SCOPES }) })
    cleanups.push(() => fake.close())
    const dir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "deckcord-plugin-"))
    cleanups.push(() => Fs.rmSync(dir, { recursive: true, force: true }))
    const configPath = Path.join(dir, "config.json")
    Fs.writeFileSync(configPath, `{ "clientId": "12345" }`)
    const host = await FakeStreamDeckHost.start({
      pluginDir,
      devices: [PLUS],
      env: { PATH: process.env["PATH"], HOME: dir, DECKCORD_CONFIG: configPath, XDG_STATE_HOME: dir },
      ...(PLUGIN_NODE === undefined ? {} : { node: PLUGIN_NODE })
    })
    const logged = await host.waitForCommand(
      (c) => c.event === "logMessage" && JSON.stringify(c.payload).includes("cannot start"),
      "the config error in the host's log"
    )
    expect(JSON.stringify(logged.payload)).toContain("clientId")
    expect(await host.close()).toEqual({ code: 0, signal: null })
  })

  it("exits 0 when the host closes the connection, and on SIGTERM", async () => {
    const first = await setup()
    expect(await first.host.close()).toEqual({ code: 0, signal: null })
    const second = await setup()
    second.host.signal("SIGTERM")
    expect(await second.host.exited).toEqual({ code: 0, signal: null })
  })
})
