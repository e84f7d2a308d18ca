/**
 * Stream Decks as a service: every connected deck, keyed by USB serial, found at start and
 * on hot-plug; a typed stream of control events; and `setFace`, a per-control latest-wins
 * writer that renders a `Face` at the control's size and sends it without ever blocking the
 * caller. Faces are remembered per (serial, control), so a deck that is replugged, or that
 * shows up only later, simply gets its faces drawn when it opens.
 *
 * Hardware differences are data: key grids, pixel sizes, dials and LCD strips come from the
 * library's control definitions (`StreamDeck.CONTROLS`), never from the model name.
 *
 * Over 400 lines because it is one service over one state: the open decks, their remembered
 * faces and the per-control writers are read and changed together on open, replug and close.
 *
 * @since 0.1.0
 */
import type {
  StreamDeck,
  StreamDeckButtonControlDefinition,
  StreamDeckControlDefinition,
  StreamDeckEncoderControlDefinition,
  StreamDeckLcdSegmentControlDefinition
} from "@elgato-stream-deck/core"
import {
  Clock,
  Context,
  Deferred,
  type Duration,
  Effect,
  Equal,
  Exit,
  FiberSet,
  Layer,
  PubSub,
  Queue,
  Result,
  Schedule,
  Scope,
  Stream,
  SubscriptionRef
} from "effect"
import {
  type DeckCandidate,
  type DeckHidError,
  DeckProvider,
  type DeckProviderShape,
  classifyHidError
} from "./DeckProvider.ts"
import type { Face, PixelSize } from "../face/Face.ts"
import { KeyRenderer, type RenderedFace } from "../face/KeyRenderer.ts"
import { TONE_COLORS } from "../face/Palette.ts"

// ---------------------------------------------------------------------------------------------
// models
// ---------------------------------------------------------------------------------------------

/** What a face is drawn on. */
export type DeckControl =
  | { readonly kind: "key"; readonly index: number }
  /** The LCD strip region above that dial (Stream Deck +); a no-op on decks without one. */
  | { readonly kind: "encoder"; readonly index: number }
  /** The whole LCD strip (Neo, Plus); a no-op on decks without one. */
  | { readonly kind: "lcd" }

export interface DeckKey {
  readonly index: number
  readonly row: number
  readonly column: number
  /** `lcd`: draws images; `rgb`: one colour (Neo touch keys); `none`: no display (Pedal). */
  readonly feedback: "lcd" | "rgb" | "none"
  readonly pixelSize?: PixelSize
}

export interface LcdRegion {
  readonly x: number
  readonly y: number
  readonly width: number
  readonly height: number
}

export interface DeckEncoder {
  readonly index: number
  readonly row: number
  readonly column: number
  /** The part of the LCD strip above this dial, where its face goes. */
  readonly lcdRegion?: LcdRegion
}

export interface DeckInfo {
  readonly serial: string
  /** The library's `DeviceModelId`, e.g. "original-mk2", "plus". */
  readonly model: string
  readonly productName: string
  /** The key grid (all keys, including the Neo's touch keys in row 2). */
  readonly columns: number
  readonly rows: number
  readonly keys: ReadonlyArray<DeckKey>
  readonly encoders: ReadonlyArray<DeckEncoder>
  readonly lcd?: PixelSize
}

export interface LcdPoint {
  readonly x: number
  readonly y: number
}

/** A control event, tagged with the deck's serial. */
/**
 * An input from a deck, stamped with when it entered deckcord (`at`, epoch ms of the Effect
 * `Clock`): a press's deadline runs from there, however long it then waits.
 */
export type DeckInput = DeckInputEvent & { readonly at: number }

