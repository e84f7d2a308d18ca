/**
 * The middle of both paths (docs/ARCHITECTURE.md#the-two-data-paths). State path: for every connected deck, every
 * bound control's face is its action's face of the `VoiceModel` (plus pending / error
 * overlays), handed to `Deck.setFace` only when it changed. Command path: deck input →
 * the binding on that control → its handler → `DiscordRpc`.
 *
 * Everything is scoped per deck and per layout version: unplugging a deck stops its fibers,
 * a config edit re-resolves its layout, and a returning deck is drawn again from state.
 *
 * Over 400 lines because both paths meet here over one state: the layout in force, the faces
 * shown and the inputs queued per control; the actions themselves are in `actions/`.
 *
 * @since 0.1.0
 */
import {
  Cause,
  Clock,
  Context,
  Deferred,
  Duration,
  Effect,
  Equal,
  Exit,
  Fiber,
  FiberHandle,
  FiberMap,
  Layer,
  Queue,
  Result,
  Schema,
  Stream,
  SubscriptionRef
} from "effect"
import {
  ActionError,
  type ActionEnv,
  type ActionFailure,
  type ActionInput,
  type AnyActionDef,
  type ControlKind,
  HOME_PAGE,
  InputEnteredAt,
  isLive,
  LIVE_WAIT_MILLIS,
  makeKnownState,
  status,
  statusUnavailableFace,
  unavailability,
  unavailableFace
} from "./actions/index.ts"
import * as Path from "node:path"
import { Deck, type DeckControl, type DeckInfo, type DeckInput } from "../deck/Deck.ts"
import { CommandDeadline, type Deadline, deadlineFrom, DiscordRpc } from "../discord/DiscordRpc.ts"
import { BLANK_FACE, type Face } from "../face/Face.ts"
import { type Binding, decodeLayout, EMPTY_LAYOUT, type Layout, layoutFor, type PageLayout } from "./Layout.ts"
import { CommandExpiredError } from "../discord/RpcErrors.ts"
import { Settings } from "../config/Settings.ts"
import { type VoiceModel, VoiceState } from "../discord/VoiceState.ts"

// ---------------------------------------------------------------------------------------------
// constants
// ---------------------------------------------------------------------------------------------

/** A failed press shows its error face this long: enough to notice, short enough not to look broken. */
export const ERROR_FACE_MILLIS = 2_000
/**
 * A press still unanswered after this shows "pending" (a reply normally takes milliseconds).
 * A press made while Discord is unavailable shows it at once.
 */
export const PENDING_FACE_AFTER_MILLIS = 300
/**
 * A press (or turn, or touch) that has not reached Discord this long after it entered deckcord
 * is dropped and shows the error face: a mute pressed long ago must not land now.
 */
export const PRESS_DEADLINE_MILLIS = 5_000
/**
 * Presses, turns and touches one control may have waiting. Discord answers in milliseconds, so
 * inputs pile up only while it is unavailable, and then each expires `PRESS_DEADLINE_MILLIS`
 * after it was made anyway; 8 holds a burst of quick presses, and more is someone hammering a
 * key that does nothing (told at once by the error face, not by a burst of toggles later).
 * Releases are not counted: each follows its press, and a lost release would leave
 * push-to-talk on.
 */
export const CONTROL_QUEUE_CAPACITY = 8

/**
 * `Controller.submit` could not take an input: nothing is bound there on the page shown, or
 * the control already has `CONTROL_QUEUE_CAPACITY` inputs waiting.
 *
 * @category errors
 */
export class PressRejectedError extends Schema.TaggedError<PressRejectedError>()("PressRejectedError", {
  control: Schema.String,
  reason: Schema.Literals(["unbound", "queue-full"])
}) {
  override get message(): string {
    return this.reason === "unbound"
      ? `nothing is bound to ${this.control} on the page shown`
      : `${this.control} already has ${CONTROL_QUEUE_CAPACITY} inputs waiting for Discord; this one was dropped`
  }
}

/** Every way a submitted input can fail. */
export type PressError = PressRejectedError | ActionFailure

