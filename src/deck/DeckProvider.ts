/**
 * The seam between `Deck` and the USB world: list the Stream Decks present, open one by path,
 * and hint when the set of devices may have changed. Production uses
 * `@elgato-stream-deck/node` (node-hid over hidraw on Linux); tests plug in
 * `FakeDeckProvider` (deckcord/testing), which builds the library's real `StreamDeck` objects
 * over an in-memory HID device, so everything above this seam runs unchanged against fakes.
 *
 * @since 0.1.0
 */
import type { StreamDeck } from "@elgato-stream-deck/core"
import { Context, Deferred, Duration, Effect, Exit, Layer, Queue, Schema, type Scope, Stream } from "effect"
import * as Fs from "node:fs"
import * as Path from "node:path"
import { fileURLToPath } from "node:url"

// ---------------------------------------------------------------------------------------------
// models
// ---------------------------------------------------------------------------------------------

/** A Stream Deck seen by a scan, not yet opened. */
export interface DeckCandidate {
  /** Where to open it (`/dev/hidrawN` on Linux; changes on every replug). */
  readonly path: string
  /** The library's `DeviceModelId`. */
  readonly model: string
  /** USB serial number when the OS reports it; `Deck` asks the device itself otherwise. */
  readonly serial?: string
}

/**
 * Why the HID layer failed. `NativeModuleMissing` and `PermissionDenied` are the two
 * failures a user can fix, and `hint` says how.
 */
export type DeckHidFailure = "NativeModuleMissing" | "PermissionDenied" | "Failed"

/** Listing or opening Stream Decks failed; `message` and `hint` are written for the user. */
export class DeckHidError extends Schema.TaggedError<DeckHidError>()("DeckHidError", {
  reason: Schema.Literals(["NativeModuleMissing", "PermissionDenied", "Failed"]),
  message: Schema.String,
  hint: Schema.String,
  path: Schema.optional(Schema.String)
}) {}

/** The udev rules file shipped with deckcord (`udev/` sits two levels above `deck/`, in src/ and in dist/ alike). */
export const UDEV_RULES_PATH = fileURLToPath(new URL("../../udev/60-deckcord-streamdeck.rules", import.meta.url))

/** The Debian/Ubuntu package whose absence makes node-hid's prebuilt binding fail to load. */
export const LIBUSB_PACKAGE = "libusb-1.0-0"

export const NATIVE_MODULE_HINT =
  `Install the USB HID library: \`sudo apt install ${LIBUSB_PACKAGE}\` (Debian/Ubuntu; ` +
  `"libusb1" on Fedora, "libusb" on Arch), then restart deckcord.`

export const PERMISSION_HINT =
  `Allow your user to open Stream Decks: \`sudo cp ${UDEV_RULES_PATH} /etc/udev/rules.d/ && ` +
  `sudo udevadm control --reload-rules && sudo udevadm trigger\`, then unplug and replug the deck.`

const errorText = (cause: unknown): string =>
  cause instanceof Error ? cause.message : typeof cause === "string" ? cause : String(cause)

const errorCode = (cause: unknown): unknown =>
  typeof cause === "object" && cause !== null && "code" in cause ? (cause as { code: unknown }).code : undefined

/**
 * Turn whatever node-hid / the library threw into a `DeckHidError` a user can act on:
 * `ERR_DLOPEN_FAILED` means the prebuilt binding's shared libraries are missing (libusb);
 * EACCES / "Permission denied" opening a hidraw node means the udev rule is not installed.
 */
