/**
 * One observable model of Discord's voice state, fed by initial fetches and events
 * (docs/discord-rpc.md#voice-commands, docs/discord-rpc.md#subscriptions-and-events). Keys are pure functions of it, so after a reconnect or a replug they simply
 * re-render. The channels themselves are tracked in `ChannelTrackers`; this file keeps the
 * registry of which are followed, the sync after every Ready and the model they commit to.
 * Over 400 lines because those three share one set of sequence numbers and so stay together.
 *
 * @since 0.1.0
 */
import { Context, Duration, Effect, Exit, Fiber, FiberHandle, Layer, Schedule, Scope, Semaphore, Stream, SubscriptionRef } from "effect"
import {
  type Channel,
  type EventName,
  type EventPayload,
  type InputModeType,
  type NotificationCreate,
  type SoundboardSound,
  type VoiceSettings
} from "../protocol/Message.ts"
import { type ChannelView, clearSpeaking, infoOf, makeChannelTrackers, type Tracker, viewOf } from "./ChannelTrackers.ts"
import { type ConnectionState, DiscordRpc } from "./DiscordRpc.ts"
import { RpcTimeoutError } from "./RpcErrors.ts"

export {
  AMBIGUOUS_REFETCH_DEBOUNCE,
  CHANNEL_FETCH_RETRIES,
  CHANNEL_FETCH_RETRY,
  type ChannelView,
  type Member
} from "./ChannelTrackers.ts"

export interface VoiceModel {
  /** The connection as DiscordRpc reports it. */
  readonly connection: ConnectionState
  /** True once the initial fetches after the latest Ready completed; false means stale. */
  readonly synced: boolean
  /** Your own user id, when known. */
  readonly selfId: string | undefined
  /** The latest voice settings (GET_VOICE_SETTINGS / VOICE_SETTINGS_UPDATE). */
  readonly settings: VoiceSettings | undefined
  /** Self mute as Discord means it: deafened implies muted (docs/discord-rpc.md#get_voice_settings). */
  readonly muted: boolean
  readonly deafened: boolean
  readonly inputMode: InputModeType | undefined
  /** Push-to-talk currently held by deckcord. */
  readonly talking: boolean
  /** The voice channel you are in, with its members; null when not in one. */
  readonly channel: ChannelView | null
  /** Channels bound to keys (`watchChannel`), with their members, by id. */
  readonly watched: ReadonlyMap<string, ChannelView>
  /** VOICE_CONNECTION_STATUS. */
  readonly voiceConnection: { readonly state: string; readonly averagePing: number | null } | undefined
  readonly video: boolean
  readonly screenshare: boolean
  readonly soundboard: ReadonlyArray<SoundboardSound>
  /** NOTIFICATION_CREATE since the last clear (only with the rpc.notifications.read scope). */
  readonly notifications: Notifications
  /**
   * Members' pictures fetched so far, `avatarKey(id, hash)` → a local PNG file (`Avatars`,
   * `withAvatars`); empty or absent when avatars are off or none has arrived.
   */
  readonly avatars?: ReadonlyMap<string, string>
}

/** Discord's notifications since the user last cleared them. */
export interface Notifications {
  readonly unread: number
  /** The newest one: where it was posted and who sent it; null when there is none. */
  readonly latest: { readonly channelId: string; readonly sender: string | null } | null
}

const NO_NOTIFICATIONS: Notifications = { unread: 0, latest: null }

// ---------------------------------------------------------------------------------------------
// implementation
// ---------------------------------------------------------------------------------------------

/**
 * Each read after connecting (GET_VOICE_SETTINGS, GET_SELECTED_VOICE_CHANNEL, GET_CHANNEL)
 * waits this long for its reply. Discord answers them in milliseconds; one that takes longer
 * is lost or stuck, and keys wait for these reads, so it is asked again instead of awaited.
 */
export const SYNC_READ_TIMEOUT = Duration.seconds(3)
/** A failed or slow read is asked again on the same connection after this, doubling ... */
export const SYNC_RETRY_BASE = Duration.millis(250)
/** ... up to this, for as long as the connection lives. */
export const SYNC_RETRY_CAP = Duration.seconds(10)

