/**
 * The world FakeDiscord starts with: the logged-in user, two guilds with voice and text
 * channels, members already sitting in voice channels, audio devices and soundboard
 * sounds. Ids are realistic snowflakes (17–20 digits) so code that validates ids is
 * exercised; tests refer to them through `fixtures`.
 *
 * @since 0.1.0
 */

/** A user object as Discord's RPC serializes it (docs/discord-rpc.md#handshake-and-ready, docs/discord-rpc.md#get_channel-and-the-channel-object). @category models */
export interface FakeUser {
  readonly id: string
  readonly username: string
  readonly discriminator: string
  readonly global_name: string | null
  readonly avatar: string | null
  readonly bot: boolean
}

/** The server-side and self state of a user in voice (docs/discord-rpc.md#get_channel-and-the-channel-object `voice_state`). @category models */
export interface FakeVoiceState {
  readonly mute: boolean
  readonly deaf: boolean
  readonly self_mute: boolean
  readonly self_deaf: boolean
  readonly suppress: boolean
}

/** A user sitting in a voice channel. @category models */
export interface FakeMember {
  readonly user: FakeUser
  readonly nick: string | null
  readonly voice_state: FakeVoiceState
}

/** @category models */
export interface FakeChannel {
  readonly id: string
  readonly guild_id: string | null
  readonly name: string
  /** 0 text, 2 voice, 4 category, 13 stage (docs/discord-rpc.md#get_channel-and-the-channel-object). */
  readonly type: number
  readonly topic: string | null
  readonly bitrate: number
  /** 0 = unlimited. */
  readonly user_limit: number
  readonly position: number
}

/** @category models */
export interface FakeGuild {
  readonly id: string
  readonly name: string
  readonly icon_url: string | null
  readonly vanity_url_code: string | null
}

/** @category models */
export interface FakeSound {
  readonly sound_id: string
  /** "0" marks Discord's built-in sounds (docs/discord-rpc.md#soundboard). */
  readonly guild_id: string
  readonly name: string
  readonly volume: number
  readonly emoji_id: string | null
  readonly emoji_name: string | null
  readonly user_id: string
  /** False: the user may not play it here (another server's sound without Nitro): 4018. */
  readonly available: boolean
}

/** @category models */
export interface FakeDevice {
  readonly id: string
  readonly name: string
}

const user = (id: string, username: string, globalName: string, avatar: string | null = null): FakeUser => ({
  id,
  username,
  discriminator: "0",
  global_name: globalName,
  avatar,
  bot: false
})

const idle: FakeVoiceState = { mute: false, deaf: false, self_mute: false, self_deaf: false, suppress: false }

const self = user("284102645419212801", "deck_tester", "Deck Tester", "5d1a8b0c9e2f4a6b8c0d2e4f6a8b0c1d")
const alex = user("318047271617740801", "alex.w", "Alex")
const blair = user("402571895341596673", "blairmoon", "Blair", "a_7e3c1f9b2d4a6c8e0f1a3b5c7d9e1f2a")
const casey = user("561309987513204747", "casey_k", "Casey")
const drew = user("699402334781456395", "drewbot", "Drew")

const labGuild: FakeGuild = {
  id: "613425648685547541",
  name: "Stream Deck Lab",
  icon_url: "https://cdn.discordapp.com/icons/613425648685547541/9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d.webp",
  vanity_url_code: null
}
const owlsGuild: FakeGuild = {
  id: "780236417385283604",
  name: "Night Owls",
  icon_url: null,
  vanity_url_code: "nightowls"
}

const channel = (
  id: string,
  guildId: string,
  name: string,
  type: number,
  position: number,
  extra: Partial<Pick<FakeChannel, "topic" | "bitrate" | "user_limit">> = {}
): FakeChannel => ({
  id,
  guild_id: guildId,
  name,
  type,
  topic: extra.topic ?? null,
  bitrate: extra.bitrate ?? (type === 2 || type === 13 ? 64000 : 0),
  user_limit: extra.user_limit ?? 0,
  position
})

const channels = {
  labGeneral: channel("613425648685547543", labGuild.id, "general", 0, 0, { topic: "deck talk" }),
  labVoiceCategory: channel("613425648685547544", labGuild.id, "Voice Channels", 4, 1),
  lounge: channel("613425648685547545", labGuild.id, "Lounge", 2, 2),
  gaming: channel("613425648685547546", labGuild.id, "Gaming", 2, 3, { bitrate: 96000 }),
  /** Full: one seat, taken by Casey (SELECT_VOICE_CHANNEL → 4005 "Channel is full"). */
  booth: channel("613425648685547547", labGuild.id, "Recording Booth", 2, 4, { user_limit: 1 }),
  owlsChat: channel("780236417385283605", owlsGuild.id, "chat", 0, 0),
  lateNight: channel("780236417385283606", owlsGuild.id, "Late Night", 2, 1)
} as const

/**
 * The fixture world. `members` lists who sits in each voice channel at start (the logged-in
 * user is in none; see the `initialVoiceChannelId` option).
 *
 * @category fixtures
 */
export const fixtures = {
  /** The logged-in user (READY and AUTHENTICATE). */
  user: self,
  users: { alex, blair, casey, drew },
  guilds: { lab: labGuild, owls: owlsGuild },
  channels,
  members: {
    [channels.lounge.id]: [
      { user: alex, nick: "Alex (mod)", voice_state: idle },
      { user: blair, nick: null, voice_state: { ...idle, self_mute: true } }
    ],
    [channels.booth.id]: [{ user: casey, nick: null, voice_state: idle }]
  } as Readonly<Record<string, ReadonlyArray<FakeMember>>>,
  devices: {
    input: [
      { id: "default", name: "Default" },
      { id: "alsa_input.usb-Blue_Microphones_Yeti_Stereo_Microphone-00.analog-stereo", name: "Yeti Stereo Microphone" },
      { id: "alsa_input.pci-0000_00_1f.3.analog-stereo", name: "Built-in Audio Analog Stereo" }
    ],
    output: [
      { id: "default", name: "Default" },
      { id: "alsa_output.pci-0000_00_1f.3.analog-stereo", name: "Built-in Audio Analog Stereo" },
      { id: "bluez_output.AC_80_0A_12_34_56.1", name: "WH-1000XM4" }
    ]
  } as { readonly input: ReadonlyArray<FakeDevice>; readonly output: ReadonlyArray<FakeDevice> },
  sounds: [
    // Built-in sounds carry small ids and guild_id "0" (docs/discord-rpc.md#soundboard).
    {
      sound_id: "1",
      guild_id: "0",
      name: "quack",
      volume: 1,
      emoji_id: null,
      emoji_name: "🦆",
      user_id: "0",
      available: true
    },
    {
      sound_id: "1219734528472387604",
      guild_id: labGuild.id,
      name: "airhorn",
      volume: 0.8,
      emoji_id: null,
      emoji_name: "📯",
      user_id: alex.id,
      available: true
    },
    {
      sound_id: "1238493017265467412",
      guild_id: owlsGuild.id,
      name: "owl hoot",
      volume: 1,
      emoji_id: null,
      emoji_name: "🦉",
      user_id: drew.id,
      available: false
    }
  ] as ReadonlyArray<FakeSound>
} as const

/** The application AUTHENTICATE reports when no `clientIds` option names one. */
export const FIXTURE_CLIENT_ID = "1187365420193771520"

/** Every channel of the fixture, in guild then position order. @category fixtures */
export const fixtureChannels: ReadonlyArray<FakeChannel> = Object.values(channels)
