/**
 * When the Discord client tries again: the backoff while Discord is absent and after a
 * failure, and how long a connection must last to count as a real one.
 *
 * @since 0.2.0
 */
import { Duration, Effect, Schedule } from "effect"

/** @category options */
export interface ReconnectOptions {
  /** First retry delay while no socket exists (Discord not running): cheap, so retried fast. */
  readonly absentBase?: Duration.Input
  readonly absentCap?: Duration.Input
  /**
   * First retry delay after a failure past the socket (handshake, arRPC, auth). Discord
   * throttles handshakes per client id to two a minute (docs/discord-rpc.md#connection-throttle), so these back off slowly.
   */
  readonly failureBase?: Duration.Input
  readonly failureCap?: Duration.Input
}

export const DEFAULT_RECONNECT = {
  absentBase: Duration.millis(250),
  absentCap: Duration.seconds(5),
  failureBase: Duration.seconds(2),
  failureCap: Duration.minutes(1)
} as const satisfies Required<ReconnectOptions>

/** The backoff in the milliseconds the supervisor loop counts in, converted once. */
export interface ReconnectMillis {
  readonly absentBaseMillis: number
  readonly absentCapMillis: number
  readonly failureBaseMillis: number
  readonly failureCapMillis: number
}

const toMillis = (input: Duration.Input): number => Duration.toMillis(Duration.fromInputUnsafe(input))

/** `options` over the defaults, in milliseconds. */
export const reconnectMillis = (options: ReconnectOptions = {}): ReconnectMillis => ({
  absentBaseMillis: toMillis(options.absentBase ?? DEFAULT_RECONNECT.absentBase),
  absentCapMillis: toMillis(options.absentCap ?? DEFAULT_RECONNECT.absentCap),
  failureBaseMillis: toMillis(options.failureBase ?? DEFAULT_RECONNECT.failureBase),
  failureCapMillis: toMillis(options.failureCap ?? DEFAULT_RECONNECT.failureCap)
})

/**
 * A connection that stayed Ready this long was a real one: the backoff starts over. One that
 * died sooner (Discord's updater restarting it, a crash loop) counts as a failed attempt.
 */
export const STABLE_CONNECTION = Duration.seconds(10)

/**
 * The wait before retry `attempt` (0-based): exponential from `base`, jittered by ±20 % so many
 * clients do not retry in step, then capped, so the cap is a promise (a 60 s cap never waits 72 s).
 */
export const backoffDelay = (attempt: number, baseMillis: number, capMillis: number, random: number = Math.random()): number =>
  Math.min(capMillis, baseMillis * 2 ** Math.min(attempt, 30) * (0.8 + 0.4 * random))

/** Exponential, jittered, capped (the cap applies after the jitter): the two reconnect schedules. */
export const reconnectSchedules = (options: ReconnectOptions = {}) => {
  const o = reconnectMillis(options)
  const capped = (base: number, cap: number) =>
    Schedule.exponential(Duration.millis(base)).pipe(
      Schedule.jittered,
      Schedule.modifyDelay(({ duration }) => Effect.succeed(Duration.min(duration, Duration.millis(cap))))
    )
  return {
    whileAbsent: capped(o.absentBaseMillis, o.absentCapMillis),
    afterFailure: capped(o.failureBaseMillis, o.failureCapMillis)
  }
}
