/**
 * What the control API does: actions run through the Controller's press path, and presses on
 * a deck's controls (the status it serves is `Status.ts`). Every failure becomes one of the
 * API's four tagged errors with a message for the user.
 *
 * @since 0.2.0
 */
import { Cause, Clock, Effect, Schema, Stream } from "effect"
import { ChannelType, isSnowflake } from "../protocol/Message.ts"
import {
  type ActionFailure,
  type ActionInput,
  defineAction,
  DiscordId,
  deafen,
  inputMode,
  inputVolume,
  leaveCall,
  liveModel,
  mute,
  outputVolume,
  pushToTalk,
  soundboard
} from "./actions/index.ts"
import { Controller } from "./Controller.ts"
import { Deck, type DeckInfo, type DeckInputEvent } from "../deck/Deck.ts"
import { DiscordRpc } from "../discord/DiscordRpc.ts"
import { VoiceState } from "../discord/VoiceState.ts"
import {
  type Action,
  type ActionResult,
  type ControlFailure,
  type DeckPress,
  Invalid,
  NotConnected,
  NotFound,
  Refused
} from "./Api.ts"
import { VirtualDecks } from "./VirtualDecks.ts"

// ---------------------------------------------------------------------------------------------
// failures
// ---------------------------------------------------------------------------------------------

/** The fix for "not connected", from the connection's own reason when it has one. */
const notConnected = (message: string) =>
  Effect.gen(function*() {
    const model = yield* (yield* VoiceState).get
    const c = model.connection
    const fix = c._tag === "Disconnected" ? c.reason.hint ?? c.reason.message : undefined
    return new NotConnected(fix === undefined ? { message } : { message, fix })
  })

/** An action's failure as the API's error. */
export const toControlFailure = (e: ActionFailure): Effect.Effect<ControlFailure, never, VoiceState> => {
  switch (e._tag) {
    case "CommandExpiredError":
    case "ConnectionLostError":
    case "QueueFullError":
    case "RpcTimeoutError":
      return notConnected(e.message)
    case "RpcCommandError":
    case "ReplyDecodeError":
      return Effect.succeed(new Refused({ message: e.message }))
    case "ActionError":
      return Effect.succeed(
        e.message.startsWith("invalid options") ? new Invalid({ message: e.message }) : new Refused({ message: e.message })
      )
  }
}

const performing = (run: Effect.Effect<void, ActionFailure, Controller>) =>
  run.pipe(Effect.catch((e) => Effect.flatMap(toControlFailure(e), Effect.fail)))

// ---------------------------------------------------------------------------------------------
// actions
// ---------------------------------------------------------------------------------------------

const PRESS: ActionInput = { _tag: "Press" }
const RELEASE: ActionInput = { _tag: "Release" }

/** Join a voice channel, moving from any other (unlike the voice-channel key, never leaves). */
const join = defineAction({
  name: "join",
  summary: "Join a voice channel.",
  title: "Join",
  icon: "voice-channel",
  options: Schema.Struct({ channel: DiscordId("voice channel") }),
  initial: () => undefined,
  face: () => ({}),
  handle: (input, { env, options }) =>
    input._tag === "Press"
      ? liveModel(env, "SELECT_VOICE_CHANNEL").pipe(
        Effect.andThen(env.rpc.selectVoiceChannel(options.channel, { force: true })),
        Effect.asVoid
      )
      : Effect.void
})

const isVoice = (type: number | undefined) => type === ChannelType.GuildVoice || type === ChannelType.GuildStageVoice
const same = (a: string | null | undefined, b: string) => (a ?? "").toLocaleLowerCase() === b.toLocaleLowerCase()

/** A channel id as given, or "Server/Channel" looked up by name. */
const resolveChannel = (wanted: string) =>
  Effect.gen(function*() {
    if (isSnowflake(wanted)) return { id: wanted, name: wanted }
    const slash = wanted.indexOf("/")
    if (slash <= 0 || slash === wanted.length - 1) {
      return yield* new Invalid({ message: `"${wanted}" is neither a channel id nor "Server/Channel"` })
    }
    const guildName = wanted.slice(0, slash)
    const channelName = wanted.slice(slash + 1)
    const rpc = yield* DiscordRpc
    const guilds = yield* rpc.getGuilds
    const guild = guilds.find((g) => same(g.name, guildName))
    if (guild === undefined) {
      return yield* new NotFound({
        message: `no server named "${guildName}"; yours: ${guilds.map((g) => `"${g.name}"`).join(", ") || "none"}`
      })
    }
    const channels = (yield* rpc.getChannels(guild.id)).filter((c) => isVoice(c.type))
    const channel = channels.find((c) => same(c.name, channelName))
    if (channel === undefined) {
      return yield* new NotFound({
        message: `no voice channel named "${channelName}" in ${guild.name}; there: ${
          channels.map((c) => `"${c.name}"`).join(", ") || "none"
        }`
      })
    }
    return { id: channel.id, name: `${guild.name}/${channel.name ?? channel.id}` }
  })