/** An input as the device reports it, before it is stamped. */
export type DeckInputEvent =
  | { readonly _tag: "KeyDown" | "KeyUp"; readonly serial: string; readonly key: number }
  | { readonly _tag: "EncoderDown" | "EncoderUp"; readonly serial: string; readonly encoder: number }
  | { readonly _tag: "EncoderRotate"; readonly serial: string; readonly encoder: number; readonly delta: number }
  | {
    readonly _tag: "LcdTouch"
    readonly serial: string
    readonly kind: "short" | "long"
    readonly x: number
    readonly y: number
    /** The dial whose LCD region was touched. */
    readonly encoder?: number
  }
  | {
    readonly _tag: "LcdSwipe"
    readonly serial: string
    readonly from: LcdPoint
    readonly to: LcdPoint
    /** The dial whose LCD region the swipe started on. */
    readonly encoder?: number
  }

/** Whether decks can be used at all; `Unavailable` carries what to do about it. */
export type DeckStatus =
  | { readonly _tag: "Ok" }
  | { readonly _tag: "Unavailable"; readonly message: string; readonly hint: string }

export interface DeckOptions {
  /** Brightness on open, 0..100 (default `DEFAULT_BRIGHTNESS`). */
  readonly brightness?: number
  /** What the decks show after deckcord exits: black (default) or the Elgato logo. */
  readonly onExit?: "clear" | "logo"
  /** Retries of a failed write before the deck counts as lost (default `WRITE_RETRIES`). */
  readonly writeRetries?: number
  /** Pause between those retries (default `WRITE_RETRY_DELAY`). */
  readonly writeRetryDelay?: Duration.Input
  /**
   * Decks that are not on USB (virtual decks in a browser or made through the control API),
   * listed and opened beside the HID provider's: the same `StreamDeck` objects, the same
   * faces and input, so everything above treats them as hardware. Its listing never makes
   * USB problems (`status`) go away, and USB problems never hide it.
   */
  readonly surfaces?: DeckProviderShape
}

/** Readable in a lit room without glaring at night; users override it per deck. */
export const DEFAULT_BRIGHTNESS = 60
/** A USB hiccup clears within a few tries; more means the deck is gone (Companion uses 3). */
export const WRITE_RETRIES = 3
/** Short: a key stays stale while we wait. */
export const WRITE_RETRY_DELAY: Duration.Input = "20 millis"
/**
 * Inputs one reader may have waiting. Hours of pressing at human speed: a reader this far
 * behind is stuck, and it loses its oldest inputs (long past their deadline) rather than
 * growing memory.
 */
export const INPUT_BUFFER = 4_096
/** A deck that stopped answering must not hold up shutdown. */
const EXIT_TIMEOUT: Duration.Input = "1 second"

// ---------------------------------------------------------------------------------------------
// controls → DeckInfo (pure)
// ---------------------------------------------------------------------------------------------

const isButton = (c: StreamDeckControlDefinition): c is StreamDeckButtonControlDefinition => c.type === "button"
const isEncoder = (c: StreamDeckControlDefinition): c is StreamDeckEncoderControlDefinition => c.type === "encoder"
const isLcd = (c: StreamDeckControlDefinition): c is StreamDeckLcdSegmentControlDefinition => c.type === "lcd-segment"

/**
 * Describe a deck from the library's control definitions. A dial's LCD region is the strip's
 * column above it (strip width / its column span), when the strip can draw regions.
 */
