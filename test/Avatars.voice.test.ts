/**
 * Avatars end to end: FakeDiscord's voice states through the daemon's model layer
 * (`voiceModelLayer`) to the voice-channel key and the user-volume dial, with the pictures
 * from a fake CDN, and rendered.
 */
import { NodeServices } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { Context, Duration, Effect, FileSystem, Layer, Stream, SubscriptionRef } from "effect"
import { avatarKey, type AvatarSettings, controlId, Controller, Deck, type DeckcordConfig, Settings, type VoiceModel, voiceModelLayer, VoiceState } from "../src/index.ts"
import { type FakeCdnMode, FakeDeckProvider, FakeDiscord, fakeDiscordClient, FIXTURE_CLIENT_ID, fixtures, makeFakeAvatarCdn, simpleAuthority, solidPng } from "../src/testing/index.ts"
import { userVolume, voiceChannel } from "../src/control/actions/index.ts"
import { FONT_FILES, faceLayout, KeyRenderer, loadFonts, makeKeyRenderer } from "../src/face/KeyRenderer.ts"
import { noSystemFonts } from "../src/face/SystemFonts.ts"

const TOKEN = "tok"
const { lounge } = fixtures.channels
const { alex, blair } = fixtures.users
const self = fixtures.user
const MAGENTA = [255, 0, 255] as const
const WAIT = Duration.seconds(10)

/** The fake in the Lounge with Alex (no picture) and Blair (an animated one), a fake CDN with Blair's and yours. */
const harness = (
  config: { readonly avatars?: boolean },
  settings: Omit<AvatarSettings, "baseUrl" | "cacheDir"> = {},
  mode: FakeCdnMode = "ok"
) =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const dir = yield* fs.makeTempDirectoryScoped({ prefix: "deckcord-avatars-" })
    const cdn = yield* makeFakeAvatarCdn
    cdn.add(blair.id, blair.avatar!, solidPng(MAGENTA, 64))
    cdn.add(self.id, self.avatar!, solidPng([255, 0, 0], 64))
    cdn.setMode(mode)
    const fake = yield* FakeDiscord.make({
      authority: simpleAuthority({ [TOKEN]: ["rpc", "identify", "rpc.voice.read", "rpc.voice.write"] }),
      initialVoiceChannelId: lounge.id
    })
    const model = voiceModelLayer(config, { cacheDir: dir, baseUrl: cdn.baseUrl, ...settings }).pipe(Layer.provide(NodeServices.layer))
    const discord = fakeDiscordClient(fake, { token: TOKEN, voiceState: model })
    // a key for the Lounge on a fake Mini, through the real Controller, Deck and renderer
    const configRef = yield* SubscriptionRef.make<DeckcordConfig>({
      clientId: FIXTURE_CLIENT_ID,
      brightness: 60,
      scopes: [],
      decks: { "*": { keys: { "0": { action: "voice-channel", channel: lounge.id } } } }
    })
    const settingsLayer = Layer.succeed(Settings)(Settings.of({
      file: "/test/config.json",
      config: SubscriptionRef.get(configRef),
      changes: SubscriptionRef.changes(configRef),
      saveCredentials: () => Effect.die("not used")
    }))
    const decks = Deck.layerWith({ writeRetryDelay: "1 millis" }).pipe(
      Layer.provideMerge(FakeDeckProvider.layer({ decks: ["mini"] })),
      Layer.provideMerge(KeyRenderer.layer)
    )
    const context = yield* Layer.build(Controller.layer.pipe(Layer.provideMerge(Layer.mergeAll(discord, decks, settingsLayer))))
    const [mini] = yield* Context.get(context, FakeDeckProvider).decks
    return { cdn, dir, fake, voice: Context.get(context, VoiceState), controller: Context.get(context, Controller), serial: mini!.serial }
  }).pipe(Effect.provide(NodeServices.layer))

const until = (voice: VoiceState["Service"], predicate: (m: VoiceModel) => boolean, what: string) =>
  voice.changes.pipe(
    Stream.filter(predicate),
    Stream.take(1),
    Stream.runHead,
    Effect.flatMap(Effect.fromOption),
    Effect.timeoutOrElse({ duration: WAIT, orElse: () => Effect.die(new Error(`timed out waiting for ${what}`)) })
  )

const inLounge = (m: VoiceModel) => m.synced && m.channel?.id === lounge.id && m.channel.members.size === 3
const keyOf = (user: { readonly id: string; readonly avatar: string | null }) => avatarKey(user.id, user.avatar)!