/** A soundboard sound by name: from the model's list, else asked from Discord. */
const resolveSound = (name: string) =>
  Effect.gen(function*() {
    const model = yield* (yield* VoiceState).get
    const sounds = model.soundboard.length > 0 ? model.soundboard : yield* (yield* DiscordRpc).getSoundboardSounds
    const sound = sounds.find((s) => same(s.name, name))
    if (sound === undefined) {
      return yield* new NotFound({
        message: `no soundboard sound named "${name}"; available: ${
          sounds.map((s) => `"${s.name ?? s.sound_id}"`).join(", ") || "none"
        }`
      })
    }
    return sound
  })

const rpcFailure = <A, R>(e: Effect.Effect<A, ActionFailure | ControlFailure, R>) =>
  e.pipe(
    Effect.catch((error) =>
      error._tag === "NotConnected" || error._tag === "Refused" || error._tag === "NotFound" || error._tag === "Invalid"
        ? Effect.fail(error)
        : Effect.flatMap(toControlFailure(error), Effect.fail)
    )
  )

/** Run one API action through the Controller's press path. */
export const runAction = (action: Action): Effect.Effect<ActionResult, ControlFailure, Controller | VoiceState | DiscordRpc> =>
  Effect.gen(function*() {
    const controller = yield* Controller
    const perform = (def: Parameters<typeof controller.perform>[0], options: unknown, input: ActionInput = PRESS) =>
      performing(controller.perform(def, options, input))
    switch (action._tag) {
      case "Mute":
        yield* perform(mute, { mode: action.mode })
        return { message: action.mode === "toggle" ? "mute toggled" : action.mode === "on" ? "muted" : "unmuted" }
      case "Deafen":
        yield* perform(deafen, { mode: action.mode })
        return { message: action.mode === "toggle" ? "deafen toggled" : action.mode === "on" ? "deafened" : "undeafened" }
      case "PushToTalk":
        yield* perform(pushToTalk, {}, action.state === "start" ? PRESS : RELEASE)
        return { message: action.state === "start" ? "push-to-talk on" : "push-to-talk off" }
      case "PushToTalkFor":
        // the release runs whatever happens to the request (a client killed, the daemon stopping):
        // nothing may leave the mic open
        yield* perform(pushToTalk, {}, PRESS).pipe(
          Effect.andThen(Effect.sleep(`${action.millis} millis`)),
          Effect.ensuring(perform(pushToTalk, {}, RELEASE).pipe(Effect.ignore))
        )
        return { message: `push-to-talk held for ${action.millis} ms` }
      case "InputMode":
        yield* perform(inputMode, { mode: action.mode })
        return { message: action.mode === "toggle" ? "input mode toggled" : `input mode ${action.mode}` }
      case "Join": {
        const channel = yield* rpcFailure(resolveChannel(action.channel))
        yield* perform(join, { channel: channel.id })
        return { message: `joined ${channel.name}` }
      }
      case "Leave":
        yield* perform(leaveCall, {})
        return { message: "left the voice channel" }
      case "Volume": {
        const def = action.which === "input" ? inputVolume : outputVolume
        const max = action.which === "input" ? 100 : 200
        if ((action.set === undefined) === (action.change === undefined)) {
          return yield* new Invalid({ message: "volume needs either a value to set or a change (+N or -N)" })
        }
        if (action.set !== undefined) {
          if (action.set > max) return yield* new Invalid({ message: `${action.which} volume is 0–${max}` })
          yield* perform(def, { set: action.set })
          return { message: `${action.which} volume ${action.set}` }
        }
        if (action.change === 0) return { message: `${action.which} volume unchanged` }
        yield* perform(def, { step: action.change })
        return { message: `${action.which} volume ${action.change! > 0 ? "+" : ""}${action.change}` }
      }
      case "Sound": {
        const sound = yield* rpcFailure(resolveSound(action.name))
        yield* perform(soundboard, { sound: sound.sound_id, guild: sound.guild_id ?? "0" })
        return { message: `played ${sound.name ?? sound.sound_id}` }
      }
    }
  })

// ---------------------------------------------------------------------------------------------
// deck presses
// ---------------------------------------------------------------------------------------------

/** `virtual` means the first virtual deck, made (a 15-key MK.2) when there is none yet. */
export const VIRTUAL_ALIAS = "virtual"
export const DEFAULT_VIRTUAL_MODEL = "original-mk2"