export const describeDeck = (
  serial: string,
  deck: Pick<StreamDeck, "MODEL" | "PRODUCT_NAME" | "CONTROLS">
): DeckInfo => {
  const buttons = deck.CONTROLS.filter(isButton)
  const lcd = deck.CONTROLS.find(isLcd)
  const regionWidth = lcd ? Math.floor(lcd.pixelSize.width / lcd.columnSpan) : 0
  const regionOf = (e: StreamDeckEncoderControlDefinition): LcdRegion | undefined => {
    if (!lcd || !lcd.drawRegions) return undefined
    const offset = e.column - lcd.column
    if (offset < 0 || offset >= lcd.columnSpan) return undefined
    return { x: offset * regionWidth, y: 0, width: regionWidth, height: lcd.pixelSize.height }
  }
  return {
    serial,
    model: deck.MODEL,
    productName: deck.PRODUCT_NAME,
    columns: buttons.length === 0 ? 0 : Math.max(...buttons.map((b) => b.column)) + 1,
    rows: buttons.length === 0 ? 0 : Math.max(...buttons.map((b) => b.row)) + 1,
    keys: buttons.map((b): DeckKey =>
      b.feedbackType === "lcd"
        ? { index: b.index, row: b.row, column: b.column, feedback: "lcd", pixelSize: { ...b.pixelSize } }
        : { index: b.index, row: b.row, column: b.column, feedback: b.feedbackType }
    ),
    encoders: deck.CONTROLS.filter(isEncoder).map((e): DeckEncoder => {
      const lcdRegion = regionOf(e)
      return lcdRegion
        ? { index: e.index, row: e.row, column: e.column, lcdRegion }
        : { index: e.index, row: e.row, column: e.column }
    }),
    ...(lcd ? { lcd: { ...lcd.pixelSize } } : {})
  }
}

/** The dial whose LCD region contains strip x-coordinate `x`. */
export const encoderAt = (info: DeckInfo, x: number): number | undefined =>
  info.encoders.find((e) => e.lcdRegion !== undefined && x >= e.lcdRegion.x && x < e.lcdRegion.x + e.lcdRegion.width)
    ?.index

const controlKey = (c: DeckControl) => (c.kind === "lcd" ? "lcd" : `${c.kind}:${c.index}`)

const hexRgb = (hex: string | undefined): readonly [number, number, number] | undefined => {
  if (hex === undefined) return undefined
  const m = /^#([0-9a-f]{3}|[0-9a-f]{6})$/i.exec(hex)
  if (!m || m[1] === undefined) return undefined
  const h = m[1].length === 3 ? [...m[1]].map((c) => c + c).join("") : m[1]
  return [parseInt(h.slice(0, 2), 16), parseInt(h.slice(2, 4), 16), parseInt(h.slice(4, 6), 16)]
}

/** An RGB-only key (Neo touch keys) lights up in the face's background if it has its own, else its tone's lamp colour. */
export const faceColor = (face: Face): readonly [number, number, number] =>
  hexRgb(face.background) ?? hexRgb(TONE_COLORS[face.tone ?? "neutral"].lamp) ?? [0, 0, 0]

const clampPercent = (p: number) => Math.min(100, Math.max(0, Math.round(Number.isFinite(p) ? p : DEFAULT_BRIGHTNESS)))

// ---------------------------------------------------------------------------------------------
// service
// ---------------------------------------------------------------------------------------------

export interface DeckShape {
  /** The decks open now, by serial. */
  readonly decks: Effect.Effect<ReadonlyMap<string, DeckInfo>>
  /** The open decks, current value first, then after every change. */
  readonly deckChanges: Stream.Stream<ReadonlyMap<string, DeckInfo>>
  /**
   * Every control event of every deck; each consumer gets all of them (the README's library
   * example reads this).
   */
  readonly input: Stream.Stream<DeckInput>
  /** Like `input`, but subscribed when this runs, so nothing after it is missed. */
  readonly subscribeInput: Effect.Effect<Stream.Stream<DeckInput>, never, Scope.Scope>
  /**
   * Show a face on a control. Returns at once: the newest face per control wins, the write
   * happens in the background, and the face is kept for when the deck (re)connects.
   */
  readonly setFace: (serial: string, control: DeckControl, face: Face) => Effect.Effect<void>
  /** Set and remember a deck's brightness (0..100). Returns at once. */
  readonly setBrightness: (serial: string, percent: number) => Effect.Effect<void>
  readonly status: Effect.Effect<DeckStatus>
  /** Current status first, then every change. */
  readonly statusChanges: Stream.Stream<DeckStatus>
  /** Scan for decks now and wait for the scan to finish (hot-plug does this by itself). */
  readonly rescan: Effect.Effect<void>
  /** Wait until every face set so far is written (or its deck is lost). */
  readonly flush: Effect.Effect<void>
}