// ---------------------------------------------------------------------------------------------
// service
// ---------------------------------------------------------------------------------------------

/** The key of a control in `faces`: `"<serial>/key:3"`, `"<serial>/encoder:0"`. */
export const controlId = (serial: string, control: DeckControl): string =>
  `${serial}/${control.kind === "lcd" ? "lcd" : `${control.kind}:${control.index}`}`

// ---------------------------------------------------------------------------------------------
// pure parts
// ---------------------------------------------------------------------------------------------

/** What the controls of every deck are bound to, and whether Discord can be reached at all. */
interface LayoutState {
  readonly layout: Layout
  /** A client id is configured (else every key asks the user to set up). */
  readonly configured: boolean
}

/** A bound control's own state besides the model. */
interface BindingState {
  local: unknown
  overlay: "pending" | "error" | undefined
}

/** The face of a bound control: the action's face (or why it cannot have one), overrides, overlay. */
export const bindingFace = (
  model: VoiceModel,
  binding: Binding,
  kind: ControlKind,
  state: { readonly local: unknown; readonly overlay: "pending" | "error" | undefined },
  configured: boolean,
  /** The folder that the layout's picture paths are relative to (the config file's). */
  imageFolder?: string
): Face => {
  // navigation needs no Discord: its keys work while everything else waits
  const why = binding.action.offline === true ? undefined : unavailability(model, configured)
  const own = why === undefined ? binding.action.face(model, binding.options, state.local, kind) : undefined
  const image = own === undefined || imageFolder === undefined ? undefined : imageFor(binding, own, imageFolder)
  const base: Face = why === undefined
    ? {
      ...own,
      ...(binding.label === undefined ? {} : { label: binding.label }),
      ...(binding.icon === undefined ? {} : { icon: binding.icon }),
      ...(image === undefined ? {} : { image })
    }
    : binding.action === status
    ? statusUnavailableFace(why)
    : unavailableFace(why, binding.label ?? binding.action.title, binding.icon ?? binding.action.icon)
  return {
    ...base,
    ...(binding.background === undefined ? {} : { background: binding.background }),
    ...(binding.foreground === undefined ? {} : { foreground: binding.foreground }),
    ...(state.overlay === undefined ? {} : { overlay: state.overlay })
  }
}

/**
 * The picture a binding shows in this state, as an absolute path: `images.on` while the
 * action's face says its state is on (muted, deafened, in the channel, camera on: an active
 * or muted tone), `images.off` otherwise, else `image`.
 */
const imageFor = (binding: Binding, face: Face, folder: string): string | undefined => {
  const on = face.tone === "active" || face.tone === "muted"
  const file = (on ? binding.images?.on : binding.images?.off) ?? binding.image
  return file === undefined ? undefined : Path.resolve(folder, file)
}

/** Which control an input is for, and what it means there. */
const routeOf = (input: DeckInput): { readonly control: string; readonly input: ActionInput } | undefined => {
  switch (input._tag) {
    case "KeyDown":
      return { control: `key:${input.key}`, input: { _tag: "Press" } }
    case "KeyUp":
      return { control: `key:${input.key}`, input: { _tag: "Release" } }
    case "EncoderDown":
      return { control: `encoder:${input.encoder}`, input: { _tag: "Press" } }
    case "EncoderUp":
      return { control: `encoder:${input.encoder}`, input: { _tag: "Release" } }
    case "EncoderRotate":
      return { control: `encoder:${input.encoder}`, input: { _tag: "Rotate", delta: input.delta } }
    case "LcdTouch":
      return input.encoder === undefined
        ? undefined
        : { control: `encoder:${input.encoder}`, input: { _tag: "Touch", long: input.kind === "long" } }
    case "LcdSwipe":
      return undefined // swipes turn pages (`turnPage`), they belong to no control
  }
}

/** An input waiting for its control, with its deadline and, from `submit`, who waits for it. */
interface QueuedInput {
  readonly input: ActionInput
  readonly deadline: Deadline
  readonly done: Deferred.Deferred<void, PressError> | undefined
}

/** Hands an input to one bound control. */
type Inlet = (item: QueuedInput) => Effect.Effect<void>