/** The deck a press names, waiting for a just-added virtual deck to open. */
const findDeck = (serial: string) =>
  Effect.gen(function*() {
    const deck = yield* Deck
    const virtual = yield* VirtualDecks
    let wanted = serial
    if (serial === VIRTUAL_ALIAS) {
      const existing = yield* virtual.decks
      wanted = existing[0]?.serial ?? (yield* virtual.add({ model: DEFAULT_VIRTUAL_MODEL }).pipe(Effect.orDie)).serial
    }
    const isVirtual = (yield* virtual.decks).some((d) => d.serial === wanted)
    const info = isVirtual
      ? yield* deck.deckChanges.pipe(
        Stream.map((m) => m.get(wanted)),
        Stream.filter((i): i is DeckInfo => i !== undefined),
        Stream.runHead,
        Effect.timeout("5 seconds"),
        Effect.map((o) => (o._tag === "Some" ? o.value : undefined)),
        Effect.catch(() => Effect.succeed(undefined))
      )
      : (yield* deck.decks).get(wanted)
    if (info === undefined) {
      const serials = [...(yield* deck.decks).keys()]
      return yield* new NotFound({
        message: `no deck ${serial} is connected; connected: ${serials.join(", ") || "none"} (or "${VIRTUAL_ALIAS}")`
      })
    }
    return info
  })

/** Parse "key:3" / "encoder:0" against a deck. */
const controlOf = (info: DeckInfo, control: string) =>
  Effect.gen(function*() {
    const [kind, raw] = control.split(":")
    const index = Number(raw)
    if (kind === "key" && info.keys.some((k) => k.index === index)) return { kind: "key" as const, index }
    if (kind === "encoder" && info.encoders.some((e) => e.index === index)) return { kind: "encoder" as const, index }
    return yield* new NotFound({
      message: `${info.productName} (${info.serial}) has no ${control}: keys 0–${info.keys.length - 1}${
        info.encoders.length > 0 ? `, encoders 0–${info.encoders.length - 1}` : ""
      }`
    })
  })

/**
 * Act on a control as the hardware would: each input goes through the Controller's
 * `submit`, the same per-control queue, page and deadline a deck's own input gets, stamped
 * when the request arrived. Answers when the action finished, with its failure if it failed.
 */
export const pressControl = (serial: string, press: DeckPress) =>
  Effect.gen(function*() {
    const at = yield* Clock.currentTimeMillis
    const info = yield* findDeck(serial)
    const control = yield* controlOf(info, press.control)
    const controller = yield* Controller
    const events: Array<DeckInputEvent> = []
    const s = info.serial
    if (control.kind === "key") {
      if (press.input === "rotate" || press.input === "touch") {
        return yield* new Invalid({ message: `a key cannot ${press.input}` })
      }
      if (press.input !== "up") events.push({ _tag: "KeyDown", serial: s, key: control.index })
      if (press.input !== "down") events.push({ _tag: "KeyUp", serial: s, key: control.index })
    } else {
      const e = control.index
      const region = info.encoders.find((x) => x.index === e)?.lcdRegion
      if (press.input === "rotate") {
        events.push({ _tag: "EncoderRotate", serial: s, encoder: e, delta: press.delta ?? 1 })
      } else if (press.input === "touch") {
        if (region === undefined) return yield* new Invalid({ message: `encoder:${e} has no touch strip` })
        const x = region.x + Math.floor(region.width / 2)
        events.push({ _tag: "LcdTouch", serial: s, kind: "short", x, y: Math.floor(region.height / 2), encoder: e })
      } else {
        if (press.input !== "up") events.push({ _tag: "EncoderDown", serial: s, encoder: e })
        if (press.input !== "down") events.push({ _tag: "EncoderUp", serial: s, encoder: e })
      }
    }
    for (const event of events) {
      yield* controller.submit({ ...event, at }).pipe(
        // a page key's press ends its own page, and so the wait for it: the input was taken
        Effect.catchCause((cause) => Cause.hasInterruptsOnly(cause) ? Effect.void : Effect.failCause(cause)),
        Effect.catch((error): Effect.Effect<never, ControlFailure, VoiceState> =>
          error._tag === "PressRejectedError"
            ? Effect.fail(
              error.reason === "unbound"
                ? new NotFound({ message: `${info.productName} (${s}): ${error.message}` })
                : new NotConnected({ message: error.message })
            )
            : Effect.flatMap(toControlFailure(error), Effect.fail)
        )
      )
    }
    return { message: `${press.input} ${press.control} on ${info.productName} (${info.serial})` } satisfies ActionResult
  })