describe("avatars on keys", () => {
  it.live("the voice-channel key shows the pictures of those who have one and initials for the rest; the dial its user's", () =>
    Effect.gen(function*() {
      const { cdn, fake, voice } = yield* harness({})
      const model = yield* until(voice, (m) => inLounge(m) && (m.avatars?.size ?? 0) === 2, "both pictures")
      const face = voiceChannel.face(model, { channel: lounge.id }, undefined, "key")
      const byInitials = new Map(face.avatars?.map((a) => [a.initials, a]))
      assert.deepStrictEqual([...byInitials.keys()].sort(), ["A", "B", "DT"])
      assert.strictEqual(byInitials.get("B")?.image, model.avatars?.get(keyOf(blair)))
      assert.isDefined(byInitials.get("DT")?.image, "your own picture")
      assert.isUndefined(byInitials.get("A")?.image, "Alex has none: initials")

      // one request per picture, however often the model changed meanwhile
      yield* fake.startSpeaking(alex.id)
      yield* until(voice, (m) => m.channel?.members.get(alex.id)?.speaking === true, "Alex speaking")
      assert.strictEqual(cdn.requestCount(blair.id, blair.avatar!), 1)
      assert.strictEqual(cdn.requestCount(), 2)

      // drawn: Blair's disc is her picture
      const renderer = yield* makeKeyRenderer(FONT_FILES, noSystemFonts)
      const dial = userVolume.face(model, { user: blair.id }, { selected: undefined }, "encoder")
      assert.strictEqual(dial.avatars?.[0]?.image, model.avatars?.get(keyOf(blair)))
      const size = { width: 200, height: 100 }
      const glyph = faceLayout(Effect.runSync(loadFonts(FONT_FILES, noSystemFonts)), dial, size).glyph
      assert.strictEqual(glyph?._tag, "Avatars")
      const disc = glyph?._tag === "Avatars" ? glyph.people[0]!.box : undefined
      const pixels = yield* renderer.render(dial, size)
      const at = (Math.round(disc!.y + disc!.height / 2) * size.width + Math.round(disc!.x + disc!.width / 2)) * 4
      assert.deepStrictEqual([...pixels.rgba.subarray(at, at + 3)], [...MAGENTA])
    }).pipe(Effect.scoped))

  it.live("avatars: false shows initials and never asks the CDN", () =>
    Effect.gen(function*() {
      const { cdn, dir, voice } = yield* harness({ avatars: false })
      const model = yield* until(voice, inLounge, "the Lounge's members")
      const face = voiceChannel.face(model, { channel: lounge.id }, undefined, "key")
      assert.deepStrictEqual(face.avatars?.map((a) => [a.initials, a.image]).sort(), [["A", undefined], ["B", undefined], ["DT", undefined]])
      assert.strictEqual(cdn.requestCount(), 0)
      assert.deepStrictEqual(yield* Effect.provide(FileSystem.FileSystem.use((fs) => fs.readDirectory(dir)), NodeServices.layer), [])
    }).pipe(Effect.scoped))

  it.live("offline: initials first, the pictures once the CDN answers again", () =>
    Effect.gen(function*() {
      const { cdn, voice } = yield* harness({}, { retryBase: "20 millis", retryCap: "40 millis" }, "cut")
      yield* until(voice, inLounge, "the Lounge's members")
      yield* cdn.awaitRequests(2)
      const offline = yield* voice.get
      assert.isTrue(
        voiceChannel.face(offline, { channel: lounge.id }, undefined, "key").avatars?.every((a) => a.image === undefined),
        "initials while the CDN is away"
      )
      assert.strictEqual(offline.avatars?.size ?? 0, 0)
      cdn.setMode("ok")
      const back = yield* until(voice, (m) => (m.avatars?.size ?? 0) === 2, "the pictures after the outage")
      assert.isDefined(back.avatars?.get(keyOf(blair)))
    }).pipe(Effect.scoped))

  it.live("the key is redrawn when a picture arrives after an outage", () =>
    Effect.gen(function*() {
      const { cdn, controller, serial } = yield* harness({}, { retryBase: "20 millis", retryCap: "40 millis" }, "fail")
      const key = controlId(serial, { kind: "key", index: 0 })
      const keyFace = (ok: (avatars: ReadonlyArray<{ readonly image?: string }>) => boolean, what: string) =>
        controller.faceChanges.pipe(
          Stream.map((faces) => faces.get(key)?.avatars),
          Stream.filter((avatars) => avatars !== undefined && avatars.length === 3 && ok(avatars)),
          Stream.take(1),
          Stream.runHead,
          Effect.flatMap(Effect.fromOption),
          Effect.timeoutOrElse({ duration: WAIT, orElse: () => Effect.die(new Error(`timed out waiting for ${what}`)) })
        )
      yield* keyFace((people) => people.every((p) => p.image === undefined), "initials on the key")
      yield* cdn.awaitRequests(2)
      cdn.setMode("ok")
      const drawn = yield* keyFace((people) => people.filter((p) => p.image !== undefined).length === 2, "the pictures on the key")
      assert.strictEqual(drawn?.filter((p) => p.image === undefined).length, 1, "Alex keeps his initials")
    }).pipe(Effect.scoped))

  it.live("a new picture (a new hash) is fetched; the old one is no longer shown", () =>
    Effect.gen(function*() {
      const { cdn, fake, voice } = yield* harness({})
      yield* until(voice, (m) => inLounge(m) && (m.avatars?.size ?? 0) === 2, "both pictures")
      const changed = { ...blair, avatar: "00112233445566778899aabbccddeeff" }
      cdn.add(changed.id, changed.avatar, solidPng([0, 255, 0], 64))
      yield* fake.removeMember(blair.id)
      yield* fake.addMember(lounge.id, changed)
      const model = yield* until(voice, (m) => m.avatars?.has(keyOf(changed)) === true, "Blair's new picture")
      const face = voiceChannel.face(model, { channel: lounge.id }, undefined, "key")
      assert.strictEqual(face.avatars?.find((a) => a.initials === "B")?.image, model.avatars?.get(keyOf(changed)))
    }).pipe(Effect.scoped))
})
