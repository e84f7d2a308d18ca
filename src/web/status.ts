/**
 * What the Status page shows, as one JSON snapshot: the connection (with the reason and the
 * fix when it is down), who is authorized with which scopes and until when, your voice state,
 * each deck, and whether an application is configured. Never a secret or a token.
 *
 * @since 0.1.0
 */
import { Effect, Stream } from "effect"
import type { DeckInfo, DeckStatus } from "../services/Deck.ts"
import { Deck } from "../services/Deck.ts"
import { type ConnectionState, DiscordRpc } from "../services/DiscordRpc.ts"
import { Settings } from "../services/Settings.ts"
import { type VoiceModel, VoiceState } from "../services/VoiceState.ts"

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
          kind: state.reason.kind,
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
export const statusNow: Effect.Effect<StatusView, never, DiscordRpc | VoiceState | Deck | Settings> = Effect.gen(function*() {
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
export const statusChanges: Stream.Stream<StatusView, never, DiscordRpc | VoiceState | Deck | Settings> = Stream.unwrap(
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
