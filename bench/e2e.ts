/**
 * End to end through the full layers — DiscordRpc → VoiceState → Controller → Deck →
 * KeyRenderer on a fake MK.2 — against an in-process FakeDiscord:
 * - a Discord event (mute changed in Discord) until the mute key's image is written;
 *   target median ≤ 2 ms, p99 ≤ 5 ms;
 * - a key press until the command frame reaches the fake; target median ≤ 1 ms;
 * - a SPEAKING storm (5,000 events/s for 10 s) into a voice-channel key that highlights
 *   while someone speaks: images written vs events (writes must be coalesced), CPU and memory.
 */
import { Effect, Layer, ManagedRuntime, Redacted, References, Stream, SubscriptionRef } from "effect"
import {
  Authenticator,
  Controller,
  Deck,
  type DeckcordConfig,
  DiscordIpc,
  DiscordRpc,
  KeyRenderer,
  Settings,
  VoiceState
} from "../src/index.ts"
import {
  type FakeDeck,
  FakeDeckProvider,
  type FakeDiscordServer,
  FIXTURE_CLIENT_ID,
  fixtures,
  simpleAuthority,
  startFakeDiscord
} from "../src/testing/index.ts"
import { BENCH_SCOPES, FAST_RECONNECT } from "./setup.ts"
import { heapAfterGc, MiB, type Row, single, sleep, summarize } from "./stats.ts"
import { STORM_RATE, STORM_SECONDS } from "./storm.ts"

const GROUP = "end to end"
const TOKEN = "bench-e2e-token-0123456789"
/** Samples per latency figure, after warm-up (both faces rendered once, JIT warm). */
const SAMPLES = 1_000
const WARMUP = 20
/** Give up on one sample after this long: something is broken, not slow. */
const SAMPLE_TIMEOUT_MILLIS = 2_000
const STORM_TICK_MILLIS = 5
const MUTE_KEY = 0
const CHANNEL_KEY = 1

/** Resolves on the next image written to `key` of `deck`. */
const watchImages = (deck: FakeDeck) => {
  const waiters = new Map<number, Array<() => void>>()
  const original = deck.imageReceived.bind(deck)
  const counts = new Map<number, number>()
  deck.imageReceived = async (image) => {
    const before = new Map(deck.controls.flatMap((c) => (c.type === "button" ? [[c.index, deck.keyWrites(c.index)]] : [])))
    await original(image)
    for (const [index, n] of before) {
      if (deck.keyWrites(index) === n) continue
      counts.set(index, (counts.get(index) ?? 0) + 1)
      const list = waiters.get(index)
      waiters.delete(index)
      for (const wake of list ?? []) wake()
    }
  }
  return {
    next: (key: number) =>
      new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no image on key ${key} within ${SAMPLE_TIMEOUT_MILLIS} ms`)), SAMPLE_TIMEOUT_MILLIS)
        const list = waiters.get(key) ?? []
        list.push(() => {
          clearTimeout(timer)
          resolve()
        })
        waiters.set(key, list)
      }),
    total: () => [...counts.values()].reduce((a, b) => a + b, 0)
  }
}

/** Resolves on the next frame the fake receives with `cmd`. Hooks the fake's frame log. */
const watchFrames = (fake: FakeDiscordServer) => {
  const engine = fake as unknown as { record: (conn: unknown, frame: { payload: unknown }) => void }
  const original = engine.record.bind(fake)
  let waiter: { cmd: string; wake: () => void } | undefined
  engine.record = (conn, frame) => {
    original(conn, frame)
    const cmd = (frame.payload as { cmd?: unknown } | null)?.cmd
    if (waiter !== undefined && cmd === waiter.cmd) {
      const { wake } = waiter
      waiter = undefined
      wake()
    }
  }
  return {
    next: (cmd: string) =>
      new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no ${cmd} within ${SAMPLE_TIMEOUT_MILLIS} ms`)), SAMPLE_TIMEOUT_MILLIS)
        waiter = {
          cmd,
          wake: () => {
            clearTimeout(timer)
            resolve()
          }
        }
      })
  }
}

