// deckcord web UI: the page shell, the live connection to the daemon, Status and Setup.
// Plain ES modules, no framework, nothing loaded from elsewhere.
import { renderDeckPage } from "./deck.js"
import { renderLayoutPage } from "./editor.js"

// ---------------------------------------------------------------------------------------------
// small DOM helpers
// ---------------------------------------------------------------------------------------------

/** h("div.card", { id: "x" }, child, "text") */
export const h = (tag, attrs = {}, ...children) => {
  const [name, ...classes] = tag.split(".")
  const el = document.createElement(name)
  if (classes.length) el.className = classes.join(" ")
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === undefined || v === null || v === false) continue
    if (k.startsWith("on") && typeof v === "function") el.addEventListener(k.slice(2), v)
    else if (k === "text") el.textContent = v
    // through the CSSOM: the page's content security policy forbids inline style attributes
    else if (k === "style") el.style.cssText = v
    else el.setAttribute(k, v === true ? "" : String(v))
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue
    el.append(child instanceof Node ? child : document.createTextNode(String(child)))
  }
  return el
}

export const clear = (el) => {
  while (el.firstChild) el.firstChild.remove()
  return el
}

/** Replace an element's children, skipping the empty ones. */
export const fill = (el, ...children) => {
  clear(el)
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue
    el.append(child)
  }
  return el
}

// ---------------------------------------------------------------------------------------------
// the API
// ---------------------------------------------------------------------------------------------

/** An API failure with the daemon's JSON body (`_tag`, `message`, maybe `problems`, `fix`). */
export class ApiError extends Error {
  constructor(status, body) {
    super(body?.message ?? `request failed (${status})`)
    this.status = status
    this.body = body ?? {}
  }
}

export const api = async (method, path, body) => {
  const response = await fetch(path, {
    method,
    credentials: "same-origin",
    headers: body === undefined ? {} : { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body)
  })
  const text = await response.text()
  let data
  try {
    data = text === "" ? undefined : JSON.parse(text)
  } catch {
    data = { message: text }
  }
  if (!response.ok) throw new ApiError(response.status, data)
  return data
}

// ---------------------------------------------------------------------------------------------
// live state: one stream for status + log, one for faces (opened when a deck is shown)
// ---------------------------------------------------------------------------------------------

const listeners = { status: new Set(), log: new Set(), face: new Set(), decks: new Set() }
export const live = {
  status: undefined,
  log: [],
  on(kind, fn) {
    listeners[kind].add(fn)
    return () => listeners[kind].delete(fn)
  }
}
const emit = (kind, value) => {
  for (const fn of listeners[kind]) fn(value)
}

const LOG_KEEP = 500

const openStatusStream = () => {
  const source = new EventSource("/api/ui/events")
  source.addEventListener("status", (e) => {
    live.status = JSON.parse(e.data)
    emit("status", live.status)
  })
  source.addEventListener("log", (e) => {
    const entry = JSON.parse(e.data)
    if (live.log.length && live.log[live.log.length - 1].seq >= entry.seq) return // replay after reconnect
    live.log.push(entry)
    if (live.log.length > LOG_KEEP) live.log.splice(0, live.log.length - LOG_KEEP)
    emit("log", entry)
  })
  source.onerror = () => {
    document.body.dataset.stream = "lost"
    setConnection("wait", "Reconnecting to deckcord…")
  }
  source.onopen = () => {
    document.body.dataset.stream = "open"
  }
}

let faceSource
/** Faces of every deck as they are written; the control API's state stream with faces. */
export const followFaces = () => {
  if (faceSource !== undefined) return
  faceSource = new EventSource("/api/events?faces=true")
  const onEvent = (e) => {
    let event
    try {
      event = JSON.parse(e.data)
    } catch {
      return
    }
    if (event?._tag === "Face") emit("face", event)
    else if (event?._tag === "Status") emit("decks", event.status.decks)
  }
  for (const name of ["message", "state", "Face", "Status", "event"]) faceSource.addEventListener(name, onEvent)
}

// ---------------------------------------------------------------------------------------------
// the connection indicator in the top bar
// ---------------------------------------------------------------------------------------------

export const toneOf = (state) => (state === "Ready" ? "ok" : state === "Disconnected" ? "bad" : "wait")

