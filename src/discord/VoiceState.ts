/**
 * One observable model of Discord's voice state, fed by initial fetches and events
 * (docs/discord-rpc.md#voice-commands, docs/discord-rpc.md#subscriptions-and-events). Keys are pure functions of it, so after a reconnect or a replug they simply
 * re-render.
 *
 * @since 0.1.0
 */
import { Context, Duration, Effect, Exit, Fiber, FiberHandle, Layer, Schedule, Scope, Semaphore, Stream, SubscriptionRef } from "effect"
import {
  type Channel,
  ChannelType,
  type EventName,
  type EventPayload,
  type InputModeType,
  type NotificationCreate,
  type SoundboardSound,
  type VoiceSettings,
  type VoiceStateEntry
} from "../protocol/Message.ts"
import { type ConnectionState, DiscordRpc } from "./DiscordRpc.ts"
import { RpcTimeoutError } from "./RpcErrors.ts"

/** Someone in a voice channel, as you see them. */
export interface Member {
  readonly id: string
  /** nick, else global name, else username. */
  readonly name: string
  readonly avatar: string | null
  readonly bot: boolean
  readonly selfMute: boolean
  readonly selfDeaf: boolean
  /** Server mute/deaf (by a moderator). */
  readonly serverMute: boolean
  readonly serverDeaf: boolean
  /** Your local mute of them (SET_USER_VOICE_SETTINGS). */
  readonly localMute: boolean
  /** Your local volume for them, 0–200 (100 = normal). */
  readonly localVolume: number
  readonly speaking: boolean
}

/** A voice channel with its live members. */
export interface ChannelView {
  readonly id: string
  readonly guildId: string | null
  /** Empty until GET_CHANNEL answered (a moment after joining or watching). */
  readonly name: string
  /** The guild's name, when known (GET_GUILD). */
  readonly guildName: string | null
  readonly type: number
  /** Members by user id, in join order. Includes you when you are in it. */
  readonly members: ReadonlyMap<string, Member>
}

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
 * GET_CHANNEL after a channel change is retried this many times before it is logged: right
 * after a move the client may still be settling, and a transient failure should not leave a
 * key without its member list until the next reconnect.
 */
export const CHANNEL_FETCH_RETRIES = 2
/** Pause between those retries: long enough for the client to settle, short enough to feel live. */
export const CHANNEL_FETCH_RETRY_MILLIS = 250
/**
 * While several channels are subscribed, VOICE_STATE_CREATE/DELETE cannot be attributed (the
 * payload names no channel, docs/discord-rpc.md#get_channel-and-the-channel-object), so each channel is re-fetched; a burst of joins
 * within this window costs one GET_CHANNEL per channel.
 */
export const AMBIGUOUS_REFETCH_DEBOUNCE_MILLIS = 50

/**
 * Each read after connecting (GET_VOICE_SETTINGS, GET_SELECTED_VOICE_CHANNEL, GET_CHANNEL)
 * waits this long for its reply. Discord answers them in milliseconds; one that takes longer
 * is lost or stuck, and keys wait for these reads, so it is asked again instead of awaited.
 */
export const SYNC_READ_TIMEOUT_MILLIS = 3_000
/** A failed or slow read is asked again on the same connection after this, doubling ... */
export const SYNC_RETRY_BASE_MILLIS = 250
/** ... up to this, for as long as the connection lives. */
export const SYNC_RETRY_CAP_MILLIS = 10_000

/** Subscriptions some tokens lack scopes for (docs/discord-rpc.md#scopes-per-command): skipped or failing, never fatal. */
const OPTIONAL_SUBSCRIPTIONS = [
  { evt: "VIDEO_STATE_UPDATE", scope: "rpc.video.read", what: "camera" },
  { evt: "SCREENSHARE_STATE_UPDATE", scope: "rpc.screenshare.read", what: "screenshare" }
] as const

const NOTIFICATIONS_SCOPE = "rpc.notifications.read"

type ReadyState = Extract<ConnectionState, { readonly _tag: "Ready" }>

interface ChannelInfo {
  readonly guildId: string | null
  readonly name: string
  readonly type: number
}

