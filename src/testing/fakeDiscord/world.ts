/**
 * FakeDiscord's model of the Discord client: voice settings, guilds and channels, who sits
 * in which voice channel, your local per-user settings, your current channel, camera and
 * screenshare. Every mutation reports the events Discord would dispatch through an
 * `EventSink`; the server decides which subscriptions receive them.
 *
 * Over 400 lines because it is one model: each mutation changes several parts of it (a move
 * changes the channel, its members and the voice states) and reports all their events at once.
 *
 * @since 0.1.0
 */
import {
  type FakeChannel,
  fixtureChannels,
  type FakeDevice,
  type FakeGuild,
  type FakeMember,
  type FakeSound,
  type FakeUser,
  type FakeVoiceState,
  fixtures
} from "./fixtures.ts"

/** Where mutations report what Discord would dispatch. `match` filters subscriptions by args (docs/discord-rpc.md#subscribe-and-unsubscribe). */
export interface EventSink {
  readonly emit: (evt: string, data: unknown, match?: Readonly<Record<string, string>>) => void
}

/** @category models */
export type InputModeType = "PUSH_TO_TALK" | "VOICE_ACTIVITY"

/** @category models */
export interface ShortcutKey {
  readonly type: number
  readonly code: number
  readonly name: string
}

/** The full GET_VOICE_SETTINGS object (docs/discord-rpc.md#get_voice_settings). @category models */
export interface FakeVoiceSettings {
  readonly input: { readonly available_devices: ReadonlyArray<FakeDevice>; readonly device_id: string; readonly volume: number }
  readonly output: { readonly available_devices: ReadonlyArray<FakeDevice>; readonly device_id: string; readonly volume: number }
  readonly mode: {
    readonly type: InputModeType
    readonly auto_threshold: boolean
    readonly threshold: number
    readonly shortcut: ReadonlyArray<ShortcutKey>
    readonly delay: number
  }
  readonly automatic_gain_control: boolean
  readonly echo_cancellation: boolean
  readonly noise_suppression: boolean
  readonly qos: boolean
  readonly silence_warning: boolean
  readonly deaf: boolean
  readonly mute: boolean
}

/** A change to voice settings; tests may also replace `available_devices`. @category models */
export interface FakeVoiceSettingsPatch {
  readonly input?: { readonly available_devices?: ReadonlyArray<FakeDevice>; readonly device_id?: string; readonly volume?: number }
  readonly output?: { readonly available_devices?: ReadonlyArray<FakeDevice>; readonly device_id?: string; readonly volume?: number }
  readonly mode?: Partial<FakeVoiceSettings["mode"]>
  readonly automatic_gain_control?: boolean
  readonly echo_cancellation?: boolean
  readonly noise_suppression?: boolean
  readonly qos?: boolean
  readonly silence_warning?: boolean
  readonly deaf?: boolean
  readonly mute?: boolean
}

/** Your local settings for another user (docs/discord-rpc.md#set_user_voice_settings). @category models */
export interface UserLocalSettings {
  readonly volume: number
  readonly mute: boolean
  readonly pan: { readonly left: number; readonly right: number }
}

/** @category models */
export interface ScreenshareState {
  readonly active: boolean
  readonly pid: number | null
  readonly application: { readonly name: string } | null
}

/** A snapshot of the fake's client state, for assertions. @category models */
export interface FakeDiscordState {
  readonly voiceSettings: FakeVoiceSettings
  readonly selectedVoiceChannelId: string | null
  readonly selectedTextChannelId: string | null
  readonly pushToTalkActive: boolean
  readonly video: boolean
  readonly screenshare: ScreenshareState
  readonly members: Readonly<Record<string, ReadonlyArray<FakeMember>>>
  readonly userSettings: Readonly<Record<string, UserLocalSettings>>
  readonly speaking: ReadonlyArray<string>
  /** Every PLAY_SOUNDBOARD_SOUND that played, oldest first. */
  readonly soundsPlayed: ReadonlyArray<{ readonly guild_id: string; readonly sound_id: string }>
}

