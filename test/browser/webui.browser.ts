/**
 * The web UI end to end in a real Chromium: the daemon over FakeDiscord and a fake MK.2 with
 * its control server and web routes, the pages opened from the tokened URL. Also takes the
 * README's screenshots (docs/screenshots/*.png).
 */
import { NodeServices } from "@effect/platform-node"
import { Context, Effect, Exit, Logger, Scope } from "effect"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import type { Page } from "playwright-core"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { Controller } from "../../src/index.ts"
import { fixtures } from "../../src/testing/index.ts"
import { LogTail } from "../../src/web/LogTail.ts"
import { DECK_SERIAL, startWebHarness, WEB_TOKEN, type WebHarness } from "../web/harness.ts"
import { launchChromium } from "./chromium.ts"

// the page's globals, inside `page.evaluate` callbacks (this file is not compiled with the DOM lib)
declare const document: {
  querySelector(selector: string): { readonly dataset: Record<string, string | undefined> } | null
  querySelectorAll(selector: string): ArrayLike<{ readonly complete: boolean; readonly naturalWidth: number }>
  getElementById(id: string): { readonly childElementCount: number } | null
}
declare const window: { scrollTo(x: number, y: number): void }

// The README's pictures are retaken only on request (`npm run screenshots`): they hold times
// and temp paths, so an ordinary test run writes them to a scratch folder and leaves the tree clean.
const SCREENSHOTS = process.env["DECKCORD_SCREENSHOTS"] === "1"
  ? Path.join(import.meta.dirname, "..", "..", "docs", "screenshots")
  : Fs.mkdtempSync(Path.join(Os.tmpdir(), "deckcord-screenshots-"))

let scope: Scope.Closeable
let h: WebHarness
let browser: Awaited<ReturnType<typeof launchChromium>>
let page: Page

/** Wait for a condition on the daemon's side (the fake's state, the controller's faces). */
const until = async <A>(read: () => Promise<A> | A, ok: (a: A) => boolean, what: string): Promise<A> => {
  for (let i = 0; i < 500; i++) {
    const value = await read()
    if (ok(value)) return value
    await new Promise((r) => setTimeout(r, 20))
  }
  throw new Error(`timed out waiting for ${what}`)
}

const run = <A, E>(effect: Effect.Effect<A, E>) => Effect.runPromise(effect)
const fakeState = () => run(h.fake.state)
const faceOnDeck = async (control: string) => {
  const controller = Context.get(h.context as Context.Context<Controller>, Controller)
  return (await run(controller.faces)).get(`${DECK_SERIAL}/${control}`)
}
/** The face the page shows on a control (the JSON it drew the image for). */
const faceInPage = (control: string) =>
  page.evaluate((c) => {
    const raw = document.querySelector(`.deck [data-control="${c}"] img`)?.dataset["face"]
    return raw ? JSON.parse(raw) as { label?: string; tone?: string; sublabel?: string } : undefined
  }, control)
const waitForPageFace = (control: string, ok: (face: { label?: string; tone?: string }) => boolean, what: string) =>
  until(() => faceInPage(control), (f) => f !== undefined && ok(f), what)
const facesLoaded = () =>
  page.waitForFunction(() =>
    Array.from(document.querySelectorAll(".deck img[src]")).every((img) => img.complete && img.naturalWidth > 0)
  )
const shoot = async (name: string, options: { readonly fullPage?: boolean } = {}) => {
  Fs.mkdirSync(SCREENSHOTS, { recursive: true })
  await page.screenshot({ path: Path.join(SCREENSHOTS, `${name}.png`), fullPage: options.fullPage ?? false })
}

beforeAll(async () => {
  scope = Effect.runSync(Scope.make())
  h = await Effect.runPromise(
    startWebHarness().pipe(
      Scope.provide(scope),
      Effect.provide(NodeServices.layer),
      Effect.provide(LogTail.layer), // the Status page's live log
      Effect.provide(Logger.layer([]))
    )
  )
  browser = await launchChromium()
  page = await browser.context.newPage()
  page.setDefaultTimeout(10_000)
})