export const classifyHidError = (cause: unknown, path?: string): DeckHidError => {
  const text = errorText(cause)
  const code = errorCode(cause)
  const at = path === undefined ? {} : { path }
  if (code === "ERR_DLOPEN_FAILED" || /cannot open shared object file/i.test(text)) {
    return new DeckHidError({
      reason: "NativeModuleMissing",
      message: `Stream Deck support is unavailable: the native HID module could not load (${text}).`,
      hint: NATIVE_MODULE_HINT,
      ...at
    })
  }
  if (code === "EACCES" || code === "EPERM" || /permission denied/i.test(text)) {
    return new DeckHidError({
      reason: "PermissionDenied",
      message: `Permission denied opening the Stream Deck${path === undefined ? "" : ` at ${path}`} (${text}).`,
      hint: PERMISSION_HINT,
      ...at
    })
  }
  return new DeckHidError({
    reason: "Failed",
    message: `Stream Deck I/O failed${path === undefined ? "" : ` at ${path}`}: ${text}`,
    hint: "Unplug and replug the deck; if it persists, run `deckcord doctor`.",
    ...at
  })
}

// ---------------------------------------------------------------------------------------------
// service
// ---------------------------------------------------------------------------------------------

export interface DeckProviderShape {
  /** The Stream Decks present now. */
  readonly list: Effect.Effect<ReadonlyArray<DeckCandidate>, DeckHidError>
  /** Open one. The caller owns the result and must `close()` it. */
  readonly open: (path: string) => Effect.Effect<StreamDeck, DeckHidError>
  /**
   * Hints that devices may have changed (plugged, unplugged, permissions applied). Watching
   * starts when this effect runs, so nothing after it is missed; it stops with the scope.
   */
  readonly watch: Effect.Effect<Stream.Stream<void>, never, Scope.Scope>
}

export class DeckProvider extends Context.Service<DeckProvider, DeckProviderShape>()("deckcord/DeckProvider") {
  /**
   * Build a provider from promise-returning functions; rejections become classified
   * `DeckHidError`s, so real and fake providers fail the same way.
   */
  static readonly fromPromises = (impl: {
    readonly list: () => Promise<ReadonlyArray<DeckCandidate>>
    readonly open: (path: string) => Promise<StreamDeck>
    readonly watch: Effect.Effect<Stream.Stream<void>, never, Scope.Scope>
  }): DeckProviderShape => ({
    list: Effect.tryPromise({ try: () => impl.list(), catch: (cause) => classifyHidError(cause) }),
    open: (path) => Effect.tryPromise({ try: () => impl.open(path), catch: (cause) => classifyHidError(cause, path) }),
    watch: impl.watch
  })

  /**
   * The real provider over `@elgato-stream-deck/node`. The module (and node-hid's native
   * binding) loads on first use, so a machine without libusb still starts; every scan tries
   * again, so installing the library later needs no restart of the rest of the daemon.
   */
  static readonly layerNodeWith = (options: HotplugOptions = {}): Layer.Layer<DeckProvider> =>
    Layer.sync(DeckProvider, () => {
      const lib = () => import("./hidLibrary.ts")
      return DeckProvider.of(DeckProvider.fromPromises({
        list: async () => {
          const found = await (await lib()).listStreamDecks()
          return found.map((d): DeckCandidate =>
            d.serialNumber === undefined || d.serialNumber === ""
              ? { path: d.path, model: d.model }
              : { path: d.path, model: d.model, serial: d.serialNumber }
          )
        },
        // JPEG settings as Companion uses them: high quality, 4:2:2 keeps text edges crisp.
        open: async (path) => (await lib()).openStreamDeck(path, { jpegOptions: { quality: 95, subsampling: 1 } }),
        watch: watchDevices(options)
      }))
    })

  /** `layerNodeWith()`: hot-plug hints from /dev. */
  static readonly layerNode: Layer.Layer<DeckProvider> = DeckProvider.layerNodeWith()
}

// ---------------------------------------------------------------------------------------------
// hot-plug hints
// ---------------------------------------------------------------------------------------------

/** A burst of /dev events (one device creates several nodes) becomes one rescan. */
export const HOTPLUG_DEBOUNCE = Duration.millis(100)
/** Rescan again after this: udev applies the permission rule after the node appears. */
export const HOTPLUG_SETTLE = Duration.seconds(1)
/**
 * Without a /dev watch (macOS, Windows, a container without /dev events) scan this often:
 * the slowest rate that still shows a newly plugged deck within 2 s; enumerating HID
 * devices is cheap.
 */