export async function benchEndToEnd(): Promise<Array<Row>> {
  const { lounge } = fixtures.channels
  const fake = await startFakeDiscord({
    authority: simpleAuthority({ [TOKEN]: BENCH_SCOPES }),
    initialVoiceChannelId: lounge.id
  })
  const config = Effect.runSync(SubscriptionRef.make<DeckcordConfig>({
    clientId: FIXTURE_CLIENT_ID,
    decks: { "*": { keys: { [MUTE_KEY]: "mute", [CHANNEL_KEY]: { action: "voice-channel", channel: lounge.id } } } }
  } as DeckcordConfig))
  const settings = Layer.succeed(Settings)(Settings.of({
    file: "/bench/config.json",
    config: SubscriptionRef.get(config),
    changes: SubscriptionRef.changes(config),
    saveCredentials: () => Effect.die("not used")
  }))
  const discord = VoiceState.layer.pipe(
    Layer.provideMerge(DiscordRpc.layer({ clientId: FIXTURE_CLIENT_ID, reconnect: FAST_RECONNECT })),
    Layer.provide(Layer.mergeAll(DiscordIpc.layerWith({ socketPaths: [fake.socketPath] }), Authenticator.accessToken(Redacted.make(TOKEN))))
  )
  const decks = Deck.layer.pipe(
    Layer.provideMerge(FakeDeckProvider.layer({ decks: ["original-mk2"] })),
    Layer.provideMerge(KeyRenderer.layer)
  )
  const runtime = ManagedRuntime.make(
    Controller.layer.pipe(
      Layer.provideMerge(Layer.mergeAll(discord, decks, settings)),
      Layer.provide(Layer.succeed(References.MinimumLogLevel, "Error"))
    )
  )
  try {
    const deck = (await runtime.runPromise(FakeDeckProvider.use((p) => p.decks)))[0]
    if (deck === undefined) throw new Error("no fake deck")
    // wait until the mute key shows Discord's state
    await runtime.runPromise(Controller.use((c) =>
      c.faceChanges.pipe(
        Stream.filter((faces) => [...faces.values()].some((f) => f.label === "Mic on")),
        Stream.runHead
      )
    ))
    const images = watchImages(deck)
    const frames = watchFrames(fake)
    await sleep(100)

    // Discord event → face written
    let muted = fake.state().voiceSettings.mute
    const eventMs: Array<number> = []
    for (let i = 0; i < WARMUP + SAMPLES; i++) {
      const written = images.next(MUTE_KEY)
      const start = performance.now()
      muted = !muted
      fake.setVoiceSettings({ mute: muted })
      await written
      if (i >= WARMUP) eventMs.push(performance.now() - start)
      await sleep(2)
    }

    // key press → command frame on the fake
    const pressMs: Array<number> = []
    for (let i = 0; i < WARMUP + SAMPLES; i++) {
      const sent = frames.next("SET_VOICE_SETTINGS")
      const redrawn = images.next(MUTE_KEY)
      const start = performance.now()
      deck.pressKey(MUTE_KEY)
      await sent
      if (i >= WARMUP) pressMs.push(performance.now() - start)
      await redrawn // the model has the new state before the next press reads it
      await sleep(2)
    }

    // SPEAKING storm into the voice-channel key
    const speakers = [fixtures.users.alex.id, fixtures.users.blair.id]
    const heapBefore = await heapAfterGc()
    const rssBefore = process.memoryUsage().rss
    const cpuBefore = process.cpuUsage()
    const writesBefore = images.total()
    const total = STORM_RATE * STORM_SECONDS
    let events = 0
    await new Promise<void>((resolve) => {
      const start = performance.now()
      const timer = setInterval(() => {
        const due = Math.min(total, Math.floor(((performance.now() - start) / 1000) * STORM_RATE))
        for (; events < due; events++) {
          const who = speakers[events % 2]!
          // each speaker alternates start / stop, so every call is a real change and one event
          if (Math.floor(events / 2) % 2 === 0) fake.startSpeaking(who)
          else fake.stopSpeaking(who)
        }
        if (events >= total) {
          clearInterval(timer)
          resolve()
        }
      }, STORM_TICK_MILLIS)
    })
    await sleep(500) // the last coalesced write lands
    const cpu = process.cpuUsage(cpuBefore)
    const written = images.total() - writesBefore
    const heapAfter = await heapAfterGc()
    const rssAfter = process.memoryUsage().rss

    const event = summarize(GROUP, "Discord event (mute changed) → mute key's image written on a FakeDeck", "ms", eventMs)
    const press = summarize(GROUP, "key press → SET_VOICE_SETTINGS frame received by the fake", "ms", pressMs)
    const rss = (rssAfter - rssBefore) / MiB
    return [
      {
        ...event,
        target: "median ≤ 2 ms, p99 ≤ 5 ms",
        met: event.median <= 2 && event.p99 <= 5,
        note: "fake writes VOICE_SETTINGS_UPDATE → DiscordRpc → VoiceState → Controller → KeyRenderer (cached face) → Deck writer → fake HID"
      },
      {
        ...press,
        target: "median ≤ 1 ms",
        met: press.median <= 1,
        note: "fake HID input report → Deck input → Controller → mute action → DiscordRpc.request → socket → the fake's frame log"
      },
      single(GROUP, `storm: images written for ${events} SPEAKING events (voice-channel key highlight)`, "writes", written, {
        target: "≪ events (coalesced)",
        met: written < events / 10,
        note: `${(events / Math.max(written, 1)).toFixed(0)} events per write; the key flips highlight on every event, so only ` +
          "latest-wins coalescing keeps the writes down"
      }),
      single(GROUP, "storm: CPU, full layers and the in-process fake", "% of a core", Number((((cpu.user + cpu.system) / 1000 / (STORM_SECONDS * 1000)) * 100).toFixed(1)), {
        note: "process CPU over the storm, including FakeDiscord generating the events (same process here)"
      }),
      single(GROUP, "storm: RSS growth (full layers)", "MiB", Number(rss.toFixed(2)), {
        target: "< 5 MiB",
        met: rss < 5,
        note: `heap after GC ${(heapBefore / MiB).toFixed(1)} → ${(heapAfter / MiB).toFixed(1)} MiB`
      })
    ]
  } finally {
    await runtime.dispose()
    await fake.close()
  }
}
