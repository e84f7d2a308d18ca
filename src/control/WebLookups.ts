/**
 * What the web UI asks of the daemon beyond the typed control API: the Status page's snapshot
 * (the connection with its reason and fix, who is authorized with which scopes and until
 * when, your voice state, each deck, whether an application is configured), the layout
 * editor's pickers filled from Discord by name, and Authorize. Here, in the middle, so the
 * web routes never talk to Discord themselves. Never a secret or a token.
 *
 * @since 0.2.0
 */
import { Context, Duration, Effect, Layer, Stream } from "effect"
import { ChannelType } from "../protocol/Message.ts"
import type { DeckInfo, DeckStatus } from "../deck/Deck.ts"
import { Deck } from "../deck/Deck.ts"
import { type ConnectionState, DiscordRpc } from "../discord/DiscordRpc.ts"
import { Settings, type SettingsFileError } from "../config/Settings.ts"
import { TokenStore } from "../auth/TokenStore.ts"
import { type VoiceModel, VoiceState } from "../discord/VoiceState.ts"
import { Invalid, NotConnected, Refused } from "./Api.ts"

export interface ConnectionView {
  readonly state: ConnectionState["_tag"]
  /** One line for people: what is happening now. */
  readonly summary: string
  /** Why it is down, and what fixes it. */
  readonly reason?: { readonly kind: string; readonly message: string; readonly hint?: string; readonly closeCode?: number }
  readonly user?: { readonly id: string; readonly name: string }
  readonly scopes?: ReadonlyArray<string>
  /** When the access token expires (ISO), as Discord said at AUTHENTICATE. */
  readonly expires?: string
  readonly application?: string
  readonly socketPath?: string
}

export interface StatusView {
  readonly connection: ConnectionView
  readonly voice: {
    readonly synced: boolean
    readonly muted: boolean
    readonly deafened: boolean
    readonly inputMode: string | null
    readonly channel: { readonly id: string; readonly name: string; readonly guildName: string | null; readonly members: ReadonlyArray<string> } | null
  }
  readonly decks: ReadonlyArray<DeckInfo & { readonly connected: boolean }>
  readonly deckStatus: DeckStatus
  readonly setup: { readonly clientId: string | null; readonly hasSecret: boolean; readonly configFile: string }
}

const userName = (user: { readonly id: string; readonly username?: string; readonly global_name?: string | null } | undefined) =>
  user === undefined ? undefined : { id: user.id, name: user.global_name ?? user.username ?? user.id }

export const connectionView = (state: ConnectionState): ConnectionView => {
  switch (state._tag) {
    case "Disconnected":
      return {
        state: state._tag,
        summary: state.reason.message,
        reason: {
          kind: state.reason._tag,
          message: state.reason.message,
          ...(state.reason.hint !== undefined ? { hint: state.reason.hint } : {}),
          ...(state.reason.closeCode !== undefined ? { closeCode: state.reason.closeCode } : {})
        }
      }
    case "Connecting":
      return { state: state._tag, summary: "Connecting to Discord…" }
    case "Authenticating": {
      const user = userName(state.user)
      return {
        state: state._tag,
        summary: "Authorizing — if Discord shows a prompt, switch to Discord and click Authorize",
        ...(user ? { user } : {})
      }
    }
    case "Ready": {
      const user = userName(state.authenticated?.user ?? state.user)
      const auth = state.authenticated
      return {
        state: state._tag,
        summary: user ? `Connected as ${user.name}` : "Connected",
        socketPath: state.socketPath,
        ...(user ? { user } : {}),
        ...(auth?.scopes ? { scopes: auth.scopes } : {}),
        ...(auth?.expires ? { expires: auth.expires } : {}),
        ...(auth?.application?.name ? { application: auth.application.name } : {})
      }
    }
  }
}

