import { assert, describe, it } from "@effect/vitest"
import { Context, Duration, Effect, Exit, Layer, Redacted, Schedule, Scope, Stream } from "effect"
import {
  type Authenticated,
  authenticateWith,
  AuthenticationError,
  Authenticator,
  CHANNEL_FETCH_RETRIES,
  DiscordRpc,
  type VoiceModel,
  VoiceState
} from "../src/index.ts"
import {
  FakeDiscord,
  fakeDiscordClient,
  type FakeDiscordOptions,
  type FakeDiscordShape,
  fixtures,
  simpleAuthority
} from "../src/testing/index.ts"
import { captureLogs } from "./support/effects.ts"

const TOKEN = "tok"
const ALL_SCOPES = [
  "rpc",
  "identify",
  "rpc.voice.read",
  "rpc.voice.write",
  "rpc.video.read",
  "rpc.screenshare.read"
]
const BASE_SCOPES = ["rpc", "identify", "rpc.voice.read", "rpc.voice.write"]
/** Generous: real sockets, and a reconnect after `stop`/`start`. */
const WAIT = Duration.seconds(10)

const { lounge, gaming, lateNight } = fixtures.channels
const { alex, blair, casey, drew } = fixtures.users
const self = fixtures.user

/** AUTHENTICATE with `token`, but report `claimScopes` (forces a real 4006 from the fake). */
const claimingAuthenticator = (token: string, claimScopes: ReadonlyArray<string>) =>
  Layer.succeed(Authenticator, {
    authenticate: (session) =>
      authenticateWith(session, Redacted.make(token)).pipe(
        Effect.map((a): Authenticated => ({ ...a, scopes: claimScopes })),
        Effect.mapError((e) => new AuthenticationError({ message: e.message, retry: true }))
      ),
    tokenRevoked: Effect.void,
    scopeRejected: () => Effect.succeed(false)
  })

interface Harness {
  readonly fake: FakeDiscordShape
  readonly voice: VoiceState["Service"]
  readonly rpc: DiscordRpc["Service"]
}

const harness = (
  options: {
    readonly fake?: FakeDiscordOptions
    readonly scopes?: ReadonlyArray<string>
    readonly authenticator?: Layer.Layer<Authenticator>
  } = {}
) =>
  Effect.gen(function*() {
    const fake = yield* FakeDiscord.make({
      authority: simpleAuthority({ [TOKEN]: options.scopes ?? ALL_SCOPES }),
      ...options.fake
    })
    const layer = fakeDiscordClient(fake, {
      token: TOKEN,
      ...(options.authenticator === undefined ? {} : { authenticator: options.authenticator })
    })
    const context = yield* Layer.build(layer)
    return { fake, voice: Context.get(context, VoiceState), rpc: Context.get(context, DiscordRpc) } satisfies Harness
  })

/** The first model satisfying `predicate` (waiting on `changes`, never sleeping). */
const until = (voice: VoiceState["Service"], predicate: (m: VoiceModel) => boolean, what: string) =>
  voice.changes.pipe(
    Stream.filter(predicate),
    Stream.take(1),
    Stream.runHead,
    Effect.flatMap(Effect.fromOption),
    Effect.timeoutOrElse({
      duration: WAIT,
      orElse: () =>
        voice.get.pipe(Effect.flatMap((m) =>
          Effect.die(new Error(`timed out waiting for: ${what}; last model: ${describeModel(m)}`))
        ))
    })
  )

const describeModel = (m: VoiceModel) =>
  JSON.stringify({
    connection: m.connection._tag,
    synced: m.synced,
    muted: m.muted,
    deafened: m.deafened,
    channel: m.channel && { id: m.channel.id, members: Array.from(m.channel.members.values()) },
    watched: Array.from(m.watched.values(), (c) => ({ id: c.id, members: Array.from(c.members.keys()) }))
  })

const synced = (voice: VoiceState["Service"]) => until(voice, (m) => m.synced, "synced")

const memberIds = (m: VoiceModel) => Array.from(m.channel?.members.keys() ?? [])

