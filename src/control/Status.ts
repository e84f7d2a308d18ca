/**
 * The status snapshot the control API serves (`GET /api/status`, the `Status` events): a pure
 * function of the voice model and the decks, and the live versions of it. Holds no secret.
 *
 * @since 0.2.0
 */
import { Effect, Stream } from "effect"
import { Deck, type DeckInfo, type DeckStatus as HidStatus } from "../deck/Deck.ts"
import type { VoiceModel } from "../discord/VoiceState.ts"
import { VoiceState } from "../discord/VoiceState.ts"
import { VERSION } from "../version.ts"
import type { ConnectionStatus, DeckStatus, Status } from "./Api.ts"
import { VirtualDecks } from "./VirtualDecks.ts"

export const connectionStatus = (model: VoiceModel): ConnectionStatus => {
  const c = model.connection
  const live = c._tag === "Ready" && model.synced
  if (c._tag !== "Disconnected") return { state: c._tag, live }
  return {
    state: c._tag,
    live,
    reason: c.reason._tag,
    message: c.reason.message,
    ...(c.reason.hint === undefined ? {} : { fix: c.reason.hint })
  }
}

export const deckStatus = (info: DeckInfo, virtual: boolean): DeckStatus => ({
  serial: info.serial,
  model: info.model,
  productName: info.productName,
  virtual,
  columns: info.columns,
  rows: info.rows,
  keys: info.keys.map((k) => ({
    index: k.index,
    row: k.row,
    column: k.column,
    feedback: k.feedback,
    ...(k.pixelSize === undefined ? {} : { width: k.pixelSize.width, height: k.pixelSize.height })
  })),
  encoders: info.encoders.map((e) => ({
    index: e.index,
    row: e.row,
    column: e.column,
    ...(e.lcdRegion === undefined ? {} : { width: e.lcdRegion.width, height: e.lcdRegion.height })
  }))
})

/** The status snapshot. Holds no secret: no client secret, no token, no OAuth grant. */
export const statusOf = (
  model: VoiceModel,
  decks: ReadonlyMap<string, DeckInfo>,
  access: HidStatus,
  virtual: ReadonlySet<string>
): Status => {
  const c = model.connection
  const user = c._tag === "Ready" || c._tag === "Authenticating" ? c.user : undefined
  return {
    version: VERSION,
    connection: connectionStatus(model),
    user: user === undefined ? null : { id: user.id, name: user.global_name || user.username || user.id },
    authorization: c._tag === "Ready" && c.authenticated !== undefined
      ? {
        application: c.authenticated.application?.name ?? c.authenticated.application?.id ?? null,
        scopes: c.authenticated.scopes ?? [],
        expires: c.authenticated.expires ?? null
      }
      : null,
    muted: model.muted,
    deafened: model.deafened,
    inputMode: model.inputMode === "PUSH_TO_TALK"
      ? "push-to-talk"
      : model.inputMode === "VOICE_ACTIVITY"
      ? "voice-activity"
      : null,
    talking: model.talking,
    inputVolume: model.settings?.input?.volume ?? null,
    outputVolume: model.settings?.output?.volume ?? null,
    channel: model.channel === null ? null : {
      id: model.channel.id,
      name: model.channel.name,
      guildId: model.channel.guildId,
      guildName: model.channel.guildName,
      members: [...model.channel.members.values()].map((m) => ({
        id: m.id,
        name: m.name,
        bot: m.bot,
        speaking: m.speaking,
        selfMute: m.selfMute,
        selfDeaf: m.selfDeaf,
        serverMute: m.serverMute,
        serverDeaf: m.serverDeaf,
        localMute: m.localMute,
        localVolume: m.localVolume
      }))
    },
    decks: [...decks.values()].map((d) => deckStatus(d, virtual.has(d.serial))),
    deckAccess: access._tag === "Ok" ? { ok: true } : { ok: false, message: access.message, fix: access.hint }
  }
}

/** The current status, from the live services. */
export const currentStatus = Effect.gen(function*() {
  const voice = yield* VoiceState
  const deck = yield* Deck
  const virtual = yield* VirtualDecks
  return statusOf(
    yield* voice.get,
    yield* deck.decks,
    yield* deck.status,
    new Set((yield* virtual.decks).map((d) => d.serial))
  )
})

/** The status now, then after every change that shows (one snapshot per change). */
export const statusChanges = Effect.gen(function*() {
  const voice = yield* VoiceState
  const deck = yield* Deck
  const context = yield* Effect.context<VoiceState | Deck | VirtualDecks>()
  const ticks = Stream.mergeAll([
    Stream.map(voice.changes, () => undefined),
    Stream.map(deck.deckChanges, () => undefined),
    Stream.map(deck.statusChanges, () => undefined)
  ], { concurrency: "unbounded" })
  return ticks.pipe(
    Stream.mapEffect(() => Effect.provideContext(currentStatus, context)),
    Stream.changes // Equal.equals: structural, unlike comparing JSON strings, key order does not matter
  )
})