const voiceView = (model: VoiceModel): StatusView["voice"] => ({
  synced: model.synced,
  muted: model.muted,
  deafened: model.deafened,
  inputMode: model.inputMode ?? null,
  channel: model.channel === null
    ? null
    : {
      id: model.channel.id,
      name: model.channel.name,
      guildName: model.channel.guildName,
      members: [...model.channel.members.values()].map((m) => m.name)
    }
})

/** The snapshot now. */
const statusNow: Effect.Effect<StatusView, never, DiscordRpc | VoiceState | Deck | Settings> = Effect.gen(function*() {
  const rpc = yield* DiscordRpc
  const voice = yield* VoiceState
  const deck = yield* Deck
  const settings = yield* Settings
  const config = yield* settings.config
  const decks = yield* deck.decks
  return {
    connection: connectionView(yield* rpc.state),
    voice: voiceView(yield* voice.get),
    decks: [...decks.values()].map((d) => ({ ...d, connected: true })),
    deckStatus: yield* deck.status,
    setup: { clientId: config.clientId ?? null, hasSecret: config.clientSecret !== undefined, configFile: settings.file }
  }
})

/** The snapshot, then a new one whenever something it shows changed (equal ones are skipped). */
const statusChanges: Stream.Stream<StatusView, never, DiscordRpc | VoiceState | Deck | Settings> = Stream.unwrap(
  Effect.gen(function*() {
    const rpc = yield* DiscordRpc
    const voice = yield* VoiceState
    const deck = yield* Deck
    const settings = yield* Settings
    const context = yield* Effect.context<DiscordRpc | VoiceState | Deck | Settings>()
    const ticks = Stream.mergeAll(
      [
        Stream.map(rpc.stateChanges, () => undefined),
        Stream.map(voice.changes, () => undefined),
        Stream.map(deck.deckChanges, () => undefined),
        Stream.map(deck.statusChanges, () => undefined),
        Stream.map(settings.changes, () => undefined)
      ],
      { concurrency: "unbounded" }
    )
    let last = ""
    return ticks.pipe(
      Stream.mapEffect(() => Effect.provideContext(statusNow, context)),
      Stream.filter((view) => {
        const text = JSON.stringify(view)
        if (text === last) return false
        last = text
        return true
      })
    )
  })
)

// ---------------------------------------------------------------------------------------------
// pickers and Authorize
// ---------------------------------------------------------------------------------------------

/** Pickers ask Discord directly; they must answer quickly or say why not. */
const PICKER_TIMEOUT = Duration.seconds(5)

export interface NamedGuild {
  readonly id: string
  readonly name: string
}
export interface NamedChannel {
  readonly id: string
  readonly name: string
  readonly type: number
}
export interface NamedMember {
  readonly id: string
  readonly name: string
  /** The channel you see them in. */
  readonly channel: string
}
export interface NamedSound {
  readonly sound: string
  /** "0" for Discord's built-in sounds. */
  readonly guild: string
  readonly name: string
  readonly emoji: string | null
}
export interface NamedDevices {
  readonly input: ReadonlyArray<{ readonly id: string; readonly name: string }>
  readonly output: ReadonlyArray<{ readonly id: string; readonly name: string }>
}

type LookupError = NotConnected | Refused

