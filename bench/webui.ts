/**
 * The web UI in a real Chromium (Debian's, at /usr/bin/chromium, through playwright-core),
 * against the whole daemon with its control server over FakeDiscord and a fake MK.2:
 * - a key pressed in the page (the key's own keyboard handler) until the SET_VOICE_SETTINGS
 *   frame reaches the fake; target median ≤ 5 ms, p99 ≤ 20 ms;
 * - a Discord event (mute changed in Discord) until the page has loaded the key's new face
 *   image; target median ≤ 20 ms.
 * - the daemon's heap after GC over 1,000 events the open page follows, and over a minute with the UI open and idle
 *   (`DECKCORD_BENCH_IDLE_SECONDS`; 600 for the ten minutes); target: no growth (< 1 MiB).
 * Both ends read the same wall clock (`performance.timeOrigin + performance.now()`), since
 * the page and the daemon are different processes on one machine.
 */
import { NodeServices } from "@effect/platform-node"
import { Context, Layer, ManagedRuntime, References, Stream } from "effect"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { fileURLToPath } from "node:url"
import { chromium } from "playwright-core"
import { controlledDaemonLayer } from "../src/layers/ControlledDaemon.ts"
import { WebAccess } from "../src/control/Server.ts"
import { VoiceState } from "../src/index.ts"
import {
  FakeDeckProvider,
  type FakeDiscordServer,
  FIXTURE_CLIENT_ID,
  simpleAuthority,
  startFakeDiscord
} from "../src/testing/index.ts"
import { webUiRoutes } from "../src/web/index.ts"
import { BENCH_SCOPES } from "./setup.ts"
import { heapAfterGc, type Row, single, sleep, summarize } from "./stats.ts"

const GROUP = "web UI"
const TOKEN = "bench-webui-token-0123456789"
const CHROMIUM = process.env.DECKCORD_CHROMIUM ?? "/usr/bin/chromium"
const SAMPLES = Number(process.env.DECKCORD_BENCH_WEB_SAMPLES ?? 200)
const WARMUP = 10
const SAMPLE_TIMEOUT_MILLIS = 2_000
/** Mute toggles for the memory figure, spaced so the page draws each one. */
const MEMORY_EVENTS = 1_000
const MEMORY_EVENT_SPACING_MILLIS = 15
const IDLE_SECONDS = Number(process.env.DECKCORD_BENCH_IDLE_SECONDS ?? 60)
const KiB = 1024

const now = () => performance.timeOrigin + performance.now()

