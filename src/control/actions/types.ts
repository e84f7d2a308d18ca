/**
 * What an action is: a name, an options schema, a pure face derived from the `VoiceModel`,
 * and an input handler that turns presses, turns and touches into Discord commands.
 * The Controller binds an action to a control with the options from the layout.
 *
 * @since 0.1.0
 */
import { Clock, Context, Duration, Effect, Schema, Stream } from "effect"
import { SNOWFLAKE_PATTERN, type VoiceSettings, type VoiceSettingsPatch } from "../../protocol/Message.ts"
import { CommandDeadline, deadlineFrom, type DiscordRpc, type UserVoiceSettingsPatch } from "../../discord/DiscordRpc.ts"
import type { Face, IconName } from "../../face/Face.ts"
import type { ScopeExtra } from "../../protocol/Scopes.ts"
import { CommandExpiredError, type RpcRequestError } from "../../discord/RpcErrors.ts"
import type { Member, VoiceModel, VoiceState } from "../../discord/VoiceState.ts"

// ---------------------------------------------------------------------------------------------
// models
// ---------------------------------------------------------------------------------------------

/** What a control can be: a key (including Pedal and Neo touch keys) or a dial with its LCD region. */
export type ControlKind = "key" | "encoder"

/** One input on a bound control, already routed to it. */
export type ActionInput =
  | { readonly _tag: "Press" }
  | { readonly _tag: "Release" }
  /** Dial turned by `delta` detents (positive: clockwise). */
  | { readonly _tag: "Rotate"; readonly delta: number }
  /** The LCD region above a dial was tapped. */
  | { readonly _tag: "Touch"; readonly long: boolean }

/** A press could not do what it means; `message` says why and, where there is one, the fix. */
export class ActionError extends Schema.TaggedError<ActionError>()("ActionError", {
  action: Schema.String,
  message: Schema.String
}) {}

/** Every way a handler can fail. */
export type ActionFailure = ActionError | RpcRequestError

// ---------------------------------------------------------------------------------------------
// latest known state
// ---------------------------------------------------------------------------------------------

/**
 * A toggle must act on the latest known state, and the reply to our own SET_* command is
 * newer than the model until Discord's event for it arrives (docs/discord-rpc.md#set_voice_settings: the reply is the full
 * settings after the change). Each reply is kept together with the model value it supersedes;
 * once the model replaces that value, the model is authoritative again (docs/discord-rpc.md#how-deckcord-is-built-on-this).
 */
export interface KnownState {
  /** The voice settings to act on. */
  readonly settings: (model: VoiceModel) => VoiceSettings | undefined
  /** Your local volume and mute for a user, to act on. */
  readonly user: (model: VoiceModel, userId: string) => { readonly volume: number; readonly mute: boolean } | undefined
  /** Record a SET_VOICE_SETTINGS reply. */
  readonly recordSettings: (base: VoiceSettings | undefined, reply: VoiceSettings) => void
  /** Record a SET_USER_VOICE_SETTINGS reply. */
  readonly recordUser: (base: Member | undefined, userId: string, reply: { readonly volume: number; readonly mute: boolean }) => void
}

/** Find a member in your channel or in a watched channel (keys show users anywhere). */
export const findMember = (model: VoiceModel, userId: string): Member | undefined => {
  const here = model.channel?.members.get(userId)
  if (here !== undefined) return here
  for (const channel of model.watched.values()) {
    const there = channel.members.get(userId)
    if (there !== undefined) return there
  }
  return undefined
}