const DEFAULT_USER_SETTINGS: UserLocalSettings = { volume: 100, mute: false, pan: { left: 1, right: 1 } }

/** Channel types you can join with SELECT_VOICE_CHANNEL: DM, voice, group DM, stage (docs/discord-rpc.md#select_voice_channel). */
const VOICE_TYPES: ReadonlySet<number> = new Set([1, 2, 3, 13])
/** Channel types SELECT_TEXT_CHANNEL accepts: text, DM, voice (text-in-voice), group DM, news, stage. */
const TEXT_TYPES: ReadonlySet<number> = new Set([0, 1, 2, 3, 5, 13])

/** A plausible voice server host and ping for VOICE_CONNECTION_STATUS (docs/discord-rpc.md#voice_connection_status). */
const VOICE_HOST = "rotterdam4821.discord.media"
const VOICE_PING_MS = 31

const initialSettings = (): FakeVoiceSettings => ({
  input: { available_devices: fixtures.devices.input, device_id: "default", volume: 100 },
  output: { available_devices: fixtures.devices.output, device_id: "default", volume: 100 },
  mode: {
    type: "VOICE_ACTIVITY",
    auto_threshold: true,
    threshold: -60,
    shortcut: [{ type: 0, code: 160, name: "SHIFT" }],
    delay: 20
  },
  automatic_gain_control: true,
  echo_cancellation: true,
  noise_suppression: true,
  qos: false,
  silence_warning: true,
  deaf: false,
  mute: false
})

const mergeSettings = (s: FakeVoiceSettings, p: FakeVoiceSettingsPatch): FakeVoiceSettings => ({
  ...s,
  ...p,
  input: { ...s.input, ...p.input },
  output: { ...s.output, ...p.output },
  mode: { ...s.mode, ...p.mode }
})

interface MemberRecord {
  user: FakeUser
  nick: string | null
  voice_state: FakeVoiceState
}

/** @category models */
export interface WorldOptions {
  readonly user: FakeUser
  readonly voiceSettings?: FakeVoiceSettingsPatch | undefined
  readonly initialVoiceChannelId?: string | null | undefined
}

export class World {
  readonly user: FakeUser
  readonly guilds: ReadonlyMap<string, FakeGuild>
  readonly channels: ReadonlyMap<string, FakeChannel>
  readonly sounds: ReadonlyArray<FakeSound>
  settings: FakeVoiceSettings
  selectedVoiceChannelId: string | null = null
  selectedTextChannelId: string | null = null
  pushToTalkActive = false
  video = false
  screenshare: ScreenshareState = { active: false, pid: null, application: null }
  readonly soundsPlayed: Array<{ guild_id: string; sound_id: string }> = []
  private readonly members = new Map<string, Map<string, MemberRecord>>()
  private readonly userSettings = new Map<string, UserLocalSettings>()
  private readonly speaking = new Set<string>()
  private readonly sink: EventSink

  constructor(options: WorldOptions, sink: EventSink) {
    this.sink = sink
    this.user = options.user
    this.guilds = new Map(Object.values(fixtures.guilds).map((g) => [g.id, g]))
    this.channels = new Map(fixtureChannels.map((c) => [c.id, c]))
    this.sounds = fixtures.sounds
    this.settings = options.voiceSettings ? mergeSettings(initialSettings(), options.voiceSettings) : initialSettings()
    for (const [channelId, list] of Object.entries(fixtures.members)) {
      this.members.set(channelId, new Map(list.map((m) => [m.user.id, { ...m }])))
    }
    const start = options.initialVoiceChannelId
    if (start !== undefined && start !== null) {
      if (!this.isVoiceChannel(start)) throw new Error(`initialVoiceChannelId ${start} is not a fixture voice channel`)
      this.selectedVoiceChannelId = start
      this.channelMembers(start).set(this.user.id, this.selfRecord())
    }
  }