/** Subscriptions some tokens lack scopes for (docs/discord-rpc.md#scopes-per-command): skipped or failing, never fatal. */
const OPTIONAL_SUBSCRIPTIONS = [
  { evt: "VIDEO_STATE_UPDATE", scope: "rpc.video.read", what: "camera" },
  { evt: "SCREENSHARE_STATE_UPDATE", scope: "rpc.screenshare.read", what: "screenshare" }
] as const

const NOTIFICATIONS_SCOPE = "rpc.notifications.read"

type ReadyState = Extract<ConnectionState, { readonly _tag: "Ready" }>

/** Everything the model is built from. Mutated only inside `commit`, so changes publish in order. */
interface Internal {
  connection: ConnectionState
  synced: boolean
  selfId: string | undefined
  settings: VoiceSettings | undefined
  talking: boolean
  voiceConnection: VoiceModel["voiceConnection"]
  video: boolean
  screenshare: boolean
  soundboard: ReadonlyArray<SoundboardSound>
  notifications: Notifications
  currentId: string | null
  readonly trackers: Map<string, Tracker>
  /** Bumped by every member event. */
  seq: number
  /** Bumped by every VOICE_SETTINGS_UPDATE / VOICE_CHANNEL_SELECT: a fetch started earlier loses. */
  settingsSeq: number
  selectSeq: number
  /** Bumped by every connection state change: a sync of an older connection cannot mark synced. */
  generation: number
}

const EMPTY_WATCHED: ReadonlyMap<string, ChannelView> = new Map()
const NO_AVATARS: ReadonlyMap<string, string> = new Map()

const messageOf = (e: { readonly message: string }) => e.message

/** How the reads after connecting time out and retry (a Reference: tests shorten them). */
export interface SyncTiming {
  readonly readTimeout: Duration.Input
  readonly retryBase: Duration.Input
  readonly retryCap: Duration.Input
}

/** @category references */
export const SyncTiming = Context.Reference<SyncTiming>("deckcord/VoiceState/SyncTiming", {
  defaultValue: () => ({
    readTimeout: SYNC_READ_TIMEOUT,
    retryBase: SYNC_RETRY_BASE,
    retryCap: SYNC_RETRY_CAP
  })
})