const channelSubs = (fake: FakeDiscordShape, channelId: string) =>
  fake.subscriptions.pipe(
    Effect.map((subs) => subs.filter((s) => s.args.channel_id === channelId).map((s) => s.evt).sort())
  )

/** Wait until the fake's subscriptions for a channel are `expected` (they are sent asynchronously). */
const subsBecome = (fake: FakeDiscordShape, channelId: string, expected: ReadonlyArray<string>) =>
  channelSubs(fake, channelId).pipe(
    Effect.repeat({ until: (evts) => evts.join() === [...expected].sort().join(), schedule: spacedPoll }),
    Effect.timeoutOrElse({
      duration: WAIT,
      orElse: () =>
        channelSubs(fake, channelId).pipe(Effect.flatMap((evts) =>
          Effect.die(new Error(`subscriptions for ${channelId}: ${evts.join()} (wanted ${expected.join()})`))
        ))
    })
  )

/** Polls the fake's bookkeeping (it has no change stream); the assertion is the condition. */
const spacedPoll = Schedule.spaced(Duration.millis(10))


/** Wait until `check` holds (for things with no change stream: logs, the fake's frame log). */
const eventually = (check: () => boolean, what: string) =>
  Effect.sync(check).pipe(
    Effect.repeat({ until: (ok) => ok, schedule: spacedPoll }),
    Effect.timeoutOrElse({ duration: WAIT, orElse: () => Effect.die(new Error(`timed out waiting for: ${what}`)) })
  )

const VOICE_STATE_EVENTS = ["VOICE_STATE_CREATE", "VOICE_STATE_DELETE", "VOICE_STATE_UPDATE"]
const CURRENT_CHANNEL_EVENTS = [...VOICE_STATE_EVENTS, "SPEAKING_START", "SPEAKING_STOP"]

