/**
 * Event subscriptions of the Discord client: one remote SUBSCRIBE per distinct (evt, args),
 * shared by its local subscribers, each with its own bounded buffer, and the event decoders.
 *
 * @since 0.2.0
 */
import { type Exit, type Queue, Schema } from "effect"
import { type EventName, EventPayloads } from "../protocol/Message.ts"

/**
 * Well above the ~650 small events one 64 KiB socket read can hold, which arrive before any
 * reader runs; a reader this far behind is stuck, not slow.
 */
export const DEFAULT_SUBSCRIBER_BUFFER = 4_096
/** An unanswered SUBSCRIBE is sent again after this, doubling up to the cap. */
export const SUBSCRIBE_RETRY_BASE_MILLIS = 250
export const SUBSCRIBE_RETRY_CAP_MILLIS = 10_000

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