const setConnection = (tone, text) => {
  const conn = document.getElementById("conn")
  conn.querySelector(".dot").className = `dot ${tone}`
  conn.querySelector(".conn-text").textContent = text
}

live.on("status", (s) => {
  const c = s.connection
  setConnection(toneOf(c.state), c.state === "Ready" ? (c.user ? `Discord · ${c.user.name}` : "Discord connected") : c.state === "Disconnected" ? "Discord disconnected" : `Discord · ${c.state.toLowerCase()}…`)
})

// ---------------------------------------------------------------------------------------------
// Status page
// ---------------------------------------------------------------------------------------------

const formatExpiry = (iso) => {
  const when = new Date(iso)
  if (Number.isNaN(when.getTime())) return iso
  const days = Math.round((when.getTime() - Date.now()) / 86_400_000)
  const rel = days > 1 ? `in ${days} days` : days === 1 ? "tomorrow" : days === 0 ? "today" : "expired"
  return `${when.toLocaleString()} (${rel}; refreshed automatically)`
}

const pill = (tone, text) => h(`span.pill.${tone}`, {}, text)

const logLine = (entry) =>
  h("div", { class: entry.level }, h("span.t", {}, new Date(entry.time).toLocaleTimeString(), " "), `${entry.level.toUpperCase().padEnd(5)} ${entry.message}`)

const renderStatusPage = (main) => {
  const conn = h("section.card", { "aria-labelledby": "h-conn" })
  const auth = h("section.card", { "aria-labelledby": "h-auth" })
  const voice = h("section.card", { "aria-labelledby": "h-voice" })
  const decks = h("section.card", { "aria-labelledby": "h-decks" })
  const log = h("pre.log", { id: "log", tabindex: "0", "aria-label": "Live log", "aria-live": "off" })
  main.append(
    h("h1", {}, "Status"),
    h("p.lead", {}, "What deckcord is doing now. Everything here updates live."),
    h("div.grid", {}, conn, auth, voice, decks,
      h("section.card.wide", { "aria-labelledby": "h-log" }, h("h2", { id: "h-log" }, "Log"), log))
  )
  const draw = (s) => {
    if (!s) return
    const c = s.connection
    fill(conn, 
      h("h2", { id: "h-conn" }, "Discord connection"),
      h("p", {}, pill(toneOf(c.state), c.state), " ", c.summary),
      c.reason?.hint ? h("div.fix", { "data-testid": "fix" }, h("b", {}, "Fix: "), c.reason.hint) : null,
      c.socketPath ? h("dl.kv", {}, h("dt", {}, "Socket"), h("dd", {}, h("code", {}, c.socketPath))) : null
    )
    fill(auth, 
      h("h2", { id: "h-auth" }, "Authorization"),
      c.user
        ? h("dl.kv", {},
          h("dt", {}, "User"), h("dd", { "data-testid": "user" }, c.user.name),
          c.application ? [h("dt", {}, "Application"), h("dd", {}, c.application)] : null,
          h("dt", {}, "Scopes"), h("dd", {}, h("div.tags", {}, (c.scopes ?? []).map((sc) => h("span.tag", {}, sc)))),
          c.expires ? [h("dt", {}, "Token expires"), h("dd", {}, formatExpiry(c.expires))] : null)
        : s.setup.clientId
        ? h("p.empty", {}, "Not authorized yet. ", h("a", { href: "#/setup" }, "Authorize on the Setup page"), ".")
        : h("p.empty", {}, "No Discord application configured. ", h("a", { href: "#/setup" }, "Set one up"), ".")
    )
    const v = s.voice
    fill(voice, 
      h("h2", { id: "h-voice" }, "Voice"),
      c.state !== "Ready"
        ? h("p.empty", {}, "Shown once Discord is connected.")
        : h("dl.kv", {},
          h("dt", {}, "Microphone"), h("dd", { "data-testid": "mic" }, v.deafened ? pill("bad", "Deafened") : v.muted ? pill("bad", "Muted") : pill("ok", "Live")),
          h("dt", {}, "Input mode"), h("dd", {}, v.inputMode === "PUSH_TO_TALK" ? "Push to talk" : v.inputMode === "VOICE_ACTIVITY" ? "Voice activity" : "—"),
          h("dt", {}, "Channel"), h("dd", {}, v.channel ? `${v.channel.name}${v.channel.guildName ? ` · ${v.channel.guildName}` : ""}` : "not in a voice channel"),
          v.channel ? [h("dt", {}, "With"), h("dd", {}, v.channel.members.join(", ") || "nobody")] : null)
    )
    fill(decks, 
      h("h2", { id: "h-decks" }, "Stream Decks"),
      s.decks.length === 0
        ? h("p.empty", {}, "No deck connected. ", h("a", { href: "#/deck" }, "Open a virtual deck"), ".")
        : h("dl.kv", { "data-testid": "decks" }, s.decks.flatMap((d) => [
          h("dt", {}, d.productName),
          h("dd", {}, h("code", {}, d.serial), " ", pill("ok", "connected"), ` ${d.columns}×${d.rows}${d.encoders.length ? `, ${d.encoders.length} dials` : ""}`)
        ])),
      s.deckStatus._tag === "Unavailable"
        ? h("div.fix", {}, h("b", {}, "USB decks unavailable: "), s.deckStatus.message, h("br"), s.deckStatus.hint)
        : null
    )
  }
  draw(live.status)
  for (const entry of live.log) log.append(logLine(entry))
  log.scrollTop = log.scrollHeight
  const offStatus = live.on("status", draw)
  const offLog = live.on("log", (entry) => {
    const atBottom = log.scrollTop + log.clientHeight >= log.scrollHeight - 8
    log.append(logLine(entry))
    while (log.childElementCount > LOG_KEEP) log.firstChild.remove()
    if (atBottom) log.scrollTop = log.scrollHeight
  })
  return () => {
    offStatus()
    offLog()
  }
}

