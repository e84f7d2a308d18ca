/**
 * Event subscriptions of the Discord client: one remote SUBSCRIBE per distinct (evt, args),
 * shared by its local subscribers, each with its own bounded buffer, and the event decoders.
 *
 * @since 0.2.0
 */
import { Cause, Deferred, Duration, Effect, Exit, Queue, Schema, type Scope, Stream } from "effect"
import { type EventName, type EventPayload, EventPayloads } from "../protocol/Message.ts"
import type { CommandQueue, Connection } from "./CommandQueue.ts"
import { backoffDelay } from "./Reconnect.ts"
import type { RpcRequestError } from "./RpcErrors.ts"

/**
 * Well above the ~650 small events one 64 KiB socket read can hold, which arrive before any
 * reader runs; a reader this far behind is stuck, not slow.
 */
export const DEFAULT_SUBSCRIBER_BUFFER = 4_096
/** An unanswered SUBSCRIBE is sent again after this, doubling up to the cap. */
export const SUBSCRIBE_RETRY_BASE = Duration.millis(250)
export const SUBSCRIBE_RETRY_CAP = Duration.seconds(10)
const SUBSCRIBE_RETRY_BASE_MILLIS = Duration.toMillis(SUBSCRIBE_RETRY_BASE)
const SUBSCRIBE_RETRY_CAP_MILLIS = Duration.toMillis(SUBSCRIBE_RETRY_CAP)

export interface RemoteSubscription {
  readonly key: string
  readonly evt: EventName
  readonly args: Readonly<Record<string, unknown>>
  readonly subscribers: Set<Queue.Queue<unknown>>
}

/** A stable key for (evt, args): Discord keys subscriptions by deep-equal args (docs/discord-rpc.md#subscribe-and-unsubscribe). */
export const subscriptionKey = (evt: string, args: Readonly<Record<string, unknown>>): string =>
  `${evt}:${stableStringify(args)}`