/** Build the service; its fibers and subscriptions live as long as the calling scope. */
export const makeVoiceState = Effect.gen(function*() {
  const rpc = yield* DiscordRpc
  const layerScope = yield* Effect.scope
  const syncTiming = yield* SyncTiming
  const readTimeout = Duration.fromInputUnsafe(syncTiming.readTimeout)
  const readTimeoutMillis = Duration.toMillis(readTimeout)

  /** A read that fails with RpcTimeoutError once `readTimeout` passes without a reply. */
  const withReadTimeout = <A, E>(read: Effect.Effect<A, E>, cmd: string): Effect.Effect<A, E | RpcTimeoutError> =>
    read.pipe(
      Effect.timeoutOrElse({
        duration: readTimeout,
        orElse: () => Effect.fail(new RpcTimeoutError({ cmd, timeoutMillis: readTimeoutMillis }))
      })
    )
  const retryCap = Duration.fromInputUnsafe(syncTiming.retryCap)
  const syncRetry = Schedule.exponential(syncTiming.retryBase).pipe(
    Schedule.jittered,
    Schedule.modifyDelay(({ duration }) => Effect.succeed(Duration.min(duration, retryCap)))
  )

  const s: Internal = {
    connection: yield* rpc.state,
    synced: false,
    selfId: undefined,
    settings: undefined,
    talking: false,
    voiceConnection: undefined,
    video: false,
    screenshare: false,
    soundboard: [],
    notifications: NO_NOTIFICATIONS,
    currentId: null,
    trackers: new Map(),
    seq: 0,
    settingsSeq: 0,
    selectSeq: 0,
    generation: 0
  }

  const build = (prev: VoiceModel | undefined): VoiceModel => {
    let watched = prev?.watched ?? EMPTY_WATCHED
    let count = 0
    let same = true
    for (const t of s.trackers.values()) {
      if (t.watchers === 0) continue
      count++
      if (watched.get(t.id) !== viewOf(t)) same = false
    }
    if (!same || count !== watched.size) {
      const next = new Map<string, ChannelView>()
      for (const t of s.trackers.values()) if (t.watchers > 0) next.set(t.id, viewOf(t))
      watched = next
    }
    const current = s.currentId === null ? undefined : s.trackers.get(s.currentId)
    const settings = s.settings
    return {
      connection: s.connection,
      synced: s.synced,
      selfId: s.selfId,
      settings,
      // deafened implies muted even when `mute` reads false (docs/discord-rpc.md#get_voice_settings)
      muted: settings?.mute === true || settings?.deaf === true,
      deafened: settings?.deaf === true,
      inputMode: settings?.mode?.type,
      talking: s.talking,
      channel: current === undefined ? null : viewOf(current),
      watched,
      voiceConnection: s.voiceConnection,
      video: s.video,
      screenshare: s.screenshare,
      soundboard: s.soundboard,
      notifications: s.notifications,
      avatars: NO_AVATARS
    }
  }

  const ref = yield* SubscriptionRef.make<VoiceModel>(build(undefined))
  /** Mutate, rebuild and publish as one step (the ref's lock orders concurrent commits). */
  const commit = (mutate: () => void) =>
    SubscriptionRef.update(ref, (prev) => {
      mutate()
      return build(prev)
    })

  // --- channels ------------------------------------------------------------------------------

  /** Registry changes (current channel, watchers) one at a time. */
  const controlLock = yield* Semaphore.make(1)
  const trackers = makeChannelTrackers({ rpc, scope: layerScope, state: s, commit, withReadTimeout })
  const { closeTracker, openSpeaking, openTracker, startFetch } = trackers

  /**
   * Follow the current channel (docs/discord-rpc.md#following-the-current-channel): the old channel's subscriptions close (unless a
   * key watches it), the new one's open, and its members are fetched. Returns the fetch, if
   * one started.
   */
  const moveTo = (channelId: string | null, seed: Channel | null) =>
    controlLock.withPermit(Effect.uninterruptible(Effect.gen(function*() {
      const old = s.currentId === null ? undefined : s.trackers.get(s.currentId)
      if (old !== undefined && old.id === channelId) return undefined
      if (old !== undefined) {
        const speakingScope = old.speakingScope
        yield* commit(() => {
          old.current = false
          old.speakingScope = undefined
          clearSpeaking(old)
          s.currentId = null
        })
        if (speakingScope !== undefined) yield* Scope.close(speakingScope, Exit.void)
        if (old.watchers === 0) yield* closeTracker(old)
      }
      if (channelId === null) return undefined
      const existing = s.trackers.get(channelId)
      const t = existing ?? (yield* openTracker(channelId))
      const speakingScope = yield* openSpeaking(t)
      yield* commit(() => {
        t.current = true
        t.speakingScope = speakingScope
        if (seed !== null && seed.id === channelId && t.info === undefined) {
          t.info = infoOf(seed)
          t.view = undefined
        }
        s.trackers.set(t.id, t)
        s.currentId = t.id
      })
      return yield* startFetch(t)
    })))

  // --- events for the layer's life (DiscordRpc replays them after a reconnect) ----------------

  const consume = <E extends EventName>(
    evt: E,
    handle: (chunk: ReadonlyArray<EventPayload<E>>) => Effect.Effect<void>
  ) =>
    rpc.subscribe(evt).pipe(
      Effect.flatMap((events) => Effect.forkScoped(Stream.runForEachArray(events, handle))),
      Effect.asVoid
    )

  yield* consume("VOICE_SETTINGS_UPDATE", (chunk) =>
    commit(() => {
      s.settings = chunk[chunk.length - 1]
      s.settingsSeq++
    }))
  yield* consume("VOICE_CONNECTION_STATUS", (chunk) =>
    commit(() => {
      const last = chunk[chunk.length - 1]!
      s.voiceConnection = { state: last.state, averagePing: last.average_ping ?? null }
    }))
  yield* consume("VOICE_CHANNEL_SELECT", (chunk) =>
    Effect.forEach(chunk, (select) =>
      Effect.suspend(() => {
        s.selectSeq++
        return moveTo(select.channel_id, null)
      }), { discard: true }))

  const optionalSubscribed = new Set<string>()
  const optionalReported = new Set<string>()
  /** Subscribe what the token's scopes allow; say once what is missing. */
  const subscribeOptional = (ready: ReadyState) =>
    Effect.forEach(OPTIONAL_SUBSCRIPTIONS, ({ evt, scope, what }) => {
      if (optionalSubscribed.has(evt)) return Effect.void
      const granted = ready.authenticated?.scopes
      if (granted !== undefined && !granted.includes(scope)) {
        if (optionalReported.has(evt)) return Effect.void
        optionalReported.add(evt)
        return Effect.logInfo(
          `${what} state is not shown: the authorization lacks the ${scope} scope (authorize again with it to see it)`
        )
      }
      optionalSubscribed.add(evt)
      const handle = (chunk: ReadonlyArray<{ readonly active: boolean }>) =>
        commit(() => {
          const active = chunk[chunk.length - 1]!.active
          if (evt === "VIDEO_STATE_UPDATE") s.video = active
          else s.screenshare = active
        })
      return rpc.subscribe(evt).pipe(
        Effect.flatMap((events) => Effect.forkIn(Stream.runForEachArray(events, handle), layerScope)),
        Scope.provide(layerScope),
        Effect.asVoid
      )
    }, { discard: true })

  let notificationsSubscribed = false
  /**
   * NOTIFICATION_CREATE only when the token holds its scope, which is requested only while a
   * notifications key is bound (docs/discord-rpc.md#scopes-per-command): no key, no subscription.
   */
  const subscribeNotifications = (ready: ReadyState) => {
    if (notificationsSubscribed || ready.authenticated?.scopes?.includes(NOTIFICATIONS_SCOPE) !== true) return Effect.void
    notificationsSubscribed = true
    const handle = (chunk: ReadonlyArray<NotificationCreate>) =>
      commit(() => {
        const last = chunk[chunk.length - 1]!
        const author = last.message?.author
        s.notifications = {
          unread: s.notifications.unread + chunk.length,
          latest: { channelId: last.channel_id, sender: author?.global_name ?? author?.username ?? last.title ?? null }
        }
      })
    return rpc.subscribe("NOTIFICATION_CREATE").pipe(
      Effect.flatMap((events) => Effect.forkIn(Stream.runForEachArray(events, handle), layerScope)),
      Scope.provide(layerScope),
      Effect.asVoid
    )
  }

  // --- sync on every Ready (docs/discord-rpc.md#restarts-and-reconnects) --------------------------------------------------------

  /**
   * One read of the sync: retried with backoff on the same connection until it answers (the
   * sync fiber is interrupted when the connection ends). Said once per connection when it fails.
   */
  const syncRead = <A, E extends { readonly message: string }>(what: string, read: Effect.Effect<A, E>) =>
    Effect.suspend(() => {
      let failures = 0
      return withReadTimeout(read, what).pipe(
        Effect.tapError((e) =>
          failures++ === 0
            ? Effect.logWarning(`could not read ${what} from Discord: ${messageOf(e)} (asking again)`)
            : Effect.void
        ),
        Effect.retry(syncRetry),
        Effect.tap(() => (failures > 0 ? Effect.logInfo(`read ${what} from Discord after ${failures + 1} tries`) : Effect.void))
      )
    })

  const sync = (generation: number, ready: ReadyState) =>
    Effect.gen(function*() {
      trackers.forgetGuildNames()
      yield* subscribeOptional(ready)
      yield* subscribeNotifications(ready)
      const settingsSeq = s.settingsSeq
      const selectSeq = s.selectSeq
      // the soundboard is optional and nothing waits for it
      yield* rpc.getSoundboardSounds.pipe(
        (read) => withReadTimeout(read, "GET_SOUNDBOARD_SOUNDS"),
        Effect.flatMap((sounds) => commit(() => void (s.soundboard = sounds))),
        Effect.catch((e) => Effect.logWarning(`could not read the soundboard: ${messageOf(e)}`)),
        Effect.forkChild
      )
      const [settings, selected] = yield* Effect.all([
        syncRead("the voice settings", rpc.getVoiceSettings),
        syncRead("the current voice channel", rpc.getSelectedVoiceChannel)
      ], { concurrency: "unbounded" })
      yield* commit(() => {
        if (s.settingsSeq === settingsSeq) s.settings = settings
      })
      const fetches: Array<Fiber.Fiber<void>> = []
      let joined: string | null = null
      if (s.selectSeq === selectSeq) {
        // GET_SELECTED_VOICE_CHANNEL replies with a channel: its id is `id` (docs/discord-rpc.md#get_selected_voice_channel)
        const fetch = yield* moveTo(selected?.id ?? null, selected)
        if (fetch !== undefined) {
          fetches.push(fetch)
          joined = s.currentId
        }
      }
      // the rest were subscribed before: DiscordRpc re-subscribed them, their members may be stale
      for (const t of Array.from(s.trackers.values())) {
        if (t.id !== joined) fetches.push(yield* startFetch(t))
      }
      // member lists are shown, not acted on: keys wait for them only so long, then they
      // arrive in the background
      yield* Fiber.awaitAll(fetches).pipe(Effect.timeoutOption(readTimeout))
      yield* commit(() => {
        if (s.generation === generation) s.synced = true
      })
    }).pipe(
      // syncRead retries for as long as the connection lives; this is for the type only
      Effect.catch((e) => Effect.logWarning(`could not read Discord's voice state: ${messageOf(e)}`))
    )

  const syncFiber = yield* FiberHandle.make<void, never>()
  let lastReady: ConnectionState | undefined
  const onState = (state: ConnectionState) =>
    Effect.suspend(() => {
      // a new Ready object is a new connection, even if the states in between were skipped
      if (state._tag === "Ready" && state === lastReady) return Effect.void
      const generation = ++s.generation
      const update = commit(() => {
        s.connection = state
        s.synced = false
        if (state._tag === "Ready" && state.user !== undefined) s.selfId = state.user.id
        // speaking is known only from events; those of a lost connection may never end
        for (const t of s.trackers.values()) clearSpeaking(t)
      })
      if (state._tag !== "Ready") return FiberHandle.clear(syncFiber).pipe(Effect.andThen(update))
      lastReady = state
      return update.pipe(Effect.andThen(FiberHandle.run(syncFiber, sync(generation, state))), Effect.asVoid)
    })
  yield* Effect.forkScoped(Stream.runForEach(rpc.stateChanges, onState))

  // --- the service ----------------------------------------------------------------------------

  const watchChannel = (channelId: string): Effect.Effect<void, never, Scope.Scope> =>
    Effect.acquireRelease(
      controlLock.withPermit(Effect.uninterruptible(Effect.gen(function*() {
        const existing = s.trackers.get(channelId)
        const t = existing ?? (yield* openTracker(channelId))
        yield* commit(() => {
          t.watchers++
          s.trackers.set(t.id, t)
        })
        if (existing === undefined && s.connection._tag === "Ready") yield* startFetch(t)
        return t
      }))),
      (t) =>
        controlLock.withPermit(Effect.uninterruptible(Effect.suspend(() => {
          const last = t.watchers === 1 && !t.current
          return commit(() => {
            t.watchers--
          }).pipe(Effect.andThen(last ? closeTracker(t) : Effect.void))
        })))
    ).pipe(Effect.asVoid)

  return VoiceState.of({
    get: SubscriptionRef.get(ref),
    // latest state: a slow consumer skips to the newest model instead of replaying each one
    changes: SubscriptionRef.changes(ref).pipe(Stream.mapArray((models) => [models[models.length - 1]!] as const)),
    watchChannel,
    setTalking: (talking) =>
      commit(() => {
        s.talking = talking
      }),
    clearNotifications: commit(() => {
      // the latest channel stays: a press after clearing still opens it
      s.notifications = { unread: 0, latest: s.notifications.latest }
    })
  })
})

/** @category services */
export class VoiceState extends Context.Service<VoiceState, {
  readonly get: Effect.Effect<VoiceModel>
  /** The current model, then every change. */
  readonly changes: Stream.Stream<VoiceModel>
  /**
   * Keep a channel's name, guild name and members live in `watched` while the calling scope
   * lives (a voice-channel key shows them even when you are elsewhere).
   */
  readonly watchChannel: (channelId: string) => Effect.Effect<void, never, Scope.Scope>
  /** Record deckcord's own push-to-talk state (Discord sends no event for it). */
  readonly setTalking: (talking: boolean) => Effect.Effect<void>
  /** Mark every notification read (a long press on the notifications key). */
  readonly clearNotifications: Effect.Effect<void>
}>()("deckcord/VoiceState") {
  /**
   * The live model over `DiscordRpc`: subscribes for the layer's life, re-fetches everything
   * after every Ready, and follows your voice channel.
   */
  static readonly layer: Layer.Layer<VoiceState, never, DiscordRpc> = Layer.effect(
    VoiceState,
    makeVoiceState
  )
}
