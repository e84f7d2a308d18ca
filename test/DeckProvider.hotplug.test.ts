/**
 * The hot-plug watcher over a real `fs.watch` on a temporary directory standing in for /dev.
 * Virtual time (TestClock) drives the debounce, settle and poll timers; the file-system
 * events themselves arrive on their own, so a test waits for the watch to have seen them (a
 * spy behind the watcher's own listener) before it moves the clock.
 */
import { assert, describe, it } from "@effect/vitest"
import { Clock, Deferred, Duration, Effect, Exit, Queue, Scope, Stream } from "effect"
import { TestClock } from "effect/testing"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { DeckProvider, HOTPLUG_DEBOUNCE, HOTPLUG_SETTLE, type HotplugOptions, POLL_INTERVAL } from "../src/index.ts"

const DEBOUNCE = Duration.toMillis(HOTPLUG_DEBOUNCE)
const SETTLE = Duration.toMillis(HOTPLUG_SETTLE)
const POLL = Duration.toMillis(POLL_INTERVAL)

/** Virtual time moves in steps this small, so a timer started a little late still fires on its own step. */
const STEP = Duration.millis(10)

/** Only fails a test whose event never comes; no test waits this long when it passes. */
const liveTimeout = <A, E, R>(what: string, effect: Effect.Effect<A, E, R>) =>
  effect.pipe(
    Effect.timeoutOrElse({ duration: "10 seconds", orElse: () => Effect.die(new Error(`no ${what} within 10 s`)) }),
    TestClock.withLive
  )

const tempDir = Effect.acquireRelease(
  Effect.sync(() => Fs.mkdtempSync(Path.join(Os.tmpdir(), "deckcord-hotplug-"))),
  (dir) => Effect.sync(() => Fs.rmSync(dir, { recursive: true, force: true }))
)

/**
 * A real `fs.watch` that also reports each event it delivered to the watcher's listener
 * (after the listener ran), and when it was closed.
 */
const spyWatch = Effect.gen(function*() {
  const seen = yield* Queue.unbounded<{ readonly event: string; readonly name: string | null }>()
  const closed = yield* Deferred.make<void>()
  const started: Array<Fs.FSWatcher> = []
  const watch: NonNullable<HotplugOptions["watch"]> = (dir, options, listener) => {
    const watcher = Fs.watch(dir, options, (event, name) => {
      listener(event, name)
      Queue.offerUnsafe(seen, { event, name })
    })
    watcher.on("close", () => Deferred.doneUnsafe(closed, Exit.void))
    started.push(watcher)
    return watcher
  }
  /** Waits until the listener has handled an event naming `name`. */
  const sawEventFor = (name: string) =>
    liveTimeout(
      `event for ${name}`,
      Effect.gen(function*() {
        while ((yield* Queue.take(seen)).name !== name) {
          // an earlier event
        }
      })
    )
  return { watch, started, sawEventFor, closed: liveTimeout("close of the watcher", Deferred.await(closed)) }
})

/** Every hint, stamped with the virtual time it arrived at. */
const record = (hints: Stream.Stream<void>) =>
  Effect.gen(function*() {
    const at: Array<number> = []
    yield* hints.pipe(
      Stream.runForEach(() => Effect.map(Clock.currentTimeMillis, (now) => void at.push(now))),
      Effect.forkScoped
    )
    return at
  })

/** Moves virtual time on in steps until `count` hints came, failing after `limit` ms. */
const advanceUntil = (at: ReadonlyArray<number>, count: number, limit: number) =>
  Effect.gen(function*() {
    const end = (yield* Clock.currentTimeMillis) + limit
    while (at.length < count) {
      if ((yield* Clock.currentTimeMillis) >= end) {
        return yield* Effect.die(new Error(`${at.length} hints after ${limit} ms, expected ${count}`))
      }
      yield* TestClock.adjust(STEP)
    }
  })

/** Moves virtual time on by `millis` in steps. */
const advance = (millis: number) =>
  Effect.gen(function*() {
    for (let t = 0; t < millis; t += Duration.toMillis(STEP)) yield* TestClock.adjust(STEP)
  })

const watchWith = (options: HotplugOptions) =>
  Effect.flatMap(DeckProvider, (provider) => provider.watch).pipe(
    Effect.provide(DeckProvider.layerNodeWith(options))
  )

const touch = (dir: string, name: string) => Fs.writeFileSync(Path.join(dir, name), "")