describe("VoiceState", () => {
  it.live("initial sync: settings, channel with members and guild name, soundboard, self id", () =>
    Effect.gen(function*() {
      const { fake, voice } = yield* harness({
        fake: { initialVoiceChannelId: lounge.id, voiceSettings: { mode: { type: "PUSH_TO_TALK" } } }
      })
      const m = yield* until(
        voice,
        (m) => m.synced && m.channel?.guildName != null && m.voiceConnection !== undefined,
        "synced with guild name"
      )
      assert.strictEqual(m.connection._tag, "Ready")
      assert.strictEqual(m.selfId, self.id)
      assert.strictEqual(m.inputMode, "PUSH_TO_TALK")
      assert.isFalse(m.muted)
      assert.isFalse(m.deafened)
      assert.strictEqual(m.settings?.input?.device_id, "default")
      assert.strictEqual(m.channel?.id, lounge.id)
      assert.strictEqual(m.channel?.name, "Lounge")
      assert.strictEqual(m.channel?.guildId, fixtures.guilds.lab.id)
      assert.strictEqual(m.channel?.guildName, "Stream Deck Lab")
      assert.deepStrictEqual(memberIds(m), [alex.id, blair.id, self.id])
      const a = m.channel?.members.get(alex.id)
      assert.strictEqual(a?.name, "Alex (mod)") // nick first
      assert.strictEqual(m.channel?.members.get(blair.id)?.name, "Blair") // then global name
      assert.isTrue(m.channel?.members.get(blair.id)?.selfMute)
      assert.strictEqual(a?.localVolume, 100)
      assert.isFalse(a?.speaking)
      assert.deepStrictEqual(m.soundboard.map((s) => s.name), ["quack", "airhorn", "owl hoot"])
      assert.strictEqual(m.voiceConnection?.state, "VOICE_CONNECTED")
      yield* subsBecome(fake, lounge.id, CURRENT_CHANNEL_EVENTS)
    }))

  it.live("not in a channel: channel is null, and synced", () =>
    Effect.gen(function*() {
      const { fake, voice } = yield* harness()
      // VOICE_CONNECTION_STATUS has no command: it arrives as the subscription's initial dispatch
      const m = yield* until(voice, (m) => m.synced && m.voiceConnection !== undefined, "synced")
      assert.isNull(m.channel)
      assert.strictEqual(m.voiceConnection?.state, "DISCONNECTED")
      const subs = yield* fake.subscriptions
      assert.deepStrictEqual(subs.filter((s) => s.args.channel_id !== undefined), [])
      assert.includeMembers(subs.map((s) => s.evt), ["VOICE_SETTINGS_UPDATE", "VOICE_CHANNEL_SELECT", "VOICE_CONNECTION_STATUS"])
    }))

  it.live("mute and deafen follow VOICE_SETTINGS_UPDATE; deafened implies muted", () =>
    Effect.gen(function*() {
      const { fake, voice } = yield* harness()
      yield* synced(voice)
      yield* fake.setVoiceSettings({ mute: true })
      yield* until(voice, (m) => m.muted && !m.deafened, "muted")
      yield* fake.setVoiceSettings({ mute: false, deaf: true })
      const m = yield* until(voice, (m) => m.deafened, "deafened")
      assert.strictEqual(m.settings?.mute, false)
      assert.isTrue(m.muted, "deafened implies muted (docs/discord-rpc.md#get_voice_settings)")
      yield* fake.setVoiceSettings({ deaf: false })
      yield* until(voice, (m) => !m.muted && !m.deafened, "neither")
    }))

  it.live("input mode changes", () =>
    Effect.gen(function*() {
      const { fake, voice } = yield* harness()
      const m = yield* synced(voice)
      assert.strictEqual(m.inputMode, "VOICE_ACTIVITY")
      yield* fake.setVoiceSettings({ mode: { type: "PUSH_TO_TALK" } })
      yield* until(voice, (m) => m.inputMode === "PUSH_TO_TALK", "push to talk")
    }))

  it.live("moving channels fetches the new members and moves the subscriptions", () =>
    Effect.gen(function*() {
      const { fake, voice } = yield* harness({ fake: { initialVoiceChannelId: gaming.id } })
      const first = yield* synced(voice)
      assert.deepStrictEqual(memberIds(first), [self.id])
      yield* subsBecome(fake, gaming.id, CURRENT_CHANNEL_EVENTS)

      yield* fake.moveSelfTo(lounge.id)
      const m = yield* until(
        voice,
        (m) => m.channel?.id === lounge.id && m.channel.name === "Lounge" && m.channel.members.size === 3,
        "in the lounge with its members"
      )
      assert.deepStrictEqual(new Set(memberIds(m)), new Set([alex.id, blair.id, self.id]))
      yield* subsBecome(fake, gaming.id, [])
      yield* subsBecome(fake, lounge.id, CURRENT_CHANNEL_EVENTS)
      // subscribe first, then fetch: no change slips between the two (docs/discord-rpc.md#following-the-current-channel)
      const sent = (yield* fake.framesReceived()).map((f) =>
        f.payload as { cmd?: string; evt?: string; args?: { channel_id?: string } }
      )
      const subscribed = sent.findIndex((p) => p.cmd === "SUBSCRIBE" && p.args?.channel_id === lounge.id)
      const fetched = sent.findIndex((p) => p.cmd === "GET_CHANNEL" && p.args?.channel_id === lounge.id)
      assert.isAtLeast(subscribed, 0)
      assert.isAbove(fetched, subscribed)

      yield* fake.moveSelfTo(null)
      yield* until(voice, (m) => m.channel === null, "left voice")
      yield* subsBecome(fake, lounge.id, [])
    }))

  it.live("members join, change and leave", () =>
    Effect.gen(function*() {
      const { fake, voice } = yield* harness({ fake: { initialVoiceChannelId: lounge.id } })
      yield* synced(voice)
      yield* subsBecome(fake, lounge.id, CURRENT_CHANNEL_EVENTS)

      yield* fake.addMember(lounge.id, drew, { self_deaf: true }, "Drew D")
      let m = yield* until(voice, (m) => m.channel?.members.has(drew.id) === true, "drew joined")
      assert.strictEqual(memberIds(m).at(-1), drew.id, "join order")
      assert.strictEqual(m.channel?.members.get(drew.id)?.name, "Drew D")
      assert.isTrue(m.channel?.members.get(drew.id)?.selfDeaf)

      yield* fake.updateMember(alex.id, { voice_state: { mute: true } })
      m = yield* until(voice, (m) => m.channel?.members.get(alex.id)?.serverMute === true, "alex server-muted")
      assert.strictEqual(memberIds(m)[0], alex.id, "an update keeps the member's place")

      yield* fake.setUserVoiceSettings(blair.id, { volume: 150, mute: true })
      m = yield* until(voice, (m) => m.channel?.members.get(blair.id)?.localVolume === 150, "blair's local volume")
      assert.isTrue(m.channel?.members.get(blair.id)?.localMute, "top-level mute is your local mute (docs/discord-rpc.md#get_channel-and-the-channel-object)")
      assert.isTrue(m.channel?.members.get(blair.id)?.selfMute, "voice_state still holds their own")

      yield* fake.removeMember(alex.id)
      m = yield* until(voice, (m) => m.channel?.members.has(alex.id) === false, "alex left")
      assert.deepStrictEqual(memberIds(m), [blair.id, self.id, drew.id])
    }))

  it.live("speaking starts and stops, and resets when the member leaves or you move", () =>
    Effect.gen(function*() {
      const { fake, voice } = yield* harness({ fake: { initialVoiceChannelId: lounge.id } })
      yield* synced(voice)
      yield* subsBecome(fake, lounge.id, CURRENT_CHANNEL_EVENTS)
      const speaking = (id: string) => (m: VoiceModel) => m.channel?.members.get(id)?.speaking === true

      yield* fake.startSpeaking(alex.id)
      yield* fake.startSpeaking(blair.id)
      yield* until(voice, (m) => speaking(alex.id)(m) && speaking(blair.id)(m), "both speaking")
      yield* fake.stopSpeaking(alex.id)
      const m = yield* until(voice, (m) => !speaking(alex.id)(m), "alex stopped")
      assert.isTrue(speaking(blair.id)(m))

      // Blair leaves mid-sentence, comes back: not speaking
      yield* fake.removeMember(blair.id)
      yield* until(voice, (m) => m.channel?.members.has(blair.id) === false, "blair left")
      yield* fake.addMember(lounge.id, blair)
      const back = yield* until(voice, (m) => m.channel?.members.has(blair.id) === true, "blair back")
      assert.isFalse(speaking(blair.id)(back))

      // many events in a burst end in the right state
      for (let i = 0; i < 200; i++) {
        yield* fake.startSpeaking(alex.id)
        yield* fake.stopSpeaking(alex.id)
      }
      yield* fake.startSpeaking(alex.id)
      yield* until(voice, speaking(alex.id), "alex speaking after a burst")

      yield* fake.moveSelfTo(gaming.id)
      const moved = yield* until(voice, (m) => m.channel?.id === gaming.id, "moved")
      assert.isFalse([...(moved.channel?.members.values() ?? [])].some((x) => x.speaking))
    }))

  it.live("a Discord restart: synced false while down, then re-synced with what changed meanwhile", () =>
    Effect.gen(function*() {
      const { fake, voice } = yield* harness({ fake: { initialVoiceChannelId: lounge.id } })
      yield* until(voice, (m) => m.synced && m.channel?.members.size === 3, "synced in the lounge")
      yield* fake.startSpeaking(alex.id)
      yield* until(voice, (m) => m.channel?.members.get(alex.id)?.speaking === true, "alex speaking")

      yield* fake.stop
      const down = yield* until(voice, (m) => !m.synced, "unsynced")
      assert.notStrictEqual(down.connection._tag, "Ready")
      // what changes while deckcord cannot see it
      yield* Effect.sync(() => fake.server.world.patchVoiceSettings({ mute: true }))
      yield* Effect.sync(() => fake.server.world.removeMember(blair.id))
      yield* fake.start

      const m = yield* until(voice, (m) => m.synced && m.connection._tag === "Ready", "re-synced")
      assert.isTrue(m.muted, "the mute toggled while down")
      assert.deepStrictEqual(new Set(memberIds(m)), new Set([alex.id, self.id]))
      assert.isFalse(m.channel?.members.get(alex.id)?.speaking, "speaking does not survive a reconnect")
      yield* subsBecome(fake, lounge.id, CURRENT_CHANNEL_EVENTS)
      // and events flow again
      yield* fake.setVoiceSettings({ mute: false })
      yield* until(voice, (m) => !m.muted, "unmuted after the restart")
    }))

  it.live("watchChannel: shared by reference count, released with the caller's scope", () =>
    Effect.gen(function*() {
      const { fake, voice } = yield* harness({ fake: { initialVoiceChannelId: gaming.id } })
      yield* synced(voice)
      const a = yield* Scope.make()
      const b = yield* Scope.make()
      yield* voice.watchChannel(lounge.id).pipe(Scope.provide(a))
      yield* voice.watchChannel(lounge.id).pipe(Scope.provide(b))
      const m = yield* until(
        voice,
        (m) => m.watched.get(lounge.id)?.members.size === 2 && m.watched.get(lounge.id)?.guildName != null,
        "the lounge watched"
      )
      assert.strictEqual(m.watched.get(lounge.id)?.name, "Lounge")
      assert.strictEqual(m.watched.size, 1)
      yield* subsBecome(fake, lounge.id, VOICE_STATE_EVENTS) // once, no SPEAKING for a watched channel
      const remote = (yield* fake.subscriptions).filter((s) => s.args.channel_id === lounge.id)
      assert.strictEqual(remote.length, 3, "two watchers share one remote subscription each")

      // two channels subscribed: a join is attributed to the right one
      yield* fake.addMember(lounge.id, drew)
      const joined = yield* until(voice, (m) => m.watched.get(lounge.id)?.members.has(drew.id) === true, "drew in lounge")
      assert.isFalse(joined.channel?.members.has(drew.id), "not in the current channel")
      yield* fake.updateMember(alex.id, { voice_state: { self_mute: true } })
      yield* until(voice, (m) => m.watched.get(lounge.id)?.members.get(alex.id)?.selfMute === true, "alex muted")
      yield* fake.removeMember(drew.id)
      yield* until(voice, (m) => m.watched.get(lounge.id)?.members.has(drew.id) === false, "drew left")

      yield* Scope.close(a, Exit.void)
      assert.isTrue((yield* voice.get).watched.has(lounge.id), "still watched by the other")
      assert.strictEqual((yield* channelSubs(fake, lounge.id)).length, 3)
      yield* Scope.close(b, Exit.void)
      yield* until(voice, (m) => !m.watched.has(lounge.id), "no longer watched")
      yield* subsBecome(fake, lounge.id, [])
      yield* subsBecome(fake, gaming.id, CURRENT_CHANNEL_EVENTS)
    }))

  it.live("watching the current channel does not double-subscribe, and survives leaving it", () =>
    Effect.gen(function*() {
      const { fake, voice } = yield* harness({ fake: { initialVoiceChannelId: lounge.id } })
      yield* synced(voice)
      const scope = yield* Scope.make()
      yield* voice.watchChannel(lounge.id).pipe(Scope.provide(scope))
      const m = yield* until(voice, (m) => m.watched.has(lounge.id), "watched")
      assert.strictEqual(m.watched.get(lounge.id), m.channel, "one view of the channel")
      const remote = (yield* fake.subscriptions).filter((s) => s.args.channel_id === lounge.id)
      assert.strictEqual(remote.length, 5)

      yield* fake.moveSelfTo(lateNight.id)
      yield* until(voice, (m) => m.channel?.id === lateNight.id, "moved")
      yield* subsBecome(fake, lounge.id, VOICE_STATE_EVENTS)
      const after = yield* until(
        voice,
        (m) => m.watched.get(lounge.id)?.members.size === 2,
        "the lounge without you"
      )
      assert.deepStrictEqual(Array.from(after.watched.get(lounge.id)?.members.keys() ?? []), [alex.id, blair.id])
      yield* Scope.close(scope, Exit.void)
      yield* subsBecome(fake, lounge.id, [])
    }))

  it.live("camera and screenshare flags", () =>
    Effect.gen(function*() {
      const { fake, voice } = yield* harness({ fake: { initialVoiceChannelId: lounge.id } })
      yield* synced(voice)
      yield* until(voice, (m) => !m.video && !m.screenshare, "both off")
      yield* fake.setVideo(true)
      yield* until(voice, (m) => m.video, "camera on")
      yield* fake.setScreenshare(true, 4242, { name: "obs" })
      yield* until(voice, (m) => m.screenshare, "sharing")
      yield* fake.setVideo(false)
      const m = yield* until(voice, (m) => !m.video, "camera off")
      assert.isTrue(m.screenshare)
    }))

  it.live("without video/screenshare scopes: nothing subscribed for them, said once, the rest syncs", () => {
    const logs = captureLogs()
    return Effect.gen(function*() {
      const { fake, voice } = yield* harness({ scopes: BASE_SCOPES })
      const m = yield* synced(voice)
      assert.isFalse(m.video)
      const evts = (yield* fake.subscriptions).map((s) => s.evt)
      assert.notInclude(evts, "VIDEO_STATE_UPDATE")
      assert.notInclude(evts, "SCREENSHARE_STATE_UPDATE")
      yield* fake.setVoiceSettings({ mute: true })
      yield* until(voice, (m) => m.muted, "events still flow")

      yield* fake.drop
      yield* until(voice, (m) => !m.synced, "dropped")
      yield* synced(voice)
      const said = logs.lines.filter((l) => l.includes("rpc.video.read"))
      assert.strictEqual(said.length, 1, said.join("\n"))
      assert.match(said[0]!, /^Info/)
    }).pipe(Effect.provide(logs.layer))
  })

  it.live("a channel that cannot be loaded is retried, then logged with Discord's message", () => {
    const logs = captureLogs()
    const unknown = "100000000000000001"
    return Effect.gen(function*() {
      const { fake, voice } = yield* harness()
      yield* synced(voice)
      yield* voice.watchChannel(unknown)
      yield* eventually(() => logs.lines.some((l) => l.includes(unknown)), "the failure logged")
      const line = logs.lines.find((l) => l.includes(unknown))!
      assert.match(line, /^Warn/)
      assert.include(line, "Invalid channel id")
      const asked = (yield* fake.framesReceived()).filter((f) => {
        const p = f.payload as { cmd?: string; args?: { channel_id?: string } }
        return p.cmd === "GET_CHANNEL" && p.args?.channel_id === unknown
      })
      assert.strictEqual(asked.length, 1 + CHANNEL_FETCH_RETRIES)
      const m = yield* voice.get
      assert.isTrue(m.synced, "one bad channel does not unsync the rest")
      assert.strictEqual(m.watched.get(unknown)?.members.size, 0)
    }).pipe(Effect.provide(logs.layer))
  })

  it.live("a 4006 on an optional subscription does not break sync", () =>
    Effect.gen(function*() {
      // the token lacks the video scopes, but the authenticator claims them: the fake answers 4006
      const { fake, voice } = yield* harness({
        scopes: BASE_SCOPES,
        authenticator: claimingAuthenticator(TOKEN, ALL_SCOPES),
        fake: { initialVoiceChannelId: lounge.id }
      })
      const m = yield* until(voice, (m) => m.synced && m.channel?.members.size === 3, "synced")
      assert.isFalse(m.video)
      const frames = yield* fake.framesReceived()
      const asked = frames.map((f) => f.payload as { cmd?: string; evt?: string })
        .filter((p) => p.cmd === "SUBSCRIBE").map((p) => p.evt)
      assert.include(asked, "VIDEO_STATE_UPDATE", "it was tried")
      assert.notInclude((yield* fake.subscriptions).map((s) => s.evt), "VIDEO_STATE_UPDATE")
      yield* fake.addMember(lounge.id, casey)
      yield* until(voice, (m) => m.channel?.members.has(casey.id) === true, "member events still flow")
    }))

  it.live("setTalking records deckcord's push-to-talk", () =>
    Effect.gen(function*() {
      const { voice } = yield* harness()
      yield* voice.setTalking(true)
      assert.isTrue((yield* voice.get).talking)
      yield* voice.setTalking(false)
      assert.isFalse((yield* voice.get).talking)
    }))
})
