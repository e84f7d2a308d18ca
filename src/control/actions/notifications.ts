/**
 * The notifications key: Discord's unread notifications (NOTIFICATION_CREATE, scope
 * rpc.notifications.read, docs/discord-rpc.md#scopes-per-command) as a count with the latest
 * sender; a press opens the latest one's channel, a long press marks them all read.
 *
 * @since 0.1.0
 */
import { Clock, Effect } from "effect"
import { CommandDeadline } from "../../discord/DiscordRpc.ts"
import type { Face } from "../../face/Face.ts"
import type { VoiceModel } from "../../discord/VoiceState.ts"
import { ActionError, defineAction, InputEnteredAt, NoOptions } from "./types.ts"

/** Held at least this long, a press clears the count instead of opening the channel. */
export const LONG_PRESS_MILLIS = 600

/** When the current input entered deckcord (a press: its deadline's start), else now. */
const enteredAt = Effect.gen(function*() {
  const deadline = yield* CommandDeadline
  return deadline?.enteredAt ?? (yield* InputEnteredAt) ?? (yield* Clock.currentTimeMillis)
})

const notificationsFace = (model: VoiceModel): Face => {
  const { unread, latest } = model.notifications
  if (unread === 0) return { icon: "bell", tone: "neutral", label: "No news" }
  return {
    icon: "bell",
    tone: "warning",
    badge: unread > 99 ? "99+" : String(unread),
    label: latest?.sender ?? "Notification",
    sublabel: unread === 1 ? "1 unread" : `${unread} unread`
  }
}

export const notifications = defineAction({
  name: "notifications",
  summary: "Count Discord's notifications and show the latest sender; press opens its channel, a long press clears the count.",
  title: "Alerts",
  icon: "bell",
  options: NoOptions,
  scopes: ["notifications"],
  /** When the key went down, until its release decides between open and clear. */
  initial: (): number | undefined => undefined,
  face: (model) => notificationsFace(model),
  handle: (input, { env, local }) =>
    Effect.gen(function*() {
      const clear = env.voice.clearNotifications
      const open = Effect.gen(function*() {
        const model = yield* env.voice.get
        const latest = model.notifications.latest
        if (latest === null) {
          return yield* new ActionError({ action: "notifications", message: "no notification yet: nothing to open" })
        }
        const channel = yield* env.rpc.selectTextChannel(latest.channelId)
        if (channel === null) {
          return yield* new ActionError({ action: "notifications", message: `Discord did not open channel ${latest.channelId}` })
        }
      })
      switch (input._tag) {
        case "Press":
          return yield* local.set(yield* enteredAt)
        case "Release": {
          const pressedAt = yield* local.get
          if (pressedAt === undefined) return // a release without its press (e.g. the layout changed)
          yield* local.set(undefined)
          const held = (yield* enteredAt) - pressedAt
          return yield* held >= LONG_PRESS_MILLIS ? clear : open
        }
        case "Touch":
          return yield* input.long ? clear : open
        case "Rotate":
          return
      }
    })
})