/** A fresh `KnownState` (one per Controller: every key acts on the same knowledge). */
export const makeKnownState = (): KnownState => {
  let settings: { base: VoiceSettings | undefined; reply: VoiceSettings } | undefined
  const users = new Map<string, { base: Member | undefined; reply: { volume: number; mute: boolean } }>()
  return {
    settings: (model) => (settings !== undefined && model.settings === settings.base ? settings.reply : model.settings),
    user: (model, userId) => {
      const member = findMember(model, userId)
      const known = users.get(userId)
      if (known !== undefined && member === known.base) return known.reply
      return member === undefined ? undefined : { volume: member.localVolume, mute: member.localMute }
    },
    recordSettings: (base, reply) => void (settings = { base, reply }),
    recordUser: (base, userId, reply) => void users.set(userId, { base, reply: { ...reply } })
  }
}

/** Self mute as Discord means it: deafened implies muted (docs/discord-rpc.md#get_voice_settings). */
export const isMuted = (s: VoiceSettings | undefined): boolean => s?.mute === true || s?.deaf === true
export const isDeafened = (s: VoiceSettings | undefined): boolean => s?.deaf === true

// ---------------------------------------------------------------------------------------------
// the handler's environment
// ---------------------------------------------------------------------------------------------

/** Whether the model is current: connected, authorized and synced after the latest Ready. */
export const isLive = (model: VoiceModel): boolean => model.connection._tag === "Ready" && model.synced

/**
 * A stateful press (a toggle) waits at most this long for Discord to be connected and synced,
 * then gives up like a queued command does (DiscordRpc's `DEFAULT_COMMAND_DEADLINE`):
 * a mute pressed long ago must not land now.
 */
export const LIVE_WAIT_MILLIS = 5_000

/**
 * When the input being handled entered deckcord, set by the Controller for a release (which
 * has no `CommandDeadline`), so a handler can time a press from entry to entry, unaffected
 * by how long either waited in the key's queue.
 */
export const InputEnteredAt = Context.Reference<number | undefined>("deckcord/InputEnteredAt", {
  defaultValue: () => undefined
})

/** Everything a handler may use. Built per Controller; tests build one over stubs. */
export interface ActionEnv {
  readonly rpc: DiscordRpc["Service"]
  readonly voice: VoiceState["Service"]
  readonly known: KnownState
  /** How long a stateful press waits for a live model. */
  readonly liveWaitMillis: number
}

/**
 * The latest model once it is live (toggles need current state), or CommandExpired. It waits
 * until the press's deadline (`CommandDeadline`, set from when the press entered), else
 * `liveWaitMillis` from now; the error says whether Discord was away or still being read.
 */
export const liveModel = (env: ActionEnv, cmd: string): Effect.Effect<VoiceModel, CommandExpiredError> =>
  Effect.gen(function*() {
    const now = yield* Clock.currentTimeMillis
    const deadline = (yield* CommandDeadline) ?? deadlineFrom(now, env.liveWaitMillis)
    const expired = Effect.gen(function*() {
      const model = yield* env.voice.get
      const at = yield* Clock.currentTimeMillis
      return yield* new CommandExpiredError({
        cmd,
        waitedMillis: Math.max(0, at - deadline.enteredAt),
        ...(model.connection._tag === "Ready"
          ? { reason: "Discord was connected but its voice state was not read" }
          : {})
      })
    })
    if (now >= deadline.expiresAt) return yield* expired
    return yield* env.voice.changes.pipe(
      Stream.filter(isLive),
      Stream.take(1),
      Stream.runHead,
      Effect.flatMap((o) => (o._tag === "Some" ? Effect.succeed(o.value) : Effect.never)),
      Effect.timeoutOrElse({ duration: Duration.millis(deadline.expiresAt - now), orElse: () => expired })
    )
  })

/** SET_VOICE_SETTINGS, remembering the reply as the latest known settings. */
export const setVoiceSettings = (env: ActionEnv, patch: VoiceSettingsPatch): Effect.Effect<VoiceSettings, RpcRequestError> =>
  env.rpc.setVoiceSettings(patch).pipe(
    Effect.tap((reply) =>
      Effect.map(env.voice.get, (model) => env.known.recordSettings(model.settings, reply))
    )
  )