  // ------------------------------------------------------------------------------------------
  // reading
  // ------------------------------------------------------------------------------------------

  isVoiceChannel(id: string): boolean {
    const c = this.channels.get(id)
    return c !== undefined && VOICE_TYPES.has(c.type)
  }

  isTextChannel(type: number): boolean {
    return TEXT_TYPES.has(type)
  }

  isVoiceType(type: number): boolean {
    return VOICE_TYPES.has(type)
  }

  private channelMembers(channelId: string): Map<string, MemberRecord> {
    let map = this.members.get(channelId)
    if (map === undefined) {
      map = new Map()
      this.members.set(channelId, map)
    }
    return map
  }

  memberCount(channelId: string): number {
    return this.members.get(channelId)?.size ?? 0
  }

  /** The channel a user currently sits in, if any. */
  channelOf(userId: string): string | undefined {
    for (const [channelId, map] of this.members) if (map.has(userId)) return channelId
    return undefined
  }

  /** Known to the client: in a voice channel or one of the fixture users. */
  knowsUser(userId: string): boolean {
    return this.channelOf(userId) !== undefined ||
      Object.values(fixtures.users).some((u) => u.id === userId)
  }

  localSettings(userId: string): UserLocalSettings {
    return this.userSettings.get(userId) ?? DEFAULT_USER_SETTINGS
  }

  voiceSettings(): FakeVoiceSettings {
    return this.settings
  }

  /** One `voice_states[]` entry (docs/discord-rpc.md#get_channel-and-the-channel-object): your local settings plus their voice state. */
  voiceEntry(m: MemberRecord | FakeMember): unknown {
    const local = m.user.id === this.user.id ? DEFAULT_USER_SETTINGS : this.localSettings(m.user.id)
    return {
      nick: m.nick,
      mute: local.mute,
      volume: local.volume,
      pan: local.pan,
      voice_state: m.voice_state,
      user: m.user
    }
  }

  voiceEntries(channelId: string): Array<unknown> {
    const map = this.members.get(channelId)
    return map === undefined ? [] : Array.from(map.values(), (m) => this.voiceEntry(m))
  }

  /** The channel object of GET_CHANNEL / SELECT_*_CHANNEL (docs/discord-rpc.md#get_channel-and-the-channel-object). */
  channelObject(c: FakeChannel): unknown {
    return {
      id: c.id,
      guild_id: c.guild_id,
      name: c.name,
      type: c.type,
      topic: c.topic,
      bitrate: c.bitrate,
      user_limit: c.user_limit,
      position: c.position,
      voice_states: this.isVoiceType(c.type) ? this.voiceEntries(c.id) : [],
      messages: []
    }
  }

  connectionStatus(): unknown {
    return this.selectedVoiceChannelId === null
      ? { state: "DISCONNECTED", hostname: null, pings: [], average_ping: null }
      : {
        state: "VOICE_CONNECTED",
        hostname: VOICE_HOST,
        pings: [{ time: Date.now(), value: VOICE_PING_MS }],
        average_ping: VOICE_PING_MS,
        last_ping: VOICE_PING_MS
      }
  }

  guildSummary(g: FakeGuild): unknown {
    return { id: g.id, name: g.name, icon_url: g.icon_url }
  }

  snapshot(): FakeDiscordState {
    const members: Record<string, ReadonlyArray<FakeMember>> = {}
    for (const [channelId, map] of this.members) {
      if (map.size > 0) members[channelId] = Array.from(map.values(), (m) => ({ ...m }))
    }
    return {
      voiceSettings: this.settings,
      selectedVoiceChannelId: this.selectedVoiceChannelId,
      selectedTextChannelId: this.selectedTextChannelId,
      pushToTalkActive: this.pushToTalkActive,
      video: this.video,
      screenshare: this.screenshare,
      members,
      userSettings: Object.fromEntries(this.userSettings),
      speaking: Array.from(this.speaking),
      soundsPlayed: this.soundsPlayed.slice()
    }
  }

