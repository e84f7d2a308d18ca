/**
 * The channel trackers behind `VoiceState`: one per subscribed voice channel (the one you are
 * in, the ones keys watch), each owning that channel's VOICE_STATE_* subscriptions, its
 * GET_CHANNEL fetches and its working copy of the members, published as an immutable
 * `ChannelView`. `VoiceState` keeps the registry (which channels, current or watched) and
 * commits what the trackers change.
 *
 * @since 0.3.0
 */
import { Duration, Effect, Exit, Schedule, Scope, Semaphore, Stream } from "effect"
import { type Channel, ChannelType, type VoiceStateEntry } from "../protocol/Message.ts"
import type { DiscordRpc } from "./DiscordRpc.ts"
import type { RpcTimeoutError } from "./RpcErrors.ts"

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

/**
 * GET_CHANNEL after a channel change is retried this many times before it is logged: right
 * after a move the client may still be settling, and a transient failure should not leave a
 * key without its member list until the next reconnect.
 */
export const CHANNEL_FETCH_RETRIES = 2
/** Pause between those retries: long enough for the client to settle, short enough to feel live. */
export const CHANNEL_FETCH_RETRY = Duration.millis(250)
/**
 * While several channels are subscribed, VOICE_STATE_CREATE/DELETE cannot be attributed (the
 * payload names no channel, docs/discord-rpc.md#get_channel-and-the-channel-object), so each channel is re-fetched; a burst of joins
 * within this window costs one GET_CHANNEL per channel.
 */
export const AMBIGUOUS_REFETCH_DEBOUNCE = Duration.millis(50)

export interface ChannelInfo {
  readonly guildId: string | null
  readonly name: string
  readonly type: number
}

/** One subscribed channel: the current one, a watched one, or both (then shared). */
export interface Tracker {
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

/** A `voice_states[]` entry as a member (docs/discord-rpc.md#get_channel-and-the-channel-object: top-level mute/volume are yours for them). */
export const toMember = (entry: VoiceStateEntry, speaking: boolean): Member => {
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

export const infoOf = (channel: Channel): ChannelInfo => ({
  guildId: channel.guild_id ?? null,
  name: channel.name ?? "",
  type: channel.type ?? ChannelType.GuildVoice
})

export const viewOf = (t: Tracker): ChannelView =>
  t.view ??= {
    id: t.id,
    guildId: t.info?.guildId ?? null,
    name: t.info?.name ?? "",
    guildName: t.guildName,
    type: t.info?.type ?? ChannelType.GuildVoice,
    members: new Map(t.members)
  }

export const clearSpeaking = (t: Tracker) => {
  if (t.speaking.size === 0) return
  for (const id of t.speaking) {
    const m = t.members.get(id)
    if (m?.speaking) t.members.set(id, { ...m, speaking: false })
  }
  t.speaking.clear()
  t.view = undefined
}

export const setSpeaking = (t: Tracker, userId: string, speaking: boolean) => {
  if (speaking) t.speaking.add(userId)
  else t.speaking.delete(userId)
  const m = t.members.get(userId)
  if (m !== undefined && m.speaking !== speaking) {
    t.members.set(userId, { ...m, speaking })
    t.view = undefined
  }
}

/** What the trackers need from the model they feed. */
export interface TrackerHost {
  readonly rpc: DiscordRpc["Service"]
  /** The layer's scope: each tracker's scope forks from it. */
  readonly scope: Scope.Scope
  /** The registry and the member-event sequence, shared with the model. */
  readonly state: { readonly trackers: Map<string, Tracker>; seq: number }
  /** Mutate and publish the model as one step. */
  readonly commit: (mutate: () => void) => Effect.Effect<void>
  readonly withReadTimeout: <A, E>(read: Effect.Effect<A, E>, cmd: string) => Effect.Effect<A, E | RpcTimeoutError>
}

const messageOf = (e: { readonly message: string }) => e.message

/** Open, fetch and close trackers for a model. */
export const makeChannelTrackers = (host: TrackerHost) => {
  const { commit, rpc, state: s, withReadTimeout } = host
  const layerScope = host.scope
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
          Effect.retry({ times: CHANNEL_FETCH_RETRIES, schedule: Schedule.spaced(CHANNEL_FETCH_RETRY) })
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
      return Effect.sleep(AMBIGUOUS_REFETCH_DEBOUNCE).pipe(
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

  return {
    openTracker,
    openSpeaking,
    closeTracker,
    startFetch,
    /** Guild names are read again after a reconnect (one may have been renamed meanwhile). */
    forgetGuildNames: () => guildNames.clear()
  }
}