export const POLL_INTERVAL = Duration.seconds(2)

/**
 * Where and how the hot-plug watcher looks. Every default is the real system's; tests point
 * the watch at a directory of their own. Only the hints come from here: listing and opening
 * still go through node-hid.
 */
export interface HotplugOptions {
  /** The directory where `hidrawN` nodes appear (default `/dev`). */
  readonly dir?: string
  /** Only Linux has hidraw nodes to watch; elsewhere hints come from polling (default `process.platform`). */
  readonly platform?: string
  /** Starts the directory watch (default `fs.watch`); throwing means the directory cannot be watched. */
  readonly watch?: (
    dir: string,
    options: { readonly persistent: boolean },
    listener: (event: Fs.WatchEventType, name: string | null) => void
  ) => Fs.FSWatcher
}

/** The directory's device and inode, to tell the directory itself from an entry that shares its name. */
const identity = (dir: string): string | undefined => {
  try {
    const stat = Fs.statSync(dir)
    return `${stat.dev}:${stat.ino}`
  } catch {
    return undefined
  }
}

/**
 * A watch on the device directory for hidraw nodes appearing and disappearing, set up at
 * once (so nothing after it is missed) and closed with the scope; each event is offered to
 * `events`. `undefined` where the directory cannot be watched; `failed` completes if the
 * watch dies later (an error, or the directory gone). A plain `fs.watch`: effect's
 * FileSystem watch starts only when its stream is pulled, and the provider must not need a
 * FileSystem.
 */
const watchDevDir = (options: HotplugOptions, events: Queue.Queue<void>, failed: Deferred.Deferred<void>) =>
  Effect.acquireRelease(
    Effect.sync((): Fs.FSWatcher | undefined => {
      if ((options.platform ?? process.platform) !== "linux") return undefined
      const dir = options.dir ?? "/dev"
      const self = Path.basename(dir)
      const before = identity(dir)
      try {
        const watcher = (options.watch ?? Fs.watch)(dir, { persistent: false }, (event, name) => {
          if (name === null || name.startsWith("hidraw")) {
            Queue.offerUnsafe(events, undefined)
          } else if (event === "rename" && name === self && identity(dir) !== before) {
            // The watched directory itself went (removed, or /dev unmounted in a container):
            // the kernel ends the watch, and Node reports only this event, no error.
            dead()
          }
        })
        const dead = () => {
          watcher.close()
          Deferred.doneUnsafe(failed, Exit.void)
        }
        watcher.on("error", dead)
        return watcher
      } catch {
        return undefined
      }
    }),
    (watcher) => Effect.sync(() => watcher?.close())
  )

/**
 * Hints from the device directory's watch on Linux (debounced, then once more after the udev
 * rule had time to apply); a fixed-interval tick elsewhere, and after the watch dies.
 */
const watchDevices = (options: HotplugOptions): Effect.Effect<Stream.Stream<void>, never, Scope.Scope> =>
  Effect.gen(function*() {
    const hints = yield* Queue.sliding<void>(1)
    const hint = Queue.offer(hints, undefined)
    const polling = Effect.forever(Effect.sleep(POLL_INTERVAL).pipe(Effect.andThen(hint)))
    const events = yield* Queue.sliding<void>(1)
    const failed = yield* Deferred.make<void>()
    const watcher = yield* watchDevDir(options, events, failed)
    if (watcher === undefined) {
      yield* Effect.forkScoped(polling)
    } else {
      const settled = Effect.sleep(HOTPLUG_SETTLE).pipe(Effect.andThen(hint))
      yield* Effect.forkScoped(
        Stream.fromQueue(events).pipe(
          Stream.debounce(HOTPLUG_DEBOUNCE),
          Stream.runForEach(() => hint.pipe(Effect.andThen(Effect.forkScoped(settled)))),
          Effect.raceFirst(Deferred.await(failed)),
          Effect.andThen(polling)
        )
      )
    }
    return Stream.fromQueue(hints)
  })