export class WebLookups extends Context.Service<WebLookups, {
  readonly status: Effect.Effect<StatusView>
  readonly statusChanges: Stream.Stream<StatusView>
  readonly guilds: Effect.Effect<ReadonlyArray<NamedGuild>, LookupError>
  readonly channels: (guildId: string, kind: "voice" | "text") => Effect.Effect<ReadonlyArray<NamedChannel>, LookupError>
  /** Members of your voice channel and of watched channels, without you. */
  readonly members: Effect.Effect<ReadonlyArray<NamedMember>, LookupError>
  /** The sounds you can play. */
  readonly sounds: Effect.Effect<ReadonlyArray<NamedSound>, LookupError>
  readonly devices: Effect.Effect<NamedDevices, LookupError>
  /**
   * Connect again so the daemon's OAuth flow runs, as at start: it authorizes when no token
   * is stored (`reauthorize` forgets the stored one first, so Discord asks again).
   */
  readonly authorize: (options: { readonly reauthorize: boolean }) => Effect.Effect<void, Invalid | SettingsFileError>
}>()("deckcord/control/WebLookups") {
  static readonly layer: Layer.Layer<WebLookups, never, DiscordRpc | VoiceState | Deck | Settings | TokenStore> = Layer
    .effect(
      WebLookups,
      Effect.gen(function*() {
        const context = yield* Effect.context<DiscordRpc | VoiceState | Deck | Settings>()
        const rpc = yield* DiscordRpc
        const voice = yield* VoiceState
        const settings = yield* Settings
        const tokens = yield* TokenStore

        const whenConnected = <A, E>(lookup: Effect.Effect<A, E>): Effect.Effect<A, LookupError> =>
          Effect.gen(function*() {
            const state = yield* rpc.state
            if (state._tag !== "Ready") {
              const view = connectionView(state)
              return yield* new NotConnected({
                message: `Discord is not connected: ${view.summary}`,
                ...(view.reason?.hint !== undefined ? { fix: view.reason.hint } : {})
              })
            }
            return yield* lookup.pipe(
              Effect.timeout(PICKER_TIMEOUT),
              Effect.mapError((e: unknown) =>
                new Refused({ message: `Discord did not answer: ${(e as { readonly message?: string }).message ?? String(e)}` })
              )
            )
          })

        return WebLookups.of({
          status: Effect.provideContext(statusNow, context),
          statusChanges: Stream.provideContext(statusChanges, context),
          guilds: whenConnected(rpc.getGuilds).pipe(
            Effect.map((guilds) =>
              guilds.map((g) => ({ id: g.id, name: g.name ?? g.id })).sort((a, b) => a.name.localeCompare(b.name))
            )
          ),
          channels: (guildId, kind) => {
            const types: ReadonlyArray<number> = kind === "voice"
              ? [ChannelType.GuildVoice, ChannelType.GuildStageVoice]
              : [ChannelType.GuildText]
            return whenConnected(rpc.getChannels(guildId)).pipe(
              Effect.map((channels) =>
                channels.flatMap((c) =>
                  c.type !== undefined && types.includes(c.type) ? [{ id: c.id, name: c.name ?? c.id, type: c.type }] : []
                )
              )
            )
          },
          members: whenConnected(voice.get).pipe(
            Effect.map((model) => {
              const seen = new Map<string, NamedMember>()
              for (const channel of [...(model.channel ? [model.channel] : []), ...model.watched.values()]) {
                for (const member of channel.members.values()) {
                  if (member.id !== model.selfId && !seen.has(member.id)) {
                    seen.set(member.id, { id: member.id, name: member.name, channel: channel.name })
                  }
                }
              }
              return [...seen.values()]
            })
          ),
          sounds: whenConnected(rpc.getSoundboardSounds).pipe(
            Effect.map((sounds) =>
              sounds.flatMap((s) =>
                s.available === false
                  ? []
                  : [{ sound: s.sound_id, guild: s.guild_id ?? "0", name: s.name ?? s.sound_id, emoji: s.emoji_name ?? null }]
              )
            )
          ),
          devices: whenConnected(rpc.getVoiceSettings).pipe(
            Effect.map((s) => ({ input: s.input?.available_devices ?? [], output: s.output?.available_devices ?? [] }))
          ),
          authorize: ({ reauthorize }) =>
            Effect.gen(function*() {
              const config = yield* settings.config
              if (config.clientId === undefined) {
                return yield* new Invalid({ message: "save the Application ID and Client Secret first" })
              }
              if (reauthorize) yield* tokens.remove(config.clientId)
              yield* Effect.logInfo("authorizing from the web UI: reconnecting to Discord")
              yield* rpc.reconnect
            })
        })
      })
    )
}