/** One subscribed channel: the current one, a watched one, or both (then shared). */
interface Tracker {
  readonly id: string
  /** Owns the VOICE_STATE_* subscriptions and this channel's fetches; closing it unsubscribes. */
  readonly scope: Scope.Closeable
  /** One GET_CHANNEL at a time, so reconciling against `touched` stays consistent. */
  readonly fetchLock: Semaphore.Semaphore
  info: ChannelInfo | undefined
  guildName: string | null
  /** Working copy; `view` is its immutable snapshot, rebuilt only when dirty. */
  readonly members: Map<string, Member>
  readonly speaking: Set<string>
  /** Member ids last changed by an event, with its sequence number: newer than a fetch, it wins. */
  readonly touched: Map<string, number>
  view: ChannelView | undefined
  watchers: number
  current: boolean
  speakingScope: Scope.Closeable | undefined
  refetchPending: boolean
  closed: boolean
}

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

/** A `voice_states[]` entry as a member (docs/discord-rpc.md#get_channel-and-the-channel-object: top-level mute/volume are yours for them). */
const toMember = (entry: VoiceStateEntry, speaking: boolean): Member => {
  const { user } = entry
  const vs = entry.voice_state
  return {
    id: user.id,
    name: entry.nick || user.global_name || user.username || user.id,
    avatar: user.avatar ?? null,
    bot: user.bot ?? false,
    selfMute: vs?.self_mute ?? false,
    selfDeaf: vs?.self_deaf ?? false,
    serverMute: vs?.mute ?? false,
    serverDeaf: vs?.deaf ?? false,
    localMute: entry.mute ?? false,
    localVolume: entry.volume ?? 100,
    speaking
  }
}

const infoOf = (channel: Channel): ChannelInfo => ({
  guildId: channel.guild_id ?? null,
  name: channel.name ?? "",
  type: channel.type ?? ChannelType.GuildVoice
})

const viewOf = (t: Tracker): ChannelView =>
  t.view ??= {
    id: t.id,
    guildId: t.info?.guildId ?? null,
    name: t.info?.name ?? "",
    guildName: t.guildName,
    type: t.info?.type ?? ChannelType.GuildVoice,
    members: new Map(t.members)
  }

const clearSpeaking = (t: Tracker) => {
  if (t.speaking.size === 0) return
  for (const id of t.speaking) {
    const m = t.members.get(id)
    if (m?.speaking) t.members.set(id, { ...m, speaking: false })
  }
  t.speaking.clear()
  t.view = undefined
}

const setSpeaking = (t: Tracker, userId: string, speaking: boolean) => {
  if (speaking) t.speaking.add(userId)
  else t.speaking.delete(userId)
  const m = t.members.get(userId)
  if (m !== undefined && m.speaking !== speaking) {
    t.members.set(userId, { ...m, speaking })
    t.view = undefined
  }
}

const messageOf = (e: { readonly message: string }) => e.message

/** How the reads after connecting time out and retry (a Reference: tests shorten them). */
export interface SyncTiming {
  readonly readTimeoutMillis: number
  readonly retryBaseMillis: number
  readonly retryCapMillis: number
}

/** @category references */
export const SyncTiming = Context.Reference<SyncTiming>("deckcord/VoiceState/SyncTiming", {
  defaultValue: () => ({
    readTimeoutMillis: SYNC_READ_TIMEOUT_MILLIS,
    retryBaseMillis: SYNC_RETRY_BASE_MILLIS,
    retryCapMillis: SYNC_RETRY_CAP_MILLIS
  })
})

