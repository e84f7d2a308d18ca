/**
 * The daemon with the web UI's routes on its control server, over fakes (the control suite's
 * harness: config and token files in a temp dir, FakeDiscord, fake decks, HTTP on a free port
 * behind the token guard), plus what the web tests need on top.
 */
import { Effect } from "effect"
import * as Fs from "node:fs"
import * as Path from "node:path"
import { webUiRoutes } from "../../src/web/index.ts"
import { type Harness, startDaemon, WEB_TOKEN, webPort } from "../control/harness.ts"

export { ACCESS_TOKEN as TOKEN, CLIENT_SECRET as SECRET, WEB_TOKEN } from "../control/harness.ts"
export const DECK_SERIAL = "WEBTEST00001"

export const writeAtomically = (file: string, value: unknown) => {
  Fs.writeFileSync(`${file}.tmp`, typeof value === "string" ? value : JSON.stringify(value, null, 2))
  Fs.renameSync(`${file}.tmp`, file)
}

export interface WebHarness extends Harness {
  readonly base: string
  readonly port: number
  readonly configPath: string
  readonly deck: Harness["decks"][number]
  /** fetch against the web server, with the token header unless `init.headers` says otherwise. */
  readonly request: (path: string, init?: RequestInit) => Promise<Response>
}

/** Everything up and live; released with the scope. */
export const startWebHarness = (options: { readonly layout?: unknown; readonly routes?: boolean } = {}) =>
  Effect.gen(function*() {
    const h = yield* startDaemon({
      decks: [{ model: "original-mk2", serial: DECK_SERIAL }],
      routes: options.routes === false ? [] : [webUiRoutes],
      ...(options.layout === undefined ? {} : { layout: options.layout })
    })
    yield* h.live
    const port = webPort(h)
    const base = `http://127.0.0.1:${port}`
    const harness: WebHarness = {
      ...h,
      base,
      port,
      configPath: Path.join(h.dir, "config.json"),
      deck: h.decks[0]!,
      request: (path, init) =>
        fetch(`${base}${path}`, { ...init, headers: { "x-deckcord-token": WEB_TOKEN, ...(init?.headers ?? {}) } })
    }
    return harness
  })