/** When the fake next receives a frame with `cmd` (hooks its frame log, as bench/e2e.ts does). */
const watchFrames = (fake: FakeDiscordServer) => {
  const engine = fake as unknown as { record: (conn: unknown, frame: { payload: unknown }) => void }
  const original = engine.record.bind(fake)
  let waiter: { cmd: string; wake: (at: number) => void } | undefined
  engine.record = (conn, frame) => {
    original(conn, frame)
    const cmd = (frame.payload as { cmd?: unknown } | null)?.cmd
    if (waiter !== undefined && cmd === waiter.cmd) {
      const { wake } = waiter
      waiter = undefined
      wake(now())
    }
  }
  return {
    next: (cmd: string) =>
      new Promise<number>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no ${cmd} within ${SAMPLE_TIMEOUT_MILLIS} ms`)), SAMPLE_TIMEOUT_MILLIS)
        waiter = {
          cmd,
          wake: (at) => {
            clearTimeout(timer)
            resolve(at)
          }
        }
      })
  }
}

/**
 * The page's globals, inside functions playwright runs in the page (waitForFunction must be
 * given functions: the page's CSP forbids evaluating strings there). Untyped: no DOM lib here.
 */
type PageGlobals = any

// In the page (a string, so this file needs no DOM types): press key 0 from the keyboard, and
// note when key 0's face image next finishes loading.
const PAGE_HELPERS = `
  window.__key0 = () => document.querySelector('.deck [data-control="key:0"]')
  window.__press = () => {
    const key = window.__key0()
    const at = performance.timeOrigin + performance.now()
    key.dispatchEvent(new KeyboardEvent("keydown", { key: "Enter", bubbles: true }))
    key.dispatchEvent(new KeyboardEvent("keyup", { key: "Enter", bubbles: true }))
    return at
  }
  window.__arm = () => {
    window.__loadedAt = undefined
    window.__key0().querySelector("img").addEventListener("load", () => {
      window.__loadedAt = performance.timeOrigin + performance.now()
    }, { once: true })
  }
  true
`

/** The compiled routes serve the pages from beside themselves (src/web/ui); point that at the repo's. */
const linkPages = () => {
  const link = fileURLToPath(new URL("../src/web/ui", import.meta.url))
  if (!Fs.existsSync(link)) Fs.symlinkSync(fileURLToPath(new URL("../../../src/web/ui", import.meta.url)), link, "dir")
}

export async function benchWebUi(): Promise<Array<Row>> {
  linkPages()
  if (!Fs.existsSync(CHROMIUM)) {
    return [single(GROUP, "skipped: no Chromium", "runs", 0, { note: `install it (apt-get install chromium) or set DECKCORD_CHROMIUM` })]
  }
  const fake = await startFakeDiscord({ authority: simpleAuthority({ [TOKEN]: BENCH_SCOPES }) })
  const dir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "deckcord-bench-web-"))
  const configPath = Path.join(dir, "config.json")
  const tokenPath = Path.join(dir, "tokens.json")
  Fs.writeFileSync(configPath, JSON.stringify({
    clientId: FIXTURE_CLIENT_ID,
    clientSecret: "bench-secret",
    avatars: false,
    socketPath: fake.socketPath,
    web: { port: 0 },
    decks: { "*": { keys: { "0": "mute" } } }
  }))
  Fs.writeFileSync(tokenPath, JSON.stringify({
    version: 1,
    tokens: {
      [FIXTURE_CLIENT_ID]: { accessToken: TOKEN, refreshToken: "r", expiresAt: Date.now() + 86_400_000, scopes: BENCH_SCOPES }
    }
  }))
  const runtime = ManagedRuntime.make(
    controlledDaemonLayer({
      configPath,
      tokenPath,
      socketPath: Path.join(dir, "run", "control.sock"),
      deckProvider: FakeDeckProvider.layer({ decks: ["original-mk2"] }),
      routes: [webUiRoutes]
    }).pipe(
      Layer.provide(NodeServices.layer),
      Layer.provide(Layer.succeed(References.MinimumLogLevel, "Error"))
    )
  )
  const profile = Fs.mkdtempSync(Path.join(Os.tmpdir(), "deckcord-bench-chromium-"))
  const browser = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"]
  })
  try {
    const context = await runtime.context()
    await runtime.runPromise(VoiceState.use((v) =>
      v.changes.pipe(Stream.filter((m) => m.connection._tag === "Ready" && m.synced), Stream.runHead)
    ))
    const url = Context.get(context, WebAccess).url
    if (url === null) throw new Error("the web UI did not start")
    const page = await browser.newPage()
    await page.goto(url) // sets the token cookie
    await page.goto(`${new URL(url).origin}/#/deck`)
    await page.waitForFunction(() => (globalThis as PageGlobals).document.querySelector('.deck [data-control="key:0"] img')?.dataset.face?.includes("Mic on"))
    await page.evaluate(PAGE_HELPERS)
    const frames = watchFrames(fake)
    const label = () => page.evaluate(`JSON.parse(window.__key0().querySelector("img").dataset.face ?? "{}").label`) as Promise<string>

    // press in the page → frame at the fake
    const pressMs: Array<number> = []
    for (let i = 0; i < WARMUP + SAMPLES; i++) {
      const before = await label()
      const sent = frames.next("SET_VOICE_SETTINGS")
      const pressedAt = (await page.evaluate("window.__press()")) as number
      const arrived = await sent
      if (i >= WARMUP) pressMs.push(arrived - pressedAt)
      // the next press must act on the new state: wait for the page to show it
      await page.waitForFunction(
        (was) => JSON.parse((globalThis as PageGlobals).__key0().querySelector("img").dataset.face ?? "{}").label !== was,
        before
      )
      await sleep(5)
    }

    // Discord event → the page has loaded the new face image
    const eventMs: Array<number> = []
    let muted = fake.state().voiceSettings.mute
    for (let i = 0; i < WARMUP + SAMPLES; i++) {
      await page.evaluate("window.__arm()")
      const start = now()
      muted = !muted
      fake.setVoiceSettings({ mute: muted })
      await page.waitForFunction(() => (globalThis as PageGlobals).__loadedAt !== undefined, undefined, { timeout: SAMPLE_TIMEOUT_MILLIS })
      const loadedAt = (await page.evaluate("window.__loadedAt")) as number
      if (i >= WARMUP) eventMs.push(loadedAt - start)
      await sleep(5)
    }

    // the daemon's memory with the UI open: Discord events the page follows, with no playwright
    // call in between (its client lives in this process and keeps per-call records), read once
    // the path is warm (first renders, JIT), so a delta means something is kept per event
    const heapBeforeEvents = await heapAfterGc()
    for (let i = 0; i < MEMORY_EVENTS; i++) {
      muted = !muted
      fake.setVoiceSettings({ mute: muted })
      await sleep(MEMORY_EVENT_SPACING_MILLIS)
    }
    const heapAfterEvents = await heapAfterGc()
    // the UI open and idle: its streams only send heartbeats
    await sleep(IDLE_SECONDS * 1000)
    const heapAfterIdle = await heapAfterGc()

    const press = summarize(GROUP, "key pressed in the browser → SET_VOICE_SETTINGS frame at the fake", "ms", pressMs)
    const event = summarize(GROUP, "Discord event (mute changed) → new face image loaded in the browser", "ms", eventMs)
    return [
      {
        ...press,
        target: "median ≤ 5 ms, p99 ≤ 20 ms",
        met: press.median <= 5 && press.p99 <= 20,
        note: "page keydown → fetch POST /api/decks/:serial/press (token cookie, guard) → Deck.inject → Controller → DiscordRpc → the fake's frame log"
      },
      {
        ...event,
        target: "median ≤ 20 ms",
        met: event.median <= 20,
        note: "FakeDiscord event → VoiceState → Controller face → SSE Face event → <img> face.png (the deck's own pixels) fetched and decoded"
      },
      single(GROUP, `heap after GC, delta over ${MEMORY_EVENTS} Discord events the open web UI follows`, "KiB", (heapAfterEvents - heapBeforeEvents) / KiB, {
        target: "< 1 MiB (nothing kept per event)",
        met: heapAfterEvents - heapBeforeEvents < 1024 * KiB
      }),
      single(GROUP, `heap after GC, delta over ${IDLE_SECONDS} s with the web UI open and idle`, "KiB", (heapAfterIdle - heapAfterEvents) / KiB, {
        target: "< 1 MiB (no growth)",
        met: heapAfterIdle - heapAfterEvents < 1024 * KiB
      })
    ]
  } finally {
    await browser.close()
    Fs.rmSync(profile, { recursive: true, force: true })
    await runtime.dispose()
    await fake.close()
    Fs.rmSync(dir, { recursive: true, force: true })
  }
}
