/**
 * Debian's Chromium under playwright-core: headless, a fresh profile per run, nothing fetched
 * from the network (no browser download, no background services).
 */
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { type BrowserContext, chromium } from "playwright-core"

export const CHROMIUM = process.env.DECKCORD_CHROMIUM ?? "/usr/bin/chromium"

export const launchChromium = async (): Promise<{ readonly context: BrowserContext; readonly close: () => Promise<void> }> => {
  if (!Fs.existsSync(CHROMIUM)) {
    throw new Error(`no Chromium at ${CHROMIUM}: install it with \`apt-get install -y chromium\` (or set DECKCORD_CHROMIUM)`)
  }
  const profile = Fs.mkdtempSync(Path.join(Os.tmpdir(), "deckcord-chromium-"))
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1280, height: 860 },
    deviceScaleFactor: 1,
    colorScheme: "dark",
    hasTouch: true, // the virtual deck on a phone: taps are touch pointers
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync"
    ]
  })
  return {
    context,
    close: async () => {
      await context.close()
      Fs.rmSync(profile, { recursive: true, force: true })
    }
  }
}