// ---------------------------------------------------------------------------------------------
// Setup page
// ---------------------------------------------------------------------------------------------

const renderSetupPage = (main) => {
  const idInput = h("input", { type: "text", id: "client-id", inputmode: "numeric", autocomplete: "off", spellcheck: "false", placeholder: "112233445566778899", "aria-describedby": "client-id-help client-id-error" })
  const secretInput = h("input", { type: "password", id: "client-secret", autocomplete: "new-password", spellcheck: "false", "aria-describedby": "client-secret-help client-secret-error" })
  const idError = h("p.field-error", { id: "client-id-error", role: "alert" })
  const secretError = h("p.field-error", { id: "client-secret-error", role: "alert" })
  const progress = h("div", { id: "progress", "aria-live": "polite" })
  const reauth = h("input", { type: "checkbox", id: "reauthorize" })
  const button = h("button", { type: "submit", id: "authorize" }, "Save and authorize")
  let authorizing = false

  const form = h("form.card", { novalidate: true, "aria-labelledby": "h-app" },
    h("h2", { id: "h-app" }, "Your application"),
    h("label", { for: "client-id" }, "Application ID"), idInput,
    h("p.help", { id: "client-id-help" }, "General Information → Application ID (17–20 digits)"), idError,
    h("label", { for: "client-secret" }, "Client Secret"), secretInput,
    h("p.help", { id: "client-secret-help" }, "OAuth2 → Reset Secret. Write-only: it is stored in config.json (mode 0600) and never shown again."), secretError,
    h("label.check", { for: "reauthorize" }, reauth, "Forget the stored authorization and ask Discord again"),
    h("div.row", { style: "margin-top:16px" }, button),
    progress
  )

  main.append(
    h("h1", {}, "Setup"),
    h("p.lead", {}, "Discord lets only an application's owner control voice over RPC, so deckcord runs as an application you create. This takes about two minutes, once."),
    h("div.grid", {},
      h("section.card", { "aria-labelledby": "h-steps" },
        h("h2", { id: "h-steps" }, "Steps"),
        h("ol.steps", {},
          h("li", {}, "Open the ", h("a", { href: "https://discord.com/developers/applications", target: "_blank", rel: "noopener noreferrer" }, "Discord Developer Portal"), ", log in with the account you use in Discord, and click ", h("b", {}, "New Application"), ". Any name will do."),
          h("li", {}, "On ", h("b", {}, "General Information"), ", copy the ", h("b", {}, "Application ID"), "."),
          h("li", {}, "Under ", h("b", {}, "OAuth2"), ", click ", h("b", {}, "Reset Secret"), " and copy the ", h("b", {}, "Client Secret"), "."),
          h("li", {}, "Under ", h("b", {}, "OAuth2 → Redirects"), ", add ", h("code", {}, "http://localhost"), " and save."),
          h("li", {}, "Paste both here and press ", h("b", {}, "Save and authorize"), "."),
          h("li", {}, "Switch to Discord: it asks whether to authorize your application. Click ", h("b", {}, "Authorize"), ".")),
        h("p.help", {}, "The same steps as ", h("code", {}, "deckcord auth"), " in a terminal.")),
      form)
  )

  const fillFrom = (s) => {
    if (!s) return
    if (document.activeElement !== idInput && idInput.value === "" && s.setup.clientId) idInput.value = s.setup.clientId
    secretInput.placeholder = s.setup.hasSecret ? "•••••••• stored — leave empty to keep it" : "paste the Client Secret"
  }
  const showProgress = (s) => {
    if (!s || !authorizing) return
    const c = s.connection
    const icon = c.state === "Ready" ? pill("ok", "✓") : c.state === "Disconnected" ? pill("bad", "!") : h("span.spinner", { "aria-hidden": "true" })
    const text = c.state === "Ready"
      ? `Authorized${c.user ? ` as ${c.user.name}` : ""}. Your keys are live.`
      : c.state === "Authenticating"
      ? "Switch to Discord and click Authorize."
      : c.state === "Connecting"
      ? "Connecting to Discord…"
      : c.summary
    fill(progress, h("div.progress", { "data-state": c.state }, icon, h("div", {}, h("div", {}, text), c.reason?.hint ? h("div.help", {}, c.reason.hint) : null)))
    if (c.state === "Ready") authorizing = false
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault()
    idError.textContent = ""
    secretError.textContent = ""
    idInput.removeAttribute("aria-invalid")
    secretInput.removeAttribute("aria-invalid")
    button.disabled = true
    try {
      await api("POST", "/api/ui/setup", { clientId: idInput.value, ...(secretInput.value ? { clientSecret: secretInput.value } : {}) })
      secretInput.value = ""
      authorizing = true
      fill(progress, h("div.progress", {}, h("span.spinner", { "aria-hidden": "true" }), h("div", {}, "Saved. Connecting to Discord…")))
      await api("POST", "/api/ui/authorize", { reauthorize: reauth.checked })
      showProgress(live.status)
    } catch (e) {
      const problems = e.body?.problems ?? []
      for (const p of problems) {
        const [input, out] = p.path.includes("clientSecret") ? [secretInput, secretError] : [idInput, idError]
        input.setAttribute("aria-invalid", "true")
        out.textContent = p.message
      }
      if (problems.length === 0) fill(progress, h("div.banner.bad", { role: "alert" }, e.message))
    } finally {
      button.disabled = false
    }
  })

  fillFrom(live.status)
  return live.on("status", (s) => {
    fillFrom(s)
    showProgress(s)
  })
}

// ---------------------------------------------------------------------------------------------
// router
// ---------------------------------------------------------------------------------------------

const PAGES = {
  status: { title: "Status", render: renderStatusPage },
  setup: { title: "Setup", render: renderSetupPage },
  layout: { title: "Layout", render: renderLayoutPage },
  deck: { title: "Virtual deck", render: renderDeckPage }
}

let cleanup = () => {}
const route = () => {
  const name = (location.hash.replace(/^#\/?/, "").split("?")[0]) || "status"
  const page = PAGES[name] ?? PAGES.status
  cleanup()
  const main = clear(document.getElementById("main"))
  for (const a of document.querySelectorAll(".topbar nav a")) {
    if (a.dataset.page === name) a.setAttribute("aria-current", "page")
    else a.removeAttribute("aria-current")
  }
  document.title = `${page.title} · deckcord`
  document.body.dataset.page = name
  cleanup = page.render(main) ?? (() => {})
}

window.addEventListener("hashchange", () => {
  route()
  document.getElementById("main").focus({ preventScroll: true })
})
openStatusStream()
route()