describe("hot-plug hints from a watched directory", () => {
  it.effect("a burst of hidraw nodes gives one hint after the debounce, and one more after the settle delay", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const spy = yield* spyWatch
      const at = yield* record(yield* watchWith({ dir, platform: "linux", watch: spy.watch }))
      const start = yield* Clock.currentTimeMillis
      for (const n of [0, 1, 2]) touch(dir, `hidraw${n}`)
      // inotify keeps order: once this one arrived, the hidraw events before it did too
      touch(dir, "zz-last")
      yield* spy.sawEventFor("zz-last")

      yield* advanceUntil(at, 2, 5 * SETTLE)
      assert.isAtLeast(at[0]! - start, DEBOUNCE, "the first hint waits for the burst to end")
      assert.strictEqual(at[1]! - at[0]!, SETTLE, "the second hint comes the settle delay after the first")
      yield* advance(3 * POLL)
      assert.strictEqual(at.length, 2, "nothing more without new events, and no polling while the watch lives")
    }))

  it.effect("nodes that keep coming within the debounce delay make one hint, the delay after the last", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const spy = yield* spyWatch
      const at = yield* record(yield* watchWith({ dir, platform: "linux", watch: spy.watch }))
      const gap = DEBOUNCE / 2
      for (const n of [0, 1, 2]) {
        touch(dir, `hidraw${n}`)
        yield* spy.sawEventFor(`hidraw${n}`)
        if (n < 2) yield* advance(gap)
      }
      const last = yield* Clock.currentTimeMillis
      yield* advanceUntil(at, 2, 5 * SETTLE)
      assert.isAtLeast(at[0]! - last, DEBOUNCE, "each node restarts the debounce delay")
      assert.strictEqual(at[1]! - at[0]!, SETTLE)
      yield* advance(3 * POLL)
      assert.strictEqual(at.length, 2)
    }))

  it.effect("a node that is not hidraw makes no hint", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const spy = yield* spyWatch
      const at = yield* record(yield* watchWith({ dir, platform: "linux", watch: spy.watch }))
      touch(dir, "ttyACM0")
      yield* spy.sawEventFor("ttyACM0")
      yield* advance(2 * SETTLE)
      assert.deepStrictEqual(at, [])
    }))

  it.effect("a hidraw node removed gives hints like one added", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      touch(dir, "hidraw3")
      const spy = yield* spyWatch
      const at = yield* record(yield* watchWith({ dir, platform: "linux", watch: spy.watch }))
      Fs.rmSync(Path.join(dir, "hidraw3"))
      yield* spy.sawEventFor("hidraw3")
      yield* advanceUntil(at, 2, 5 * SETTLE)
      assert.strictEqual(at[1]! - at[0]!, SETTLE)
    }))
})

describe("hot-plug hints by polling", () => {
  const cases: ReadonlyArray<readonly [string, (dir: string) => HotplugOptions]> = [
    ["on a platform without hidraw nodes", (dir) => ({ dir, platform: "darwin" })],
    ["where the directory cannot be watched", (dir) => ({ dir: Path.join(dir, "missing"), platform: "linux" })],
    ["where the watch throws", (dir) => ({
      dir,
      platform: "linux",
      watch: () => {
        throw Object.assign(new Error("inotify watch limit reached"), { code: "ENOSPC" })
      }
    })]
  ]
  for (const [when, options] of cases) {
    it.effect(`${when}, hints come every poll interval`, () =>
      Effect.gen(function*() {
        const dir = yield* tempDir
        const start = yield* Clock.currentTimeMillis
        const at = yield* record(yield* watchWith(options(dir)))
        yield* advanceUntil(at, 3, 4 * POLL)
        assert.isAtLeast(at[0]! - start, POLL)
        assert.deepStrictEqual([at[1]! - at[0]!, at[2]! - at[1]!], [POLL, POLL])
      }))
  }

  it.effect("a platform without hidraw nodes starts no watch", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const spy = yield* spyWatch
      yield* watchWith({ dir, platform: "win32", watch: spy.watch })
      assert.strictEqual(spy.started.length, 0)
    }))

  it.effect("when the watch reports an error, it is closed and polling takes over", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const spy = yield* spyWatch
      const at = yield* record(yield* watchWith({ dir, platform: "linux", watch: spy.watch }))
      yield* advance(2 * POLL)
      assert.deepStrictEqual(at, [], "no polling while the watch lives")

      const failedAt = yield* Clock.currentTimeMillis
      spy.started[0]!.emit("error", Object.assign(new Error("watch failed"), { code: "EIO" }))
      yield* spy.closed
      yield* advanceUntil(at, 2, 3 * POLL)
      assert.isAtLeast(at[0]! - failedAt, POLL)
      assert.strictEqual(at[1]! - at[0]!, POLL)
    }))
  it.effect("when the watched directory goes away, the watch is closed and polling takes over", () =>
    Effect.gen(function*() {
      const parent = yield* tempDir
      const dir = Path.join(parent, "dev")
      Fs.mkdirSync(dir)
      const spy = yield* spyWatch
      const at = yield* record(yield* watchWith({ dir, platform: "linux", watch: spy.watch }))
      // an entry named like the directory is no sign of its end
      touch(dir, "dev")
      Fs.renameSync(Path.join(dir, "dev"), Path.join(dir, "dev.old"))
      yield* spy.sawEventFor("dev.old")
      yield* advance(2 * POLL)
      assert.deepStrictEqual(at, [], "the watch still lives")

      const goneAt = yield* Clock.currentTimeMillis
      Fs.rmSync(dir, { recursive: true })
      yield* spy.closed
      yield* advanceUntil(at, 2, 3 * POLL)
      assert.isAtLeast(at[0]! - goneAt, POLL)
      assert.strictEqual(at[1]! - at[0]!, POLL)
    }))
})

describe("closing the scope", () => {
  it.effect("closes the watch and cancels a pending settle hint", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const spy = yield* spyWatch
      const scope = yield* Scope.make()
      const at = yield* record(yield* watchWith({ dir, platform: "linux", watch: spy.watch }).pipe(Scope.provide(scope)))
      touch(dir, "hidraw0")
      yield* spy.sawEventFor("hidraw0")
      yield* advanceUntil(at, 1, 5 * DEBOUNCE)
      // the settle hint is due now; closing the scope must cancel it
      yield* Scope.close(scope, Exit.void)
      yield* spy.closed
      touch(dir, "hidraw1")
      yield* advance(3 * POLL)
      assert.strictEqual(at.length, 1)
    }))

  it.effect("stops polling", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const scope = yield* Scope.make()
      const at = yield* record(yield* watchWith({ dir, platform: "darwin" }).pipe(Scope.provide(scope)))
      yield* advanceUntil(at, 1, 2 * POLL)
      yield* Scope.close(scope, Exit.void)
      yield* advance(3 * POLL)
      assert.strictEqual(at.length, 1)
    }))
})