/** Build the service; its fibers and subscriptions live as long as the calling scope. */
export const makeVoiceState = Effect.gen(function*() {
  const rpc = yield* DiscordRpc
  const layerScope = yield* Effect.scope
  const timing = yield* SyncTiming

  /** A read that fails with RpcTimeoutError once `readTimeoutMillis` pass without a reply. */
  const withReadTimeout = <A, E>(read: Effect.Effect<A, E>, cmd: string): Effect.Effect<A, E | RpcTimeoutError> =>
    read.pipe(
      Effect.timeoutOrElse({
        duration: Duration.millis(timing.readTimeoutMillis),
        orElse: () => Effect.fail(new RpcTimeoutError({ cmd, timeoutMillis: timing.readTimeoutMillis }))
      })
    )
  const syncRetry = Schedule.exponential(Duration.millis(timing.retryBaseMillis)).pipe(
    Schedule.jittered,
    Schedule.modifyDelay(({ duration }) => Effect.succeed(Duration.min(duration, Duration.millis(timing.retryCapMillis))))
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
  const guildNames = new Map<string, string | null>()

  const guildName = (guildId: string) =>
    guildNames.has(guildId)
      ? Effect.succeed(guildNames.get(guildId) ?? null)
      : rpc.getGuild(guildId).pipe(
        Effect.map((g) => {
          const name = g.name ?? null
          guildNames.set(guildId, name)
          return name
        }),
        Effect.catch((e) =>
          Effect.logWarning(`could not read the name of Discord server ${guildId}: ${messageOf(e)}`).pipe(
            Effect.as(null)
          )
        )
      )

  /** Replace members with GET_CHANNEL's, except those an event changed since the fetch began. */
  const reconcile = (t: Tracker, channel: Channel, startSeq: number) =>
    commit(() => {
      if (t.closed) return
      t.info = infoOf(channel)
      const next = new Map<string, Member>()
      for (const entry of channel.voice_states ?? []) {
        const id = entry.user.id
        const changedAt = t.touched.get(id)
        if (changedAt !== undefined && changedAt > startSeq) {
          const kept = t.members.get(id)
          if (kept !== undefined) next.set(id, kept)
        } else {
          next.set(id, toMember(entry, t.speaking.has(id)))
        }
      }
      for (const [id, changedAt] of t.touched) {
        if (changedAt <= startSeq) {
          t.touched.delete(id)
          continue
        }
        const kept = t.members.get(id)
        if (kept !== undefined && !next.has(id)) next.set(id, kept)
      }
      t.members.clear()
      for (const [id, m] of next) t.members.set(id, m)
      for (const id of t.speaking) if (!next.has(id)) t.speaking.delete(id)
      t.view = undefined
    })

  const fetchChannel = (t: Tracker): Effect.Effect<void> =>
    t.fetchLock.withPermit(
      Effect.gen(function*() {
        const startSeq = s.seq
        const channel = yield* withReadTimeout(rpc.getChannel(t.id), "GET_CHANNEL").pipe(
          Effect.retry({ times: CHANNEL_FETCH_RETRIES, schedule: Schedule.spaced(Duration.millis(CHANNEL_FETCH_RETRY_MILLIS)) })
        )
        yield* reconcile(t, channel, startSeq)
        return channel.guild_id
      })
    ).pipe(
      // the guild's name is decoration: it follows in the background, nothing waits for it
      Effect.flatMap((guildId) =>
        typeof guildId === "string" && guildId.length > 0
          ? Effect.forkIn(
            guildName(guildId).pipe(
              Effect.flatMap((name) =>
                name === t.guildName ? Effect.void : commit(() => {
                  t.guildName = name
                  t.view = undefined
                })
              )
            ),
            t.scope
          ).pipe(Effect.asVoid)
          : Effect.void
      ),
      Effect.catch((e) => Effect.logWarning(`could not load voice channel ${t.id}: ${messageOf(e)}`))
    )

  /** Fetch in the tracker's scope: leaving the channel interrupts it. */
  const startFetch = (t: Tracker) => Effect.forkIn(fetchChannel(t), t.scope)

  const requestRefetch = (t: Tracker) =>
    Effect.suspend(() => {
      if (t.refetchPending || t.closed) return Effect.void
      t.refetchPending = true
      return Effect.sleep(Duration.millis(AMBIGUOUS_REFETCH_DEBOUNCE_MILLIS)).pipe(
        Effect.andThen(Effect.sync(() => {
          t.refetchPending = false
        })),
        Effect.andThen(fetchChannel(t)),
        Effect.forkIn(t.scope),
        Effect.asVoid
      )
    })

  type MemberEvent = "VOICE_STATE_CREATE" | "VOICE_STATE_UPDATE" | "VOICE_STATE_DELETE"

  /**
   * VOICE_STATE_* payloads name no channel (docs/discord-rpc.md#get_channel-and-the-channel-object) and DiscordRpc hands every local
   * subscriber of an event each dispatch, so with several channels subscribed an event
   * reaches every tracker. Updates go to whoever holds the member (a user sits in one
   * channel); joins and leaves are re-fetched.
   */
  const onMemberEvents = (t: Tracker, evt: MemberEvent, entries: ReadonlyArray<VoiceStateEntry>) =>
    Effect.suspend(() => {
      let ambiguous = false
      return commit(() => {
        if (t.closed) return
        const shared = s.trackers.size > 1
        for (const entry of entries) {
          const id = entry.user.id
          const known = t.members.has(id)
          switch (evt) {
            case "VOICE_STATE_DELETE": {
              if (shared) ambiguous = true
              if (known) {
                t.members.delete(id)
                t.speaking.delete(id)
              }
              // even when unknown here: a fetch in flight must not bring them back
              t.touched.set(id, ++s.seq)
              break
            }
            case "VOICE_STATE_CREATE": {
              if (shared) {
                ambiguous = true
                continue
              }
              t.members.set(id, toMember(entry, t.speaking.has(id)))
              t.touched.set(id, ++s.seq)
              break
            }
            case "VOICE_STATE_UPDATE": {
              if (known) {
                t.members.set(id, toMember(entry, t.speaking.has(id)))
                t.touched.set(id, ++s.seq)
              } else if (!shared) {
                // the initial dispatch of a new subscription (docs/discord-rpc.md#subscribe-and-unsubscribe), or a stray from the
                // channel just left: shown, but not marked, so a fetch in flight overrides it
                t.members.set(id, toMember(entry, t.speaking.has(id)))
              } else {
                continue
              }
              break
            }
          }
          t.view = undefined
        }
      }).pipe(Effect.andThen(Effect.suspend(() => (ambiguous ? requestRefetch(t) : Effect.void))))
    })

  const openTracker = (id: string) =>
    Effect.gen(function*() {
      const scope = yield* Scope.fork(layerScope)
      const t: Tracker = {
        id,
        scope,
        fetchLock: yield* Semaphore.make(1),
        info: undefined,
        guildName: null,
        members: new Map(),
        speaking: new Set(),
        touched: new Map(),
        view: undefined,
        watchers: 0,
        current: false,
        speakingScope: undefined,
        refetchPending: false,
        closed: false
      }
      const follow = (evt: MemberEvent) =>
        rpc.subscribe(evt, { channel_id: id }).pipe(
          Effect.flatMap((events) =>
            Effect.forkScoped(Stream.runForEachArray(events, (chunk) => onMemberEvents(t, evt, chunk)))
          ),
          Scope.provide(scope)
        )
      yield* follow("VOICE_STATE_CREATE")
      yield* follow("VOICE_STATE_UPDATE")
      yield* follow("VOICE_STATE_DELETE")
      return t
    })

  /** SPEAKING_* exists only for your own channel (docs/discord-rpc.md#speaking_start-and-speaking_stop), so only the current one has it. */
  const openSpeaking = (t: Tracker) =>
    Effect.gen(function*() {
      const scope = yield* Scope.fork(t.scope)
      const follow = (evt: "SPEAKING_START" | "SPEAKING_STOP") =>
        rpc.subscribe(evt, { channel_id: t.id }).pipe(
          Effect.flatMap((events) =>
            Effect.forkScoped(Stream.runForEachArray(events, (chunk) =>
              commit(() => {
                if (t.closed || t.speakingScope !== scope) return
                for (const p of chunk) setSpeaking(t, p.user_id, evt === "SPEAKING_START")
              })))
          ),
          Scope.provide(scope)
        )
      yield* follow("SPEAKING_START")
      yield* follow("SPEAKING_STOP")
      return scope
    })

  const closeTracker = (t: Tracker) =>
    commit(() => {
      t.closed = true
      if (s.trackers.get(t.id) === t) s.trackers.delete(t.id)
    }).pipe(Effect.andThen(Scope.close(t.scope, Exit.void)))

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
      guildNames.clear()
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
      yield* Fiber.awaitAll(fetches).pipe(Effect.timeoutOption(Duration.millis(timing.readTimeoutMillis)))
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