const stableStringify = (value: unknown): string => {
  if (value === null || typeof value !== "object") return JSON.stringify(value) ?? "null"
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(",")}]`
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableStringify(v)}`).join(",")}}`
}

/** One decoder per event, built once: events are the hot path (thousands a second when people talk). */
export const eventDecoders: ReadonlyMap<string, (data: unknown) => Exit.Exit<unknown, Schema.SchemaError>> = new Map(
  Object.entries(EventPayloads).map(([evt, schema]) => [evt, Schema.decodeUnknownExit(schema as Schema.Codec<unknown>)])
)

// ---------------------------------------------------------------------------------------------
// the subscriptions
// ---------------------------------------------------------------------------------------------

/** What the subscriptions need from the client that owns them. */
export interface SubscriptionsOptions {
  /** Events one subscriber may have waiting before its oldest are dropped. */
  readonly subscriberBuffer: number
  /** How long a (UN)SUBSCRIBE may wait for its reply. */
  readonly requestTimeoutMillis: number
  /** Runs background work (reply watchers, warnings) for as long as the client lives. */
  readonly run: (effect: Effect.Effect<void>) => unknown
  /** Where (UN)SUBSCRIBE goes out. */
  readonly queue: Pick<CommandQueue, "write" | "awaitReply">
  /** The connection in use now, if any. */
  readonly current: () => Connection | undefined
}

/**
 * The subscriptions of one client. They outlive connections: `replay` sends them all again on
 * a fresh one, `dispatch` hands each event to the subscribers of its kind.
 */
export const makeSubscriptions = (options: SubscriptionsOptions) => {
  const { current, queue: { awaitReply, write }, requestTimeoutMillis, run, subscriberBuffer } = options
  const subscriptions = new Map<string, RemoteSubscription>()
  const subscriptionsByEvent = new Map<string, Set<RemoteSubscription>>()
  let droppedEvents = 0

  /**
   * Write (UN)SUBSCRIBE now, synchronously — so it reaches the wire before any request issued
   * after `subscribe` returns — and watch its reply in the background.
   */
  const sendSubscription = (
    connection: Connection,
    cmd: "SUBSCRIBE" | "UNSUBSCRIBE",
    sub: RemoteSubscription,
    attempt = 0
  ): void => {
    const reply = Deferred.makeUnsafe<unknown, RpcRequestError>()
    const nonce = write(connection, cmd, sub.args, reply, requestTimeoutMillis, sub.evt)
    run(
      awaitReply(connection, nonce, reply).pipe(
        Effect.catch((e) => {
          // subscriptions die with the socket anyway (docs/discord-rpc.md#subscribe-and-unsubscribe): a drop is no news
          if (e._tag === "ConnectionLostError") return Effect.logDebug(`${cmd} ${sub.evt}: ${e.message}`)
          // an unanswered SUBSCRIBE may never have been registered: without it the state
          // would silently stop following Discord, so it is asked again (a duplicate is a no-op)
          if (cmd === "SUBSCRIBE" && e._tag === "RpcTimeoutError") {
            const delay = backoffDelay(attempt, SUBSCRIBE_RETRY_BASE_MILLIS, SUBSCRIBE_RETRY_CAP_MILLIS)
            return Effect.logWarning(`${cmd} ${sub.evt}: ${e.message}; asking again`).pipe(
              Effect.andThen(Effect.sleep(Duration.millis(delay))),
              Effect.andThen(Effect.sync(() => {
                if (current() === connection && connection.authenticated && subscriptions.get(sub.key) === sub) {
                  sendSubscription(connection, cmd, sub, attempt + 1)
                }
              }))
            )
          }
          return Effect.logWarning(`${cmd} ${sub.evt} failed: ${e.message}`)
        }),
        Effect.asVoid
      )
    )
  }

  const subscribe = <E extends EventName>(
    evt: E,
    args: Readonly<Record<string, unknown>> = {}
  ): Effect.Effect<Stream.Stream<EventPayload<E>>, never, Scope.Scope> =>
    Effect.gen(function*() {
      // sliding: a stalled reader keeps the newest events, and Discord's initial dispatch
      // after every reconnect (docs/discord-rpc.md#subscribe-and-unsubscribe) cannot pile up in it
      const queue = yield* Queue.sliding<EventPayload<E>>(subscriberBuffer)
      const key = subscriptionKey(evt, args)
      let sub = subscriptions.get(key)
      if (sub === undefined) {
        sub = { key, evt, args, subscribers: new Set() }
        subscriptions.set(key, sub)
        let byEvent = subscriptionsByEvent.get(evt)
        if (byEvent === undefined) subscriptionsByEvent.set(evt, byEvent = new Set())
        byEvent.add(sub)
        const live = current()
        if (live?.authenticated) sendSubscription(live, "SUBSCRIBE", sub)
      }
      const owned = sub
      owned.subscribers.add(queue as Queue.Queue<unknown>)
      yield* Effect.addFinalizer(() =>
        Effect.suspend(() => {
          owned.subscribers.delete(queue as Queue.Queue<unknown>)
          if (owned.subscribers.size === 0 && subscriptions.get(key) === owned) {
            subscriptions.delete(key)
            subscriptionsByEvent.get(evt)?.delete(owned)
            const live = current()
            if (live?.authenticated) sendSubscription(live, "UNSUBSCRIBE", owned)
          }
          return Queue.shutdown(queue)
        })
      )
      return Stream.fromQueue(queue)
    })

  const dropOldest = (evt: string) => {
    // warn on the first drop and then at powers of two, so a stuck reader is seen, not spammed
    if (++droppedEvents & (droppedEvents - 1)) return
    run(Effect.logWarning(
      `a ${evt} subscriber is ${subscriberBuffer} events behind and not reading; dropped its oldest ` +
        `(${droppedEvents} dropped so far). Read the subscription stream, or raise subscriberBuffer.`
    ))
  }

  const dispatch = (evt: string, data: unknown) => {
    const subs = subscriptionsByEvent.get(evt)
    if (subs === undefined || subs.size === 0) return
    const decode = eventDecoders.get(evt)
    if (decode === undefined) return
    const decoded = decode(data)
    if (Exit.isFailure(decoded)) {
      run(Effect.logWarning(`ignored a malformed ${evt} event from Discord: ${Cause.pretty(decoded.cause)}`))
      return
    }
    const payload = decoded.value as { readonly channel_id?: unknown }
    for (const sub of subs) {
      // events carry no subscription args; where the payload names its channel, honour it (docs/discord-rpc.md#speaking_start-and-speaking_stop)
      if (
        typeof payload.channel_id === "string" && typeof sub.args.channel_id === "string" &&
        payload.channel_id !== sub.args.channel_id
      ) continue
      for (const subscriber of sub.subscribers) {
        if (Queue.isFullUnsafe(subscriber)) dropOldest(evt)
        Queue.offerUnsafe(subscriber, payload)
      }
    }
  }

  return {
    subscribe,
    dispatch,
    /** Send every subscription on a connection that just became usable. */
    replay: (connection: Connection): void => {
      for (const sub of subscriptions.values()) sendSubscription(connection, "SUBSCRIBE", sub)
    },
    stats: () => {
      let localSubscribers = 0
      for (const sub of subscriptions.values()) localSubscribers += sub.subscribers.size
      return { remoteSubscriptions: subscriptions.size, localSubscribers, droppedEvents }
    }
  }
}