  /** The state a new subscription receives at once (docs/discord-rpc.md#subscribe-and-unsubscribe); empty when none. */
  initialDispatches(evt: string, args: Readonly<Record<string, unknown>>): ReadonlyArray<unknown> {
    switch (evt) {
      case "VOICE_SETTINGS_UPDATE":
        return [this.settings]
      case "VOICE_CONNECTION_STATUS":
        return [this.connectionStatus()]
      case "VIDEO_STATE_UPDATE":
        return [{ active: this.video }]
      case "SCREENSHARE_STATE_UPDATE":
        return [this.screenshare]
      case "CURRENT_USER_UPDATE":
        return [this.user]
      case "GUILD_STATUS": {
        const g = this.guilds.get(args["guild_id"] as string)
        return g === undefined ? [] : [{ guild: this.guildSummary(g), online: 0 }]
      }
      case "VOICE_STATE_UPDATE":
        return this.voiceEntries(args["channel_id"] as string)
      default:
        return []
    }
  }

  // ------------------------------------------------------------------------------------------
  // mutating (each reports its events)
  // ------------------------------------------------------------------------------------------

  private selfRecord(): MemberRecord {
    const { deaf, mute } = this.settings
    // Deafened implies muted on the wire (docs/discord-rpc.md#get_voice_settings), though settings.mute may read false.
    return {
      user: this.user,
      nick: null,
      voice_state: { mute: false, deaf: false, self_mute: mute || deaf, self_deaf: deaf, suppress: false }
    }
  }

  /** Apply a settings change; dispatches VOICE_SETTINGS_UPDATE only if something changed. */
  patchVoiceSettings(patch: FakeVoiceSettingsPatch): boolean {
    const before = this.settings
    const next = mergeSettings(before, patch)
    // compared as the JSON payload the event would carry: no event unless that payload differs
    if (JSON.stringify(next) === JSON.stringify(before)) return false
    this.settings = next
    this.sink.emit("VOICE_SETTINGS_UPDATE", next)
    const channelId = this.selectedVoiceChannelId
    if (channelId !== null && (before.mute !== next.mute || before.deaf !== next.deaf)) {
      const record = this.selfRecord()
      this.channelMembers(channelId).set(this.user.id, record)
      this.sink.emit("VOICE_STATE_UPDATE", this.voiceEntry(record), { channel_id: channelId })
    }
    return true
  }

  /** Join (or leave with null) as if the user clicked in Discord. No-op when already there. */
  moveSelf(channelId: string | null): void {
    const from = this.selectedVoiceChannelId
    if (from === channelId) return
    if (from !== null) {
      for (const userId of this.speaking) this.sink.emit("SPEAKING_STOP", { channel_id: from, user_id: userId }, { channel_id: from })
      this.speaking.clear()
      const self = this.channelMembers(from).get(this.user.id)
      this.channelMembers(from).delete(this.user.id)
      if (self) this.sink.emit("VOICE_STATE_DELETE", this.voiceEntry(self), { channel_id: from })
    }
    this.selectedVoiceChannelId = channelId
    if (channelId !== null) {
      const record = this.selfRecord()
      this.channelMembers(channelId).set(this.user.id, record)
      this.sink.emit("VOICE_STATE_CREATE", this.voiceEntry(record), { channel_id: channelId })
    }
    const guildId = channelId === null ? null : this.channels.get(channelId)?.guild_id ?? null
    this.sink.emit("VOICE_CHANNEL_SELECT", { channel_id: channelId, guild_id: guildId })
    this.sink.emit("VOICE_CONNECTION_STATUS", this.connectionStatus())
    if (channelId === null) {
      // Leaving voice ends camera and screenshare.
      if (this.video) this.setVideo(false)
      if (this.screenshare.active) this.setScreenshare(false)
      this.pushToTalkActive = false
    }
  }