afterAll(async () => {
  await browser?.close()
  if (scope) await Effect.runPromise(Scope.close(scope, Exit.void))
})

describe("the web UI in Chromium", () => {
  it("opens with the token: the cookie is set, the token leaves the address, Status shows the connection", async () => {
    await page.goto(`${h.base}/?token=${WEB_TOKEN}`)
    expect(new URL(page.url()).search).toBe("")
    await page.getByTestId("user").waitFor()
    expect(await page.getByTestId("user").textContent()).toBe(fixtures.user.global_name ?? fixtures.user.username)
    await page.locator("#conn .dot.ok").waitFor()
    await page.getByTestId("decks").getByText(DECK_SERIAL).waitFor()
    await page.waitForFunction(() => (document.getElementById("log")?.childElementCount ?? 0) > 0)
    await shoot("status")
  })

  it("a request without the token is refused", async () => {
    const status = await page.evaluate((base) => fetch(`${base}/api/ui/status`, { credentials: "omit" }).then((r) => r.status), h.base)
    expect(status).toBe(401)
    const other = await browser.context.browser()?.newContext()
    if (other !== undefined) await other.close()
  })

  it("mirrors the deck; pressing mute mutes in Discord and the key's face changes in the page", async () => {
    await page.goto(`${h.base}/#/deck`)
    const deck = page.locator(`.deck[data-serial="${DECK_SERIAL}"]`)
    await deck.waitFor()
    expect(await deck.locator("[data-control^='key:']").count()).toBe(15)
    await waitForPageFace("key:0", (f) => f.label === "Mic on", "the mute key to show the mic on")
    await facesLoaded()

    await deck.locator("[data-control='key:0']").click()
    await until(fakeState, (s) => s.voiceSettings.mute === true, "FakeDiscord to be muted")
    await waitForPageFace("key:0", (f) => f.label === "Muted" && f.tone === "muted", "the page's mute key to say Muted")
    // and back, from the keyboard
    await deck.locator("[data-control='key:0']").focus()
    await page.keyboard.press("Enter")
    await until(fakeState, (s) => s.voiceSettings.mute === false, "FakeDiscord to be unmuted")
    await waitForPageFace("key:0", (f) => f.label === "Mic on", "the page's mute key to say Mic on")
  })

  it("holds push-to-talk while the pointer is down and releases it on up", async () => {
    await run(h.fake.setVoiceSettings({ mode: { type: "PUSH_TO_TALK" } }))
    await waitForPageFace("key:3", (f) => f.tone !== "warning", "the push-to-talk key to be usable")
    const ptt = page.locator(`.deck[data-serial="${DECK_SERIAL}"] [data-control='key:3']`)
    const pttFrames = async () =>
      (await run(h.fake.framesReceived())).filter((f) => (f.payload as { cmd?: string }).cmd === "PUSH_TO_TALK")
        .map((f) => (f.payload as { args?: { active?: boolean } }).args?.active)
    const box = (await ptt.boundingBox())!
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2)
    await page.mouse.down()
    await until(pttFrames, (frames) => frames.at(-1) === true, "PUSH_TO_TALK active")
    await waitForPageFace("key:3", (f) => f.tone === "active", "the key to light up while held")
    expect(await pttFrames()).not.toContain(false) // still held: nothing released it
    await page.mouse.up()
    await until(pttFrames, (frames) => frames.at(-1) === false, "PUSH_TO_TALK released")
    await waitForPageFace("key:3", (f) => f.tone !== "active", "the key to go dark on release")
  })

  it("a standalone virtual deck of another model, pressable like the rest", async () => {
    await page.goto(`${h.base}/#/deck`)
    await page.locator("#model option[value='plus']").waitFor({ state: "attached" })
    await page.locator("#model").selectOption("plus")
    await page.locator("#add-virtual").click()
    const plus = page.locator(".deck", { hasText: "Stream Deck +" })
    await plus.waitFor()
    expect(await plus.locator("[data-dial]").count()).toBe(4)
    const before = (await fakeState()).voiceSettings.mute
    await plus.locator("[data-control='key:0']").click()
    await until(fakeState, (s) => s.voiceSettings.mute !== before, "the virtual deck's mute key to act")
    // dial 2 is output volume by default: the wheel and the arrow keys turn it
    const volume = async () => (await fakeState()).voiceSettings.output?.volume
    const start = await volume()
    const dial = plus.locator("[data-dial='encoder:1']")
    await dial.hover()
    await page.mouse.wheel(0, 120) // down: two detents counter-clockwise
    await until(volume, (v) => v !== undefined && start !== undefined && v < start, "the wheel to turn the volume down")
    const turned = await volume()
    await dial.focus()
    await page.keyboard.press("ArrowRight")
    await until(volume, (v) => v !== undefined && turned !== undefined && v > turned, "the arrow key to turn it up")
    await facesLoaded()
    await page.evaluate(() => window.scrollTo(0, 0))
    await shoot("virtual-deck", { fullPage: true })
  })

  it("picks a voice channel by name for a key: config.json holds its id and the deck shows it", async () => {
    await page.goto(`${h.base}/#/layout`)
    await page.locator("#editor-deck .deck").waitFor()
    await page.locator("#editor-deck [data-control='key:4']").click()
    await page.locator("#panel [data-action='voice-channel']").click()
    const server = page.locator("#opt-channel-guild")
    await until(() => server.locator("option").count(), (n) => n > 1, "the server list")
    await server.selectOption({ label: fixtures.guilds.lab.name })
    const channel = page.locator("#opt-channel")
    await until(() => channel.locator("option", { hasText: "Lounge" }).count(), (n) => n === 1, "the channel list")
    await channel.selectOption({ label: "🔊 Lounge" })
    await facesLoaded()
    await shoot("layout-editor")
    await page.locator("#save").click()
    await page.locator("#saved").waitFor()

    const onDisk = JSON.parse(Fs.readFileSync(h.configPath, "utf8"))
    expect(onDisk.decks["*"].keys["4"]).toEqual({ action: "voice-channel", channel: fixtures.channels.lounge.id })
    expect(onDisk.decks["*"].keys["0"]).toEqual({ action: "mute" }) // the rest of the deck kept its keys
    await until(() => faceOnDeck("key:4"), (f) => f?.label === "Lounge", "the deck's key 4 to show Lounge")
    await until(() => h.deck.keyWrites(4), (n) => n > 0, "the fake deck to be drawn")
    await waitForPageFace("key:4", (f) => f.label === "Lounge", "the editor's key 4 to show Lounge")
  })

  it("shows the decoder's message beside the field for an invalid value, and a conflict when the file changed", async () => {
    await page.locator("#editor-deck [data-control='key:5']").click()
    await page.locator("#panel summary", { hasText: "Volume" }).click()
    await page.locator("#panel [data-action='input-volume']").click()
    await page.locator("#opt-set").fill("150")
    await page.locator("#opt-set").dispatchEvent("change")
    await page.locator("#save").click()
    await page.locator("#invalid").waitFor()
    const message = await page.locator("[data-field='set'] .field-error").textContent()
    expect(message).toMatch(/100/)
    expect(JSON.parse(Fs.readFileSync(h.configPath, "utf8")).decks["*"].keys["5"]).toEqual({ action: "status" })

    await page.locator("#opt-set").fill("80")
    await page.locator("#opt-set").dispatchEvent("change")
    const edited = { ...JSON.parse(Fs.readFileSync(h.configPath, "utf8")), brightness: 40 }
    Fs.writeFileSync(`${h.configPath}.tmp`, JSON.stringify(edited, null, 2))
    Fs.renameSync(`${h.configPath}.tmp`, h.configPath)
    const before = Fs.readFileSync(h.configPath, "utf8")
    await page.locator("#save").click()
    await page.locator("#conflict").waitFor()
    expect(Fs.readFileSync(h.configPath, "utf8")).toBe(before)
  })

  it("adds a page, links it from a key, and the deck turns to it when that key is pressed", async () => {
    await page.reload() // a fresh editor: the last test left it showing the conflict
    await page.goto(`${h.base}/#/layout`)
    await page.locator("#editor-deck .deck").waitFor()
    await page.locator("#page-name").fill("sounds")
    await page.locator("#add-page").click()
    // a new page starts with a way back home on key 0
    expect(await page.locator("#editor-deck [data-control='key:0'] .caption").textContent()).toBe("Page")
    await page.locator("#page-name").fill("sfx")
    await page.locator(".pages button", { hasText: "Rename to" }).click()
    await page.locator(".pages button[aria-pressed='true']", { hasText: "sfx" }).waitFor()
    await page.locator("#page-name").fill("sounds")
    await page.locator(".pages button", { hasText: "Rename to" }).click()
    await page.locator(".pages button", { hasText: "Home" }).click()
    await page.locator("#editor-deck [data-control='key:14']").click()
    await page.locator("#panel summary", { hasText: "Pages" }).click()
    await page.locator("#panel [data-action='page']").click()
    await page.locator("#opt-page").selectOption("sounds")
    await page.locator("#save").click()
    await page.locator("#saved").waitFor()
    const layout = JSON.parse(Fs.readFileSync(h.configPath, "utf8")).decks["*"]
    expect(layout.keys["14"]).toEqual({ action: "page", page: "sounds" })
    expect(layout.pages.sounds.keys["0"]).toEqual({ action: "page", page: "home" })

    await page.goto(`${h.base}/#/deck`)
    const deck = page.locator(`.deck[data-serial="${DECK_SERIAL}"]`)
    await waitForPageFace("key:14", (f) => f.label === "sounds", "the page key")
    await deck.locator("[data-control='key:14']").click()
    await waitForPageFace("key:0", (f) => f.label === "Back", "the deck to show the sounds page")
    await deck.locator("[data-control='key:0']").click()
    await waitForPageFace("key:0", (f) => f.label === "Mic on" || f.label === "Muted", "the deck back home")
  })

  it("Setup: the steps, the write-only secret, Authorize and its progress", async () => {
    await page.goto(`${h.base}/#/setup`)
    await page.locator("#client-id").waitFor()
    await until(() => page.locator("#client-id").inputValue(), (v) => v !== "", "the stored Application ID")
    expect(await page.locator("#client-secret").inputValue()).toBe("")
    expect(await page.locator("#client-secret").getAttribute("placeholder")).toMatch(/stored/)
    const before = (await run(h.fake.handshakes)).length
    await page.locator("#authorize").click()
    await until(async () => (await run(h.fake.handshakes)).length, (n) => n > before, "a new connection to Discord")
    await page.locator("#progress [data-state='Ready']").waitFor()
    await shoot("setup")
  })

  it("on a phone-sized screen the deck fits and a tap presses a key", async () => {
    const phone = await browser.context.newPage()
    try {
      await phone.setViewportSize({ width: 390, height: 844 })
      await phone.goto(`${h.base}/#/deck`)
      const key = phone.locator(`.deck[data-serial="${DECK_SERIAL}"] [data-control='key:0']`)
      await key.waitFor()
      const deckBox = (await phone.locator(`.deck[data-serial="${DECK_SERIAL}"]`).boundingBox())!
      expect(deckBox.x + deckBox.width).toBeLessThanOrEqual(390)
      const before = (await fakeState()).voiceSettings.mute
      await key.tap()
      await until(fakeState, (s) => s.voiceSettings.mute !== before, "the tapped mute key to act")
      await phone.waitForFunction(() =>
        Array.from(document.querySelectorAll(".deck img[src]")).every((img) => img.complete && img.naturalWidth > 0)
      )
      Fs.mkdirSync(SCREENSHOTS, { recursive: true })
      await phone.screenshot({ path: Path.join(SCREENSHOTS, "phone.png") })
    } finally {
      await phone.close()
    }
  })
})