const describeFailure = (cause: Cause.Cause<unknown>): string => {
  const error = Cause.squash(cause)
  return error instanceof Error ? error.message : Cause.pretty(cause)
}

// ---------------------------------------------------------------------------------------------
// the controller
// ---------------------------------------------------------------------------------------------

const makeController = Effect.gen(function*() {
  const deck = yield* Deck
  const voice = yield* VoiceState
  const rpc = yield* DiscordRpc
  const settings = yield* Settings
  const env: ActionEnv = { rpc, voice, known: makeKnownState(), liveWaitMillis: LIVE_WAIT_MILLIS }
  const faces = yield* SubscriptionRef.make<ReadonlyMap<string, Face>>(new Map())
  const imageFolder = Path.dirname(Path.resolve(settings.file))

  // ---- layouts: decoded once per config version; an invalid edit keeps the last valid one ----
  const initialConfig = yield* settings.config
  const initialLayout = decodeLayout(initialConfig.decks)
  if (Result.isFailure(initialLayout)) {
    yield* Effect.logError(`${settings.file}: invalid deck layout, using the default layouts:\n${initialLayout.failure.message}`)
  }
  const layoutState = yield* SubscriptionRef.make<LayoutState>({
    layout: Result.isSuccess(initialLayout) ? initialLayout.success : EMPTY_LAYOUT,
    configured: initialConfig.clientId !== undefined
  })
  let lastDecks: unknown = initialConfig.decks
  yield* settings.changes.pipe(
    Stream.runForEach((config) =>
      Effect.gen(function*() {
        // another key of the file changed: the same layout stays, its bindings keep their state
        const sameDecks = Equal.equals(config.decks, lastDecks)
        const configured = config.clientId !== undefined
        const current = yield* SubscriptionRef.get(layoutState)
        if (sameDecks && configured === current.configured) return
        if (sameDecks) return yield* SubscriptionRef.set(layoutState, { ...current, configured })
        lastDecks = config.decks
        const decoded = decodeLayout(config.decks)
        if (Result.isFailure(decoded)) {
          return yield* Effect.logError(
            `${settings.file}: invalid deck layout (keeping the last valid one until it is fixed):\n${decoded.failure.message}`
          )
        }
        yield* SubscriptionRef.set(layoutState, { layout: decoded.success, configured })
      })
    ),
    Effect.forkScoped
  )

  // ---- input routing: one reader for all decks, one ordered, bounded queue per bound control ----
  const routes = new Map<string, ReadonlyMap<string, Inlet>>()
  /** Per deck with pages: turn by one page (a horizontal swipe on the touch strip). */
  const pageTurners = new Map<string, (step: 1 | -1) => Effect.Effect<void>>()
  const turnPage = (swipe: Extract<DeckInput, { readonly _tag: "LcdSwipe" }>) => {
    const turn = pageTurners.get(swipe.serial)
    const dx = swipe.to.x - swipe.from.x
    // a swipe to the left brings the next page in, as on a phone
    return turn === undefined || dx === 0 ? Effect.void : turn(dx < 0 ? 1 : -1)
  }
  /** Route an input to its control; the outcome, if asked for, completes `done`. */
  const route = (event: DeckInput, done: Deferred.Deferred<void, PressError> | undefined): Effect.Effect<void> => {
    if (event._tag === "LcdSwipe") {
      return turnPage(event).pipe(Effect.andThen(done === undefined ? Effect.void : Deferred.succeed(done, undefined)))
    }
    const to = routeOf(event)
    const inlet = to === undefined ? undefined : routes.get(event.serial)?.get(to.control)
    if (to === undefined || inlet === undefined) {
      return done === undefined ? Effect.void : Deferred.fail(
        done,
        new PressRejectedError({ control: `${event.serial}/${to?.control ?? event._tag}`, reason: "unbound" })
      ).pipe(Effect.asVoid)
    }
    return inlet({ input: to.input, deadline: deadlineFrom(event.at, PRESS_DEADLINE_MILLIS), done })
  }
  const inputs = yield* deck.subscribeInput
  yield* inputs.pipe(Stream.runForEach((event) => route(event, undefined)), Effect.forkScoped)

  const setShown = (id: string, face: Face | undefined) =>
    SubscriptionRef.update(faces, (m) => {
      const next = new Map(m)
      if (face === undefined) next.delete(id)
      else next.set(id, face)
      return next
    })
  const setShownAll = (changed: ReadonlyArray<readonly [string, Face]>) =>
    SubscriptionRef.update(faces, (m) => {
      const next = new Map(m)
      for (const [id, face] of changed) next.set(id, face)
      return next
    })

  /** One deck under one layout version, until either changes: its pages, one at a time. */
  const runLayout = (info: DeckInfo, { configured, layout }: LayoutState, page: SubscriptionRef.SubscriptionRef<string>) =>
    Effect.gen(function*() {
      const resolved = layoutFor(info, layout)
      for (const problem of resolved.problems) yield* Effect.logWarning(problem)
      yield* Effect.logInfo(
        `${info.productName} (${info.serial}): layout ${resolved.source === "default" ? "default for its size" : `from decks[${JSON.stringify(resolved.source)}]`}`
      )
      // an edit that removed the page on show goes back to the first one
      const current = yield* SubscriptionRef.get(page)
      if (current !== HOME_PAGE && !resolved.pages.has(current)) yield* SubscriptionRef.set(page, HOME_PAGE)
      const navigate = (target: string) => SubscriptionRef.set(page, target)
      if (resolved.pages.size > 0) {
        const order = [HOME_PAGE, ...resolved.pages.keys()]
        const turn = (step: 1 | -1) =>
          SubscriptionRef.update(page, (name) => order[(order.indexOf(name) + step + order.length) % order.length]!)
        pageTurners.set(info.serial, turn)
        yield* Effect.addFinalizer(() =>
          Effect.sync(() => {
            if (pageTurners.get(info.serial) === turn) pageTurners.delete(info.serial)
          })
        )
      }
      const handle = yield* FiberHandle.make<never, never>()
      return yield* SubscriptionRef.changes(page).pipe(
        Stream.changes,
        Stream.runForEach((name) =>
          FiberHandle.run(handle, runPage(info, configured, resolved.pages.get(name) ?? resolved, navigate).pipe(Effect.scoped))
        ),
        Effect.andThen(Effect.never)
      )
    })

  /** One page of a deck's layout while it is shown. */
  const runPage = (info: DeckInfo, configured: boolean, resolved: PageLayout, navigate: (page: string) => Effect.Effect<void>) =>
    Effect.gen(function*() {
      const pageScope = yield* Effect.scope
      /** Set when the page goes: its faces are withdrawn, and a render still running must not bring them back. */
      let tornDown = false
      const poke = yield* Queue.sliding<void>(1)
      const redraw = Queue.offer(poke, undefined).pipe(Effect.asVoid)

      interface Live {
        readonly control: DeckControl
        readonly kind: ControlKind
        readonly id: string
        readonly binding: Binding
        readonly state: BindingState
        readonly queue: Queue.Queue<QueuedInput>
        shown: string | undefined
        held: boolean
        errorGeneration: number
        /** Presses, turns and touches in `queue` (releases are not counted). */
        waiting: number
        /** A press was turned away: its release must be too. */
        pressDropped: boolean
      }
      const bound: Array<Live> = []
      const queues = new Map<string, Inlet>()
      const bindAll = (kind: ControlKind, bindings: ReadonlyMap<number, Binding>) =>
        Effect.gen(function*() {
          for (const [index, binding] of bindings) {
            const control: DeckControl = { kind, index }
            const queue = yield* Queue.unbounded<QueuedInput>()
            const live: Live = {
              control,
              kind,
              id: controlId(info.serial, control),
              binding,
              state: { local: binding.action.initial(binding.options), overlay: undefined },
              queue,
              shown: undefined,
              held: false,
              errorGeneration: 0,
              waiting: 0,
              pressDropped: false
            }
            bound.push(live)
            queues.set(`${kind}:${index}`, (item) => offer(live, item))
          }
        })
      yield* bindAll("key", resolved.keys)
      yield* bindAll("encoder", resolved.encoders)

      // controls the layout leaves empty show nothing (a previous layout's face must not linger)
      for (const key of info.keys) {
        if (!resolved.keys.has(key.index)) yield* deck.setFace(info.serial, { kind: "key", index: key.index }, BLANK_FACE)
      }
      for (const encoder of info.encoders) {
        if (!resolved.encoders.has(encoder.index)) {
          yield* deck.setFace(info.serial, { kind: "encoder", index: encoder.index }, BLANK_FACE)
        }
      }

      // channels shown by keys stay live while this layout lives
      const watched = new Set(bound.flatMap((b) => b.binding.action.watches?.(b.binding.options) ?? []))
      for (const channel of watched) yield* voice.watchChannel(channel)

      // ---- state path: model (or a binding's own state) changed → recompute, write what changed ----
      const render = Effect.gen(function*() {
        const model = yield* voice.get
        const changed: Array<readonly [string, Face]> = []
        for (const b of bound) {
          const face = bindingFace(model, b.binding, b.kind, b.state, configured, imageFolder)
          const key = JSON.stringify(face)
          if (key === b.shown) continue
          b.shown = key
          yield* deck.setFace(info.serial, b.control, face)
          changed.push([b.id, face])
        }
        // one model, one snapshot: published per control, a reader could see one key already
        // redrawn and its neighbour still showing the previous state
        if (changed.length > 0 && !tornDown) yield* setShownAll(changed)
      })
      yield* Stream.merge(
        voice.changes,
        Stream.fromQueue(poke)
      ).pipe(Stream.runForEach(() => render), Effect.forkScoped)

      // ---- command path: each control's inputs in order; different controls concurrently ----
      const describe = (b: Live) =>
        `${info.productName} (${info.serial}) ${b.kind} ${b.control.kind === "lcd" ? "" : b.control.index} "${b.binding.action.name}"`

      /** Log why an input failed and show the error face for a moment. */
      const showFailure = (b: Live, message: string) =>
        Effect.gen(function*() {
          yield* Effect.logWarning(`${describe(b)}: ${message}`)
          const generation = ++b.errorGeneration
          b.state.overlay = "error"
          yield* redraw
          yield* Effect.sleep(Duration.millis(ERROR_FACE_MILLIS)).pipe(
            Effect.andThen(Effect.suspend(() => {
              if (b.errorGeneration !== generation || b.state.overlay !== "error") return Effect.void
              b.state.overlay = undefined
              return redraw
            })),
            Effect.forkIn(pageScope)
          )
        })

      const offer = (b: Live, item: QueuedInput): Effect.Effect<void> =>
        Effect.suspend(() => {
          if (item.input._tag === "Release") {
            if (b.pressDropped) {
              b.pressDropped = false
              return item.done === undefined ? Effect.void : Deferred.succeed(item.done, undefined).pipe(Effect.asVoid)
            }
          } else if (b.waiting >= CONTROL_QUEUE_CAPACITY) {
            if (item.input._tag === "Press") b.pressDropped = true
            const error = new PressRejectedError({ control: b.id, reason: "queue-full" })
            return showFailure(b, error.message).pipe(
              Effect.andThen(item.done === undefined ? Effect.void : Deferred.fail(item.done, error)),
              Effect.asVoid
            )
          } else {
            b.waiting++
          }
          Queue.offerUnsafe(b.queue, item)
          return Effect.void
        })

      const run = (b: Live, input: ActionInput, deadline: Deadline | undefined) =>
        Effect.gen(function*() {
          const startedLive = b.binding.action.offline === true || isLive(yield* voice.get)
          const pending = yield* Effect.sleep(Duration.millis(startedLive ? PENDING_FACE_AFTER_MILLIS : 0)).pipe(
            Effect.andThen(Effect.sync(() => void (b.state.overlay = "pending"))),
            Effect.andThen(redraw),
            Effect.forkChild
          )
          const handled = b.binding.action.handle(input, {
            options: b.binding.options,
            control: b.kind,
            env,
            navigate,
            local: {
              get: Effect.sync(() => b.state.local),
              set: (value: unknown) => Effect.sync(() => void (b.state.local = value)).pipe(Effect.andThen(redraw))
            }
          })
          const exit = yield* (deadline === undefined ? handled : Effect.provideService(handled, CommandDeadline, deadline))
            .pipe(Effect.exit)
          yield* Fiber.interrupt(pending)
          if (Exit.isSuccess(exit)) {
            if (b.state.overlay === "pending") b.state.overlay = undefined
            yield* redraw
            return exit
          }
          if (Cause.hasInterruptsOnly(exit.cause)) return exit
          yield* showFailure(b, describeFailure(exit.cause))
          return exit
        })

      const step = (b: Live, item: QueuedInput): Effect.Effect<Exit.Exit<void, ActionFailure>> =>
        Effect.gen(function*() {
          const { input } = item
          if (input._tag !== "Release") b.waiting--
          // a release without its press here (the press switched pages, came before this
          // layout, or expired) must not reach the new binding: it would end a hold never started
          if (input._tag === "Release" && !b.held) return Exit.void
          if (input._tag === "Release") {
            b.held = false
            // the release of a press that went out always follows it (push-to-talk must not
            // stay on); it gets a deadline of its own, and its entry time for timing a hold
            return yield* run(b, input, undefined).pipe(Effect.provideService(InputEnteredAt, item.deadline.enteredAt))
          }
          const now = yield* Clock.currentTimeMillis
          if (now >= item.deadline.expiresAt) {
            if (input._tag === "Press") b.held = false
            const error = new CommandExpiredError({ cmd: b.binding.action.name, waitedMillis: now - item.deadline.enteredAt })
            yield* showFailure(b, error.message)
            return Exit.fail(error)
          }
          if (input._tag === "Press") b.held = true
          return yield* run(b, input, item.deadline)
        })

      for (const b of bound) {
        yield* Queue.take(b.queue).pipe(
          Effect.flatMap((item) =>
            step(b, item).pipe(
              Effect.flatMap((exit) => (item.done === undefined ? Effect.void : Deferred.done(item.done, exit))),
              // the control stays usable whatever one input did
              Effect.onInterrupt(() => (item.done === undefined ? Effect.void : Deferred.interrupt(item.done)))
            )
          ),
          Effect.forever,
          Effect.forkScoped
        )
        // a control held when its deck goes away (or the layout changes) is released:
        // push-to-talk or hold-to-mute must not stay on
        yield* Effect.addFinalizer(() =>
          b.held
            ? b.binding.action.handle({ _tag: "Release" }, {
              options: b.binding.options,
              control: b.kind,
              env,
              navigate: () => Effect.void, // nothing navigates while this page is torn down
              local: { get: Effect.sync(() => b.state.local), set: () => Effect.void }
            }).pipe(
              Effect.catchCause((cause) => Effect.logWarning(`releasing "${b.binding.action.name}": ${describeFailure(cause)}`)),
              Effect.forkDetach,
              Effect.asVoid
            )
            : Effect.void
        )
      }

      routes.set(info.serial, queues)
      yield* Effect.addFinalizer(() =>
        Effect.gen(function*() {
          if (routes.get(info.serial) === queues) routes.delete(info.serial)
          tornDown = true
          // inputs still waiting here will not run: whoever submitted one learns so
          for (const b of bound) {
            for (let taken = Queue.takeUnsafe(b.queue); taken !== undefined; taken = Queue.takeUnsafe(b.queue)) {
              if (Exit.isSuccess(taken) && taken.value.done !== undefined) {
                Deferred.doneUnsafe(taken.value.done, Exit.fail(new PressRejectedError({ control: b.id, reason: "unbound" })))
              }
            }
          }
          for (const b of bound) yield* setShown(b.id, undefined)
        })
      )
      return yield* Effect.never
    })

  /** One deck while it is connected: its layout follows the config, its page its page keys. */
  const runDeck = (info: DeckInfo) =>
    Effect.gen(function*() {
      const handle = yield* FiberHandle.make<never, never>()
      const page = yield* SubscriptionRef.make(HOME_PAGE)
      yield* layoutState.pipe(
        SubscriptionRef.changes,
        Stream.runForEach((state) => FiberHandle.run(handle, runLayout(info, state, page).pipe(Effect.scoped))),
      )
      return yield* Effect.never
    }).pipe(Effect.scoped)

  // ---- decks come and go ----
  const running = yield* FiberMap.make<string, never, never>()
  const active = new Set<string>()
  yield* deck.deckChanges.pipe(
    Stream.runForEach((decks) =>
      Effect.gen(function*() {
        for (const serial of [...active]) {
          if (!decks.has(serial)) {
            active.delete(serial)
            yield* FiberMap.remove(running, serial)
          }
        }
        for (const [serial, info] of decks) {
          if (active.has(serial)) continue
          active.add(serial)
          yield* FiberMap.run(running, serial, runDeck(info))
        }
      })
    ),
    Effect.forkScoped
  )

  // ---- remote commands: one local state per (action, options), like one invisible key each ----
  const remoteLocal = new Map<string, unknown>()
  const perform = (action: AnyActionDef, options: unknown, input: ActionInput) =>
    Effect.gen(function*() {
      const decoded = yield* Schema.decodeUnknownEffect(action.options)(options).pipe(
        Effect.mapError((e) => new ActionError({ action: action.name, message: `invalid options: ${e.message}` }))
      )
      const key = `${action.name} ${JSON.stringify(options)}`
      // only stateful actions (hold-to-mute) keep an entry, so one per channel joined never piles up
      if (!remoteLocal.has(key)) {
        const initial = action.initial(decoded)
        if (initial !== undefined) remoteLocal.set(key, initial)
      }
      const deadline = deadlineFrom(yield* Clock.currentTimeMillis, PRESS_DEADLINE_MILLIS)
      yield* action.handle(input, {
        options: decoded,
        control: "key",
        env,
        navigate: () => Effect.void, // no deck, no pages
        local: {
          get: Effect.sync(() => remoteLocal.get(key)),
          set: (value: unknown) => Effect.sync(() => void remoteLocal.set(key, value))
        }
      }).pipe(Effect.provideService(CommandDeadline, deadline))
    })

  return Controller.of({
    faces: SubscriptionRef.get(faces),
    faceChanges: SubscriptionRef.changes(faces),
    submit: (input) =>
      Effect.gen(function*() {
        const done = yield* Deferred.make<void, PressError>()
        yield* route(input, done)
        return yield* Deferred.await(done)
      }),
    perform
  })
})

