/**
 * Multi-actions: one press runs several actions in order (an "AFK" key: mute, deafen, leave),
 * with delays between them; with `then`, presses alternate between two sequences.
 *
 * The layout decoder (Layout.ts) decodes the steps, since each one is a binding of another
 * action; here is how they run. Every step goes through its own action's handler, as a tap
 * (press, then release, so push-to-talk or a hold mode never stays on).
 *
 * @since 0.1.0
 */
import { Clock, Duration, Effect, Exit, Schema } from "effect"
import { CommandDeadline, type Deadline, deadlineFrom } from "../../discord/DiscordRpc.ts"
import { ActionError, type AnyActionDef, defineAction, type HandlerContext } from "./types.ts"

/** The longest delay step: a sequence is a burst of steps, not a scheduler. */
export const MAX_DELAY_MILLIS = 60_000

/** One step of a sequence, as decoded. */
export type MultiStep =
  | { readonly _tag: "Delay"; readonly millis: number }
  | { readonly _tag: "Run"; readonly action: AnyActionDef; readonly options: unknown }

/** A multi-action's decoded options: `then` makes it a toggle between the two sequences. */
export interface MultiOptions {
  readonly steps: ReadonlyArray<MultiStep>
  readonly then?: ReadonlyArray<MultiStep>
}

/** The step actions' own local states, and which sequence the next press runs. */
export interface MultiLocal {
  /** A toggle ran `steps` last: the next press runs `then`. */
  readonly on: boolean
  readonly steps: ReadonlyArray<unknown>
  readonly then: ReadonlyArray<unknown>
}

const isStep = (u: unknown): u is MultiStep =>
  typeof u === "object" && u !== null &&
  (((u as MultiStep)._tag === "Delay" && typeof (u as { millis?: unknown }).millis === "number") ||
    ((u as MultiStep)._tag === "Run" && typeof (u as { action?: { handle?: unknown } }).action?.handle === "function"))

const isSequence = (u: unknown): u is ReadonlyArray<MultiStep> => Array.isArray(u) && u.length > 0 && u.every(isStep)

/**
 * Already-decoded options (Layout.ts builds them from the config). Raw JSON does not pass:
 * a multi-action only comes from a layout.
 */
export const MultiOptionsSchema: Schema.Codec<MultiOptions, unknown> = Schema.declare(
  (u): u is MultiOptions =>
    typeof u === "object" && u !== null && isSequence((u as MultiOptions).steps) &&
    ((u as MultiOptions).then === undefined || isSequence((u as MultiOptions).then)),
  { expected: "a multi-action from a layout" }
) as unknown as Schema.Codec<MultiOptions, unknown>

const runs = (sequence: ReadonlyArray<MultiStep> | undefined) =>
  (sequence ?? []).flatMap((step) => (step._tag === "Run" ? [step] : []))

/** Press, then release, one step through its own handler, with `deadline` on both. */
const tap = (
  step: Extract<MultiStep, { _tag: "Run" }>,
  ctx: HandlerContext<MultiOptions, MultiLocal>,
  sequence: "steps" | "then",
  index: number,
  deadline: Deadline
) =>
  Effect.gen(function*() {
    const local = {
      get: Effect.map(ctx.local.get, (l) => l[sequence][index]),
      set: (value: unknown) =>
        Effect.flatMap(ctx.local.get, (l) => {
          const next = [...l[sequence]]
          next[index] = value
          return ctx.local.set({ ...l, [sequence]: next })
        })
    }
    const stepCtx = { options: step.options, control: ctx.control, env: ctx.env, local, navigate: ctx.navigate }
    const pressed = yield* step.action.handle({ _tag: "Press" }, stepCtx).pipe(Effect.exit)
    // the release goes out whatever the press did, as a key's release does
    yield* step.action.handle({ _tag: "Release" }, stepCtx)
    if (Exit.isFailure(pressed)) return yield* pressed
  }).pipe(Effect.provideService(CommandDeadline, deadline))

export const multi = defineAction({
  name: "multi",
  summary: "Run several actions in order on one press (with delays); with \"then\", presses alternate between two sequences.",
  title: "Multi",
  icon: "voice-processing",
  options: MultiOptionsSchema,
  initial: (options): MultiLocal => ({
    on: false,
    steps: (options.steps ?? []).map((s) => (s._tag === "Run" ? s.action.initial(s.options) : undefined)),
    then: (options.then ?? []).map((s) => (s._tag === "Run" ? s.action.initial(s.options) : undefined))
  }),
  watches: (options) => [...runs(options.steps), ...runs(options.then)].flatMap((s) => s.action.watches?.(s.options) ?? []),
  scopesFor: (options) => [...runs(options.steps), ...runs(options.then)].flatMap((s) => s.action.scopes ?? []),
  face: (_model, options, local) => {
    const count = (local.on ? options.then : options.steps)?.length ?? 0
    return options.then === undefined
      ? { icon: "voice-processing", tone: "neutral", label: "Multi", sublabel: `${count} steps` }
      : { icon: "voice-processing", tone: local.on ? "active" : "neutral", label: "Multi", sublabel: local.on ? "on" : "off" }
  },
  handle: (input, ctx) =>
    Effect.gen(function*() {
      if (input._tag !== "Press") return // each step had its release already
      const state = yield* ctx.local.get
      const which = ctx.options.then !== undefined && state.on ? "then" : "steps"
      const sequence = which === "then" ? ctx.options.then! : ctx.options.steps
      // the first step keeps the press's deadline; each later step gets as long from when it
      // starts, so delays and earlier steps do not use up its time
      const pressDeadline = yield* CommandDeadline
      const budget = pressDeadline === undefined ? ctx.env.liveWaitMillis : pressDeadline.expiresAt - pressDeadline.enteredAt
      let first = true
      for (const [index, step] of sequence.entries()) {
        if (step._tag === "Delay") {
          yield* Effect.sleep(Duration.millis(step.millis))
          continue
        }
        const deadline = first && pressDeadline !== undefined
          ? pressDeadline
          : deadlineFrom(yield* Clock.currentTimeMillis, budget)
        first = false
        yield* tap(step, ctx, which, index, deadline).pipe(
          Effect.mapError((error) =>
            new ActionError({
              action: "multi",
              message: `step ${index + 1} ("${step.action.name}") failed, the steps after it did not run: ${error.message}`
            })
          )
        )
      }
      if (ctx.options.then !== undefined) yield* ctx.local.set({ ...(yield* ctx.local.get), on: !state.on })
    })
})