/** SET_USER_VOICE_SETTINGS, remembering the reply. */
export const setUserVoiceSettings = (
  env: ActionEnv,
  userId: string,
  patch: UserVoiceSettingsPatch
): Effect.Effect<void, RpcRequestError> =>
  env.rpc.setUserVoiceSettings(userId, patch).pipe(
    Effect.flatMap((reply) =>
      Effect.map(env.voice.get, (model) => {
        const before = env.known.user(model, userId)
        env.known.recordUser(findMember(model, userId), userId, {
          volume: reply.volume ?? before?.volume ?? patch.volume ?? 100,
          mute: reply.mute ?? before?.mute ?? patch.mute ?? false
        })
      })
    )
  )

// ---------------------------------------------------------------------------------------------
// the action definition
// ---------------------------------------------------------------------------------------------

/** A binding's own state (e.g. which member a dial adjusts), read and written by its handler. */
export interface LocalState<L> {
  readonly get: Effect.Effect<L>
  readonly set: (value: L) => Effect.Effect<void>
}

/** What a handler receives. */
export interface HandlerContext<O, L> {
  readonly options: O
  readonly control: ControlKind
  readonly env: ActionEnv
  readonly local: LocalState<L>
  /** Show another page of this deck's layout (`HOME_PAGE` for its own keys). */
  readonly navigate: (page: string) => Effect.Effect<void>
}

/**
 * An action. `O` is its decoded options, `L` its per-binding local state.
 * `face` must be pure: the same model, options and local state give the same face.
 */
export interface ActionDef<O, L = undefined> {
  /** The name used in layouts, e.g. "mute". */
  readonly name: string
  /** One line for docs and error messages. */
  readonly summary: string
  /** A short label shown while Discord is unavailable, so a user still knows the key. */
  readonly title: string
  readonly icon: IconName
  /** The options (every field except `action`, `label`, `icon`, colours). */
  readonly options: Schema.Codec<O, unknown>
  readonly initial: (options: O) => L
  readonly face: (model: VoiceModel, options: O, local: L, control: ControlKind) => Face
  readonly handle: (input: ActionInput, ctx: HandlerContext<O, L>) => Effect.Effect<void, ActionFailure>
  /** Voice channels whose members this binding shows (`VoiceState.watchChannel`). */
  readonly watches?: (options: O) => ReadonlyArray<string>
  /** Extra OAuth scopes this binding needs (docs/discord-rpc.md#scopes-per-command). */
  readonly scopes?: ReadonlyArray<ScopeExtra>
  /** Extra OAuth scopes that depend on the options (a multi-action's steps). */
  readonly scopesFor?: (options: O) => ReadonlyArray<ScopeExtra>
  /** Needs no Discord (page navigation): its face and presses work while Discord is unavailable. */
  readonly offline?: boolean
}

// the scope groups are Discord's vocabulary; re-exported for the actions that declare them
export { SCOPE_EXTRAS, type ScopeExtra } from "../../protocol/Scopes.ts"

/** Type-checks a definition without widening its types. */
export const defineAction = <O, L = undefined>(def: ActionDef<O, L>): ActionDef<O, L> => def

/** A definition with its types erased, as the registry holds it. */
// `any`: an existential, each entry has its own O and L
export type AnyActionDef = ActionDef<any, any>

/** No options at all. */
export const NoOptions = Schema.Struct({})

/** Clamp to a range and round to a whole number (Discord rejects out-of-range values, docs/discord-rpc.md#set_voice_settings). */
export const clamp = (value: number, min: number, max: number): number =>
  Math.min(max, Math.max(min, Math.round(value)))

/** A Discord id in a layout: where to find one is the fix when it is wrong. */
export const DiscordId = (what: string) =>
  Schema.String.check(
    Schema.isPattern(SNOWFLAKE_PATTERN, {
      message: `expected a ${what} id (17–20 digits; enable Developer Mode in Discord, then right-click → Copy ID)`
    })
  )