  addMember(channelId: string, user: FakeUser, voiceState: Partial<FakeVoiceState> = {}, nick: string | null = null): void {
    const previous = this.channelOf(user.id)
    if (previous !== undefined) this.removeMember(user.id)
    const record: MemberRecord = {
      user,
      nick,
      voice_state: { mute: false, deaf: false, self_mute: false, self_deaf: false, suppress: false, ...voiceState }
    }
    this.channelMembers(channelId).set(user.id, record)
    this.sink.emit("VOICE_STATE_CREATE", this.voiceEntry(record), { channel_id: channelId })
  }

  removeMember(userId: string): boolean {
    const channelId = this.channelOf(userId)
    if (channelId === undefined) return false
    const map = this.channelMembers(channelId)
    const record = map.get(userId)
    if (record === undefined) return false
    if (this.speaking.delete(userId)) {
      this.sink.emit("SPEAKING_STOP", { channel_id: channelId, user_id: userId }, { channel_id: channelId })
    }
    map.delete(userId)
    this.sink.emit("VOICE_STATE_DELETE", this.voiceEntry(record), { channel_id: channelId })
    return true
  }

  updateMember(userId: string, patch: { readonly nick?: string | null; readonly voice_state?: Partial<FakeVoiceState> }): boolean {
    const channelId = this.channelOf(userId)
    if (channelId === undefined) return false
    const record = this.channelMembers(channelId).get(userId)
    if (record === undefined) return false
    if (patch.nick !== undefined) record.nick = patch.nick
    if (patch.voice_state !== undefined) record.voice_state = { ...record.voice_state, ...patch.voice_state }
    this.sink.emit("VOICE_STATE_UPDATE", this.voiceEntry(record), { channel_id: channelId })
    return true
  }

  /** SPEAKING is only for your current channel (docs/discord-rpc.md#speaking_start-and-speaking_stop); others are not heard. */
  setSpeaking(userId: string, speaking: boolean): boolean {
    const channelId = this.selectedVoiceChannelId
    if (channelId === null || !this.channelMembers(channelId).has(userId)) return false
    if (speaking === this.speaking.has(userId)) return false
    if (speaking) this.speaking.add(userId)
    else this.speaking.delete(userId)
    this.sink.emit(speaking ? "SPEAKING_START" : "SPEAKING_STOP", { channel_id: channelId, user_id: userId }, {
      channel_id: channelId
    })
    return true
  }

  setUserSettings(userId: string, patch: Partial<UserLocalSettings>): UserLocalSettings {
    const before = this.localSettings(userId)
    const next = { ...before, ...patch }
    this.userSettings.set(userId, next)
    const channelId = this.channelOf(userId)
    const record = channelId === undefined ? undefined : this.channelMembers(channelId).get(userId)
    // as the JSON payload: an event only when what it would carry differs
    if (channelId !== undefined && record !== undefined && JSON.stringify(before) !== JSON.stringify(next)) {
      this.sink.emit("VOICE_STATE_UPDATE", this.voiceEntry(record), { channel_id: channelId })
    }
    return next
  }

  setVideo(active: boolean): void {
    if (this.video === active) return
    this.video = active
    this.sink.emit("VIDEO_STATE_UPDATE", { active })
  }

  setScreenshare(active: boolean, pid: number | null = null, application: { readonly name: string } | null = null): void {
    const next: ScreenshareState = active ? { active, pid, application } : { active: false, pid: null, application: null }
    if (JSON.stringify(next) === JSON.stringify(this.screenshare)) return // the payload it would carry
    this.screenshare = next
    this.sink.emit("SCREENSHARE_STATE_UPDATE", next)
  }
}