export class Controller extends Context.Service<Controller, {
  /** The face last handed to `Deck.setFace` for every bound control of every connected deck (see `controlId`). */
  readonly faces: Effect.Effect<ReadonlyMap<string, Face>>
  /** The current faces, then after every change. */
  readonly faceChanges: Stream.Stream<ReadonlyMap<string, Face>>
  /**
   * Handle one input as if it came from the deck `input.serial`: the same control queue
   * (order kept, bounded), the same deadline (`PRESS_DEADLINE_MILLIS` from `input.at`, when it
   * entered deckcord; stamp it where it arrives, e.g. with `Clock.currentTimeMillis`), the same
   * faces and logs. Completes when the action finished; fails with `PressRejectedError`, a
   * `CommandExpiredError` past the deadline (never sent), or the action's error.
   * A release is ignored unless its press was taken.
   */
  readonly submit: (input: DeckInput) => Effect.Effect<void, PressError>
  /**
   * Run an action once without a deck (remote commands, the control API): the same handler,
   * the same latest-known state and the same deadline a key press gets
   * (`PRESS_DEADLINE_MILLIS` from the call), with its failure returned instead of shown on a
   * key. `options` are decoded with the action's schema.
   */
  readonly perform: (action: AnyActionDef, options: unknown, input: ActionInput) => Effect.Effect<void, ActionFailure>
}>()("deckcord/Controller") {
  static readonly layer: Layer.Layer<Controller, never, Deck | VoiceState | DiscordRpc | Settings> = Layer.effect(
    Controller,
    makeController
  )
}