/** One queued write per control: only the newest waits, at most one runs. */
interface Slot {
  pending: { readonly id: string; readonly write: Effect.Effect<void, DeckHidError> } | undefined
  running: boolean
  /** What the control shows now (skips rewriting an identical face). */
  shown: string | undefined
}

interface OpenDeck {
  readonly serial: string
  readonly path: string
  readonly device: StreamDeck
  readonly info: DeckInfo
  readonly lcdId: number
  readonly scope: Scope.Closeable
  readonly fibers: FiberSet.FiberSet<unknown, unknown>
  readonly slots: Map<string, Slot>
  lost: boolean
}

interface Remembered {
  readonly control: DeckControl
  readonly face: Face
}

const describeCause = (cause: unknown) => (cause instanceof Error ? cause.message : String(cause))

const makeDeck = (options: DeckOptions) =>
  Effect.gen(function*() {
    const renderer = yield* KeyRenderer
    const clock = yield* Clock.Clock
    const provider = yield* DeckProvider
    const defaultBrightness = clampPercent(options.brightness ?? DEFAULT_BRIGHTNESS)
    const onExit = options.onExit ?? "clear"
    const retry = {
      times: Math.max(0, options.writeRetries ?? WRITE_RETRIES),
      schedule: Schedule.spaced(options.writeRetryDelay ?? WRITE_RETRY_DELAY)
    }

    const infos = yield* SubscriptionRef.make<ReadonlyMap<string, DeckInfo>>(new Map())
    const status = yield* SubscriptionRef.make<DeckStatus>({ _tag: "Ok" })
    const inputs = yield* PubSub.sliding<DeckInput>(INPUT_BUFFER)
    /** serial → control key → latest face, kept while the deck is away. */
    const faces = new Map<string, Map<string, Remembered>>()
    const brightness = new Map<string, number>()
    const open = new Map<string, OpenDeck>()
    /** Every deck scope, also of decks still opening, so shutdown reaches all of them. */
    const live = new Set<Scope.Closeable>()
    let shuttingDown = false

    // Runs last on layer close (finalizers run in reverse): blank every deck, then close it.
    yield* Effect.addFinalizer(() =>
      Effect.suspend(() => {
        shuttingDown = true
        return Effect.forEach([...live], (scope) => Scope.close(scope, Exit.void), { concurrency: "unbounded", discard: true })
      })
    )
    /** Background work started from device callbacks and writers (loss handling). */
    const run = yield* FiberSet.makeRuntime<never>()

    const publishInfos = Effect.suspend(() =>
      SubscriptionRef.set(
        infos,
        new Map([...open.values()].map((d) => [d.serial, d.info] as const)) as ReadonlyMap<string, DeckInfo>
      )
    )

    // ---- scanning ----------------------------------------------------------------------

    // Requests for a scan coalesce: one wake-up stands for any number of them, and callers of
    // `rescan` wait in `scanWaiters` (as many as wait at once), so nothing here grows by itself.
    const wake = yield* Queue.sliding<void>(1)
    const scanWaiters: Array<Deferred.Deferred<void>> = []
    const requestScan = Queue.offer(wake, undefined).pipe(Effect.asVoid)

    let loggedProblem: string | undefined
    const warned = new Set<string>()

    /** Only real changes reach `statusChanges` (every scan re-derives the status). */
    const setStatus = (next: DeckStatus) =>
      SubscriptionRef.update(status, (current) => Equal.equals(current, next) ? current : next)

    const reportProblem = (e: DeckHidError) =>
      Effect.gen(function*() {
        const key = `${e.reason}:${e.message}`
        if (loggedProblem !== key) {
          loggedProblem = key
          yield* Effect.logWarning(`${e.message} ${e.hint}`)
        }
        yield* setStatus({ _tag: "Unavailable", message: e.message, hint: e.hint })
      })
    const reportOk = Effect.gen(function*() {
      if (loggedProblem !== undefined) {
        loggedProblem = undefined
        yield* Effect.logInfo("Stream Deck access works again.")
      }
      yield* setStatus({ _tag: "Ok" })
    })

    const hid = <A>(path: string, f: () => Promise<A>) =>
      Effect.tryPromise({ try: f, catch: (cause) => classifyHidError(cause, path) })

    const surfaces = options.surfaces
    /** Paths the surfaces listed last, so their decks open through them and not through HID. */
    const surfacePaths = new Set<string>()
    const openSurfaces = Effect.gen(function*() {
      if (surfaces === undefined) return
      const listed = yield* Effect.result(surfaces.list)
      if (Result.isFailure(listed)) return yield* Effect.logWarning(listed.failure.message)
      for (const candidate of listed.success) {
        surfacePaths.add(candidate.path)
        if (candidate.serial !== undefined && open.has(candidate.serial)) continue
        if ([...open.values()].some((d) => d.path === candidate.path)) continue
        const opened = yield* Effect.result(openDeck(candidate))
        if (Result.isFailure(opened)) yield* Effect.logWarning(opened.failure.message)
      }
    })

    const scanOnce = Effect.gen(function*() {
      yield* openSurfaces
      const listed = yield* Effect.result(provider.list)
      if (Result.isFailure(listed)) return yield* reportProblem(listed.failure)
      let problem: DeckHidError | undefined
      for (const candidate of listed.success) {
        if (surfacePaths.has(candidate.path)) continue
        if (candidate.serial !== undefined && open.has(candidate.serial)) continue
        if ([...open.values()].some((d) => d.path === candidate.path)) continue
        const opened = yield* Effect.result(openDeck(candidate))
        if (Result.isSuccess(opened)) continue
        const e = opened.failure
        if (e.reason !== "Failed") {
          problem ??= e
        } else if (/no such file/i.test(e.message)) {
          // gone between listing and opening (just unplugged): the next hint brings it back
          yield* Effect.logDebug(e.message)
        } else if (!warned.has(e.message)) {
          warned.add(e.message)
          yield* Effect.logWarning(`${e.message} ${e.hint}`)
        }
      }
      if (problem) return yield* reportProblem(problem)
      warned.clear()
      yield* reportOk
    })

    // ---- opening -----------------------------------------------------------------------

    const blank = (d: Pick<OpenDeck, "device" | "info">) => async () => {
      await d.device.clearPanel()
      // clearPanel leaves RGB-only keys (Neo touch keys) lit
      for (const k of d.info.keys) if (k.feedback === "rgb") await d.device.fillKeyColor(k.index, 0, 0, 0)
    }

    /** Open a deck into its own scope; any failure (or interruption) on the way closes it again. */
    const openDeck = (candidate: DeckCandidate) =>
      Effect.gen(function*() {
        const scope = yield* Scope.make()
        live.add(scope)
        yield* Scope.addFinalizer(scope, Effect.sync(() => live.delete(scope)))
        yield* openInto(candidate, scope).pipe(
          Effect.onExit((exit) => Exit.isFailure(exit) ? Scope.close(scope, Exit.void) : Effect.void)
        )
      })

    const openInto = (candidate: DeckCandidate, scope: Scope.Closeable) =>
      Effect.gen(function*() {
        const state: { entry?: OpenDeck; early?: unknown } = {}
        const onError = (err: unknown) => {
          if (state.entry) run(loseDeck(state.entry, err))
          else state.early ??= err
        }
        // Opened and listened to in one uninterruptible step, closed with the scope. The error
        // listener comes first: eventemitter3 silently drops an `error` nobody listens to (unplug).
        const opener = surfaces !== undefined && surfacePaths.has(candidate.path) ? surfaces : provider
        const device = yield* Effect.acquireRelease(
          opener.open(candidate.path).pipe(Effect.tap((d) => Effect.sync(() => d.on("error", onError)))),
          (d) =>
            hid(candidate.path, () => d.close()).pipe(
              Effect.ignore,
              Effect.ensuring(Effect.sync(() => d.removeAllListeners()))
            )
        ).pipe(Scope.provide(scope))
        yield* Scope.addFinalizer(
          scope,
          Effect.suspend(() => {
            const entry = state.entry
            if (!shuttingDown || entry === undefined) return Effect.void
            const exit = onExit === "logo" ? () => entry.device.resetToLogo() : blank(entry)
            return hid(entry.path, exit).pipe(Effect.timeout(EXIT_TIMEOUT), Effect.ignore)
          })
        )
        // Made last, so its writers stop before the exit image and the close.
        const fibers = yield* FiberSet.make().pipe(Scope.provide(scope))

        const serial = candidate.serial ?? (yield* hid(candidate.path, () => device.getSerialNumber()))
        if (open.has(serial)) return yield* Scope.close(scope, Exit.void)
        const lcd = device.CONTROLS.find(isLcd)
        const entry: OpenDeck = {
          serial,
          path: candidate.path,
          device,
          info: describeDeck(serial, device),
          lcdId: lcd?.id ?? 0,
          scope,
          fibers,
          slots: new Map(),
          lost: false
        }
        attachInput(entry)
        yield* hid(candidate.path, blank(entry))
        yield* hid(candidate.path, () => device.setBrightness(brightness.get(serial) ?? defaultBrightness))
        if (state.early !== undefined) return yield* classifyHidError(state.early, candidate.path)
        state.entry = entry
        open.set(serial, entry)
        // Restore the remembered faces (the whole strip first, so dial regions land on top),
        // queued before the deck is announced so a `flush` after the announcement waits for them.
        const remembered = [...(faces.get(serial)?.values() ?? [])]
        remembered.sort((a, b) => (a.control.kind === "lcd" ? 0 : 1) - (b.control.kind === "lcd" ? 0 : 1))
        for (const r of remembered) yield* scheduleFace(entry, r.control, r.face)
        yield* publishInfos
        yield* Effect.logInfo(`${entry.info.productName} (${serial}) connected at ${candidate.path}.`)
      })

    const attachInput = (d: OpenDeck) => {
      const emit = (e: DeckInputEvent) => void PubSub.publishUnsafe(inputs, { ...e, at: clock.currentTimeMillisUnsafe() })
      const serial = d.serial
      const touch = (kind: "short" | "long") => (_c: unknown, p: LcdPoint) => {
        const encoder = encoderAt(d.info, p.x)
        emit(
          encoder === undefined
            ? { _tag: "LcdTouch", serial, kind, x: p.x, y: p.y }
            : { _tag: "LcdTouch", serial, kind, x: p.x, y: p.y, encoder }
        )
      }
      d.device.on("down", (c) =>
        emit(c.type === "encoder" ? { _tag: "EncoderDown", serial, encoder: c.index } : { _tag: "KeyDown", serial, key: c.index })
      )
      d.device.on("up", (c) =>
        emit(c.type === "encoder" ? { _tag: "EncoderUp", serial, encoder: c.index } : { _tag: "KeyUp", serial, key: c.index })
      )
      d.device.on("rotate", (c, delta) => emit({ _tag: "EncoderRotate", serial, encoder: c.index, delta }))
      d.device.on("lcdShortPress", touch("short"))
      d.device.on("lcdLongPress", touch("long"))
      d.device.on("lcdSwipe", (_c, from, to) => {
        const encoder = encoderAt(d.info, from.x)
        const f = { x: from.x, y: from.y }
        const t = { x: to.x, y: to.y }
        emit(
          encoder === undefined
            ? { _tag: "LcdSwipe", serial, from: f, to: t }
            : { _tag: "LcdSwipe", serial, from: f, to: t, encoder }
        )
      })
    }

    // ---- losing ------------------------------------------------------------------------

    const loseDeck = (d: OpenDeck, cause: unknown): Effect.Effect<void> =>
      Effect.gen(function*() {
        if (d.lost || shuttingDown) return
        d.lost = true
        if (open.get(d.serial) === d) open.delete(d.serial)
        yield* publishInfos
        yield* Effect.logWarning(
          `${d.info.productName} (${d.serial}) disconnected: ${describeCause(cause)}. ` +
            "It is picked up again when it comes back."
        )
        yield* Scope.close(d.scope, Exit.void)
        yield* requestScan
      })

    // ---- writing -----------------------------------------------------------------------

    const withRetry = (e: Effect.Effect<void, DeckHidError>) => e.pipe(Effect.retry(retry))

    const rendered = (face: Face, size: PixelSize): Effect.Effect<RenderedFace | undefined> =>
      renderer.render(face, size).pipe(
        Effect.flatMap((r) =>
          r.width === size.width && r.height === size.height && r.rgba.length === size.width * size.height * 4
            ? Effect.succeed(r)
            : Effect.logWarning(
              `KeyRenderer returned ${r.width}x${r.height} (${r.rgba.length} bytes) for a ${size.width}x${size.height} control; skipped.`
            ).pipe(Effect.as(undefined))
        ),
        Effect.catchDefect((defect) =>
          Effect.logWarning(`Rendering a face failed: ${describeCause(defect)}`).pipe(Effect.as(undefined))
        )
      )

    /** The write for one control, or undefined where the deck has no such display. */
    const writeFor = (d: OpenDeck, control: DeckControl, face: Face): Effect.Effect<void, DeckHidError> | undefined => {
      const { device, info, path } = d
      switch (control.kind) {
        case "key": {
          const key = info.keys.find((k) => k.index === control.index)
          if (key?.feedback === "rgb") {
            const [r, g, b] = faceColor(face)
            return withRetry(hid(path, () => device.fillKeyColor(key.index, r, g, b)))
          }
          const size = key?.pixelSize
          if (key?.feedback !== "lcd" || size === undefined) return undefined
          return Effect.flatMap(rendered(face, size), (img) =>
            img === undefined
              ? Effect.void
              : withRetry(hid(path, () => device.fillKeyBuffer(key.index, img.rgba, { format: "rgba" }))))
        }
        case "encoder": {
          const region = info.encoders.find((e) => e.index === control.index)?.lcdRegion
          if (region === undefined) return undefined
          return Effect.flatMap(rendered(face, region), (img) =>
            img === undefined ? Effect.void : withRetry(hid(path, () =>
              device.fillLcdRegion(d.lcdId, region.x, region.y, img.rgba, {
                format: "rgba",
                width: region.width,
                height: region.height
              }))))
        }
        case "lcd": {
          const size = info.lcd
          if (size === undefined) return undefined
          return Effect.flatMap(rendered(face, size), (img) =>
            img === undefined ? Effect.void : withRetry(hid(path, () => device.fillLcd(d.lcdId, img.rgba, { format: "rgba" }))))
        }
      }
    }

    /** Writes on a control's slot, one at a time, always the newest; a failure loses the deck. */
    const drain = (d: OpenDeck, key: string, slot: Slot): Effect.Effect<void> =>
      Effect.gen(function*() {
        while (true) {
          const next = slot.pending
          if (next === undefined || d.lost) {
            slot.running = false
            return
          }
          slot.pending = undefined
          if (next.id === slot.shown) continue
          const wrote = yield* Effect.result(next.write)
          if (Result.isFailure(wrote)) {
            slot.running = false
            run(loseDeck(d, wrote.failure.message))
            return
          }
          slot.shown = next.id
          // The strip and the dial regions overlap: drawing one invalidates what the other shows.
          if (key === "lcd") for (const [k, s] of d.slots) if (k.startsWith("encoder:")) s.shown = undefined
          if (key.startsWith("encoder:")) {
            const strip = d.slots.get("lcd")
            if (strip) strip.shown = undefined
          }
        }
      })

    const schedule = (d: OpenDeck, key: string, id: string, write: Effect.Effect<void, DeckHidError>) =>
      Effect.suspend(() => {
        let slot = d.slots.get(key)
        if (slot === undefined) {
          slot = { pending: undefined, running: false, shown: undefined }
          d.slots.set(key, slot)
        }
        slot.pending = { id, write }
        if (slot.running || d.lost) return Effect.void
        slot.running = true
        return FiberSet.run(d.fibers, drain(d, key, slot)).pipe(Effect.asVoid)
      })

    const scheduleFace = (d: OpenDeck, control: DeckControl, face: Face) => {
      const write = writeFor(d, control, face)
      return write === undefined ? Effect.void : schedule(d, controlKey(control), JSON.stringify(face), write)
    }

    const scheduleBrightness = (d: OpenDeck, percent: number) =>
      schedule(d, "brightness", String(percent), withRetry(hid(d.path, () => d.device.setBrightness(percent))))

    // ---- start -------------------------------------------------------------------------

    const hints = surfaces === undefined
      ? yield* provider.watch
      : Stream.merge(yield* provider.watch, yield* surfaces.watch)
    yield* scanOnce
    yield* Effect.forkScoped(Stream.runForEach(hints, () => requestScan))
    yield* Effect.forkScoped(Effect.forever(Effect.gen(function*() {
      yield* Queue.take(wake)
      const batch = scanWaiters.splice(0)
      yield* scanOnce
      for (const waiter of batch) yield* Deferred.succeed(waiter, undefined)
    })))

    return Deck.of({
      decks: SubscriptionRef.get(infos),
      deckChanges: SubscriptionRef.changes(infos),
      input: Stream.fromPubSub(inputs),
      subscribeInput: Effect.map(PubSub.subscribe(inputs), Stream.fromSubscription),
      setFace: (serial, control, face) =>
        Effect.suspend(() => {
          const key = controlKey(control)
          let perDeck = faces.get(serial)
          if (perDeck === undefined) {
            perDeck = new Map()
            faces.set(serial, perDeck)
          }
          perDeck.set(key, { control, face })
          const d = open.get(serial)
          return d === undefined ? Effect.void : scheduleFace(d, control, face)
        }),
      setBrightness: (serial, percent) =>
        Effect.suspend(() => {
          const p = clampPercent(percent)
          brightness.set(serial, p)
          const d = open.get(serial)
          return d === undefined ? Effect.void : scheduleBrightness(d, p)
        }),
      status: SubscriptionRef.get(status),
      statusChanges: SubscriptionRef.changes(status).pipe(Stream.changes),
      flush: Effect.suspend(() =>
        Effect.forEach([...open.values()], (d) => FiberSet.awaitEmpty(d.fibers), { discard: true })
      ),
      rescan: Effect.gen(function*() {
        const done = yield* Deferred.make<void>()
        scanWaiters.push(done)
        yield* requestScan
        yield* Deferred.await(done)
      })
    })
  })

export class Deck extends Context.Service<Deck, DeckShape>()("deckcord/Deck") {
  /** All connected decks with default options (brightness 60, cleared on exit). */
  static readonly layer: Layer.Layer<Deck, never, KeyRenderer | DeckProvider> = Layer.effect(
    Deck,
    makeDeck({})
  )
  static readonly layerWith = (options: DeckOptions): Layer.Layer<Deck, never, KeyRenderer | DeckProvider> =>
    Layer.effect(Deck, makeDeck(options))
}
