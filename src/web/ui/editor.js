// The layout editor: a deck at its real grid with its real faces; click a key or dial, pick an
// action from the catalogue, fill its options with pickers from Discord (names, not ids), add
// and link pages, save. Saving is refused, with the reason beside the field, when the daemon's
// decoder rejects a value, and refused with a conflict when config.json changed on disk.
import { api, ApiError, clear, fill, followFaces, h, live } from "./app.js"
import { buildDeck } from "./deck.js"

const HOME = "home"

/** `["decks"]["*"]["keys"]["4"]` → ["decks", "*", "keys", "4"] */
const parsePath = (path) => {
  if (!path) return []
  try {
    return JSON.parse(`[${path.slice(1, -1).replace(/\]\[/g, ",")}]`).map(String)
  } catch {
    return []
  }
}
const formatPath = (segments) => segments.map((s) => `[${JSON.stringify(s)}]`).join("")

const asObject = (binding) => (typeof binding === "string" ? { action: binding } : binding && typeof binding === "object" ? { ...binding } : undefined)

export const renderLayoutPage = (main) => {
  const state = {
    catalog: [],
    actions: new Map(),
    decks: [],
    deck: undefined,
    target: "*",
    page: HOME,
    selected: undefined,
    config: {},
    version: undefined,
    dirty: false,
    problems: [],
    defaults: new Map()
  }
  let view
  let destroyed = false

  const banner = h("div", { id: "editor-banner", "aria-live": "polite" })
  const deckSelect = h("select", { id: "deck-select" })
  const targetSelect = h("select", { id: "target-select" })
  const saveButton = h("button", { type: "button", id: "save" }, "Save")
  const deckArea = h("div", { id: "editor-deck" })
  const pagesBar = h("div.pages", { role: "toolbar", "aria-label": "Pages" })
  const panel = h("section.card", { id: "panel", "aria-labelledby": "panel-title" })

  main.append(
    h("h1", {}, "Layout"),
    h("p.lead", {}, "Click a key or dial, choose what it does, then Save. Channels, members, sounds and devices are picked by name from Discord."),
    h("div.toolbar", {},
      h("div", {}, h("label", { for: "deck-select" }, "Deck"), deckSelect),
      h("div", {}, h("label", { for: "target-select" }, "Layout applies to"), targetSelect),
      h("div.grow"),
      saveButton),
    banner,
    h("div.editor", {}, h("div", {}, pagesBar, deckArea), panel)
  )

  // ---- working copy helpers ----
  const entry = (create) => {
    const decks = state.config.decks
    if (decks && typeof decks === "object" && decks[state.target]) return decks[state.target]
    if (!create) return undefined
    // first edit of a deck that had no entry: start from what it shows now (its defaults)
    const seeded = structuredClone(state.defaults.get(state.deck?.serial) ?? { keys: {}, encoders: {} })
    state.config.decks = { ...(decks ?? {}), [state.target]: seeded }
    return seeded
  }
  const effectiveEntry = () => entry(false) ?? state.defaults.get(state.deck?.serial) ?? { keys: {}, encoders: {} }
  const pageOf = (e, page) => (page === HOME ? e : e.pages?.[page])
  const pageNames = () => [HOME, ...Object.keys(effectiveEntry().pages ?? {})]
  const fieldOf = (control) => (control.startsWith("key:") ? "keys" : "encoders")
  const indexOf = (control) => control.split(":")[1]
  const bindingAt = (control) => {
    const p = pageOf(effectiveEntry(), state.page)
    return asObject(p?.[fieldOf(control)]?.[indexOf(control)])
  }
  const setBinding = (control, binding) => {
    const e = entry(true)
    const p = state.page === HOME ? e : (e.pages[state.page] ??= {})
    const field = fieldOf(control)
    p[field] = { ...(p[field] ?? {}) }
    if (binding === undefined) delete p[field][indexOf(control)]
    else p[field][indexOf(control)] = binding
    markDirty()
  }
  const bindingPath = (control) => [
    "decks", state.target, ...(state.page === HOME ? [] : ["pages", state.page]), fieldOf(control), indexOf(control)
  ]

  const markDirty = () => {
    state.dirty = true
    saveButton.textContent = "Save changes"
    drawCaptions()
  }

  // ---- drawing ----
  const drawCaptions = () => {
    if (!view) return
    for (const [control, el] of view.elements) {
      const b = bindingAt(control)
      const title = b ? (b.label ?? state.actions.get(b.action)?.title ?? b.action) : ""
      if (el.caption) el.caption.textContent = title
      el.classList.toggle("selected", control === state.selected)
      el.setAttribute("aria-pressed", control === state.selected ? "true" : "false")
    }
  }

  const drawPages = () => {
    clear(pagesBar)
    for (const name of pageNames()) {
      pagesBar.append(h("button.secondary", {
        type: "button",
        "aria-pressed": name === state.page ? "true" : "false",
        onclick: () => {
          state.page = name
          state.selected = undefined
          drawPages()
          drawCaptions()
          drawPanel()
        }
      }, name === HOME ? "Home" : name))
    }
    const nameInput = h("input", { type: "text", id: "page-name", "aria-label": "New page name", placeholder: "new page", style: "width:140px" })
    const addPage = h("button.secondary", {
      type: "button", id: "add-page",
      onclick: () => {
        const name = nameInput.value.trim()
        if (!name || name === HOME || pageNames().includes(name)) return nameInput.setAttribute("aria-invalid", "true")
        const e = entry(true)
        e.pages = { ...(e.pages ?? {}), [name]: { keys: { "0": { action: "page", page: HOME } } } }
        state.page = name
        markDirty()
        drawPages()
        drawCaptions()
        drawPanel()
      }
    }, "Add page")
    pagesBar.append(nameInput, addPage)
    if (state.page !== HOME) {
      pagesBar.append(
        h("button.secondary", {
          type: "button",
          onclick: () => {
            const next = nameInput.value.trim()
            if (!next || next === HOME || pageNames().includes(next)) return nameInput.setAttribute("aria-invalid", "true")
            renamePage(state.page, next)
          }
        }, "Rename to"),
        h("button.danger", { type: "button", onclick: () => deletePage(state.page) }, "Delete page")
      )
    }
  }

  const eachBinding = (e, fn) => {
    for (const page of [e, ...Object.values(e.pages ?? {})]) {
      for (const field of ["keys", "encoders"]) {
        for (const [i, b] of Object.entries(page[field] ?? {})) {
          const o = asObject(b)
          if (o) fn(o, (next) => (page[field][i] = next))
        }
      }
    }
  }
  const renamePage = (from, to) => {
    const e = entry(true)
    e.pages = Object.fromEntries(Object.entries(e.pages).map(([n, p]) => [n === from ? to : n, p]))
    eachBinding(e, (b, put) => {
      if (b.action === "page" && b.page === from) put({ ...b, page: to })
    })
    state.page = to
    markDirty()
    drawPages()
    drawPanel()
  }
  const deletePage = (name) => {
    const e = entry(true)
    const { [name]: _gone, ...rest } = e.pages
    e.pages = rest
    // keys that led there would trap nothing but fail validation: clear them
    eachBinding(e, (b, put) => {
      if (b.action === "page" && b.page === name) put(undefined)
    })
    for (const page of [e, ...Object.values(e.pages)]) {
      for (const field of ["keys", "encoders"]) {
        for (const [i, b] of Object.entries(page[field] ?? {})) if (b === undefined) delete page[field][i]
      }
    }
    state.page = HOME
    markDirty()
    drawPages()
    drawCaptions()
    drawPanel()
  }

  const problemFor = (path) => state.problems.filter((p) => {
    const segs = parsePath(p.path)
    return segs.length >= path.length && path.every((s, i) => segs[i] === s)
  })

  const pickerCache = new Map()
  const picker = (path) => {
    if (!pickerCache.has(path)) pickerCache.set(path, api("GET", path).catch((e) => {
      pickerCache.delete(path)
      throw e
    }))
    return pickerCache.get(path)
  }

  const fieldInput = (field, binding, control) => {
    const id = `opt-${field.name}`
    const value = binding[field.name]
    const set = (v) => {
      const next = { ...bindingAt(control) }
      if (v === undefined || v === "") delete next[field.name]
      else next[field.name] = v
      setBinding(control, next)
    }
    const wrap = (...inputs) => {
      const path = [...bindingPath(control), field.name]
      const errors = problemFor(path)
      const errorEl = h("p.field-error", { id: `${id}-error`, role: errors.length ? "alert" : null }, errors.map((p) => p.message).join("; "))
      for (const input of inputs) {
        input.setAttribute("aria-describedby", `${id}-help ${id}-error`)
        if (errors.length) input.setAttribute("aria-invalid", "true")
      }
      return h("div", { "data-field": field.name },
        h("label", { for: id }, field.label, field.required ? " *" : ""),
        inputs.length > 1 ? h("div.row", {}, inputs) : inputs[0],
        h("p.help", { id: `${id}-help` }, field.help ?? ""),
        errorEl)
    }
    const select = (options, current, onChange, extra = {}) => {
      const el = h("select", { id, ...extra })
      for (const [v, label] of options) el.append(h("option", { value: v }, label))
      el.value = current ?? ""
      el.addEventListener("change", () => onChange(el.value))
      return el
    }
    const loading = (message) => [["", message]]
    const kind = field.kind
    switch (kind._tag) {
      case "Choice":
        return wrap(select([["", "(default)"], ...kind.values.map((v) => [v, v])], value, set))
      case "Boolean":
        return wrap(select([["", "(default)"], ["true", "yes"], ["false", "no"]], value === undefined ? "" : String(value), (v) => set(v === "" ? undefined : v === "true")))
      case "Integer": {
        const el = h("input", { type: "number", id, min: kind.min, max: kind.max, step: 1, value: value ?? "" })
        el.addEventListener("change", () => set(el.value === "" ? undefined : Number(el.value)))
        return wrap(el)
      }
      case "Text": {
        const el = h("input", { type: "text", id, value: value ?? "" })
        el.addEventListener("change", () => set(el.value))
        return wrap(el)
      }
      case "Page":
        return wrap(select([["", "(choose a page)"], ...pageNames().filter((n) => n !== state.page).map((n) => [n, n === HOME ? "Home" : n])], value, set))
      case "Channel": {
        const guild = select(loading("loading servers…"), "", () => {}, { "aria-label": "Server", id: `${id}-guild` })
        const channel = select(value ? [[value, `current: ${value}`]] : [["", "(choose a server first)"]], value, set)
        const fillChannels = (guildId) => {
          fill(channel, h("option", { value: "" }, "loading channels…"))
          picker(`/api/ui/discord/channels?guild=${guildId}&kind=${kind.channelKind}`).then((channels) => {
            fill(channel, h("option", { value: "" }, channels.length ? "(choose a channel)" : "no channels of this kind"))
            for (const c of channels) channel.append(h("option", { value: c.id }, `${kind.channelKind === "voice" ? "🔊" : "#"} ${c.name}`))
            if (value && !channels.some((c) => c.id === value)) channel.append(h("option", { value }, `current: ${value}`))
            channel.value = value ?? ""
          }, (e) => fill(channel, h("option", { value: value ?? "" }, e.message)))
        }
        guild.addEventListener("change", () => guild.value && fillChannels(guild.value))
        picker("/api/ui/discord/guilds").then((guilds) => {
          fill(guild, h("option", { value: "" }, "(choose a server)"))
          for (const g of guilds) guild.append(h("option", { value: g.id }, g.name))
        }, (e) => fill(guild, h("option", { value: "" }, e.message)))
        return wrap(guild, channel)
      }
      case "Member": {
        const el = select([["", "(anyone in your channel)"], ...(value ? [[value, `current: ${value}`]] : [])], value, set)
        picker("/api/ui/discord/members").then((members) => {
          for (const m of members) el.append(h("option", { value: m.id }, `${m.name} · ${m.channel}`))
          el.value = value ?? ""
        }, (e) => el.append(h("option", { value: "", disabled: true }, e.message)))
        return wrap(el)
      }
      case "Sound": {
        const current = binding.sound ? `${binding.guild ?? ""}:${binding.sound}` : binding.name ? `name:${binding.name}` : ""
        const el = select([["", "(choose a sound)"], ...(current ? [[current, `current: ${binding.name ?? binding.sound}`]] : [])], current, (v) => {
          const next = { ...bindingAt(control) }
          delete next.sound
          delete next.guild
          delete next.name
          if (v.startsWith("name:")) next.name = v.slice(5)
          else if (v) {
            const [g, s] = v.split(":")
            next.sound = s
            next.guild = g
          }
          setBinding(control, next)
        })
        picker("/api/ui/discord/sounds").then((sounds) => {
          fill(el, h("option", { value: "" }, "(choose a sound)"))
          for (const s of sounds) el.append(h("option", { value: `${s.guild}:${s.sound}` }, `${s.emoji ? `${s.emoji} ` : ""}${s.name}`))
          el.value = current
        }, (e) => el.append(h("option", { value: "", disabled: true }, e.message)))
        return wrap(el)
      }
      case "Device": {
        const el = select([["", "(next device on each press)"], ...(value ? [[value, `current: ${value}`]] : [])], value, set)
        picker("/api/ui/discord/devices").then((devices) => {
          fill(el, h("option", { value: "" }, "(next device on each press)"))
          for (const d of devices[kind.direction]) el.append(h("option", { value: d.id }, d.name))
          el.value = value ?? ""
        }, (e) => el.append(h("option", { value: "", disabled: true }, e.message)))
        return wrap(el)
      }
    }
    return wrap(h("input", { type: "text", id, value: value ?? "", disabled: true }))
  }

  const drawPanel = () => {
    clear(panel)
    const control = state.selected
    if (!control) {
      panel.append(h("h2", { id: "panel-title" }, "Nothing selected"), h("p.empty", {}, "Click a key or dial on the deck to choose what it does."))
      return
    }
    const binding = bindingAt(control)
    const action = binding ? state.actions.get(binding.action) : undefined
    const [kind, index] = control.split(":")
    panel.append(
      h("h2", { id: "panel-title" }, `${kind === "key" ? "Key" : "Dial"} ${Number(index) + 1}`, state.page !== HOME ? ` · page ${state.page}` : ""),
      h("p.help", {}, action ? action.summary : "No action: this control does nothing.")
    )
    const controlProblems = problemFor(bindingPath(control)).filter((p) => parsePath(p.path).length === bindingPath(control).length || parsePath(p.path).at(-1) === "action")
    if (controlProblems.length) panel.append(h("ul.problems", { role: "alert" }, controlProblems.map((p) => h("li", {}, p.message))))
    const catalog = h("div.catalog", { role: "group", "aria-label": "Actions" })
    for (const group of state.catalog) {
      const open = group.actions.some((a) => a.name === binding?.action) || (!binding && group.name === "Voice")
      const details = h("details", { open })
      details.append(h("summary", {}, group.name))
      const list = h("div.actions-list")
      for (const a of group.actions) {
        list.append(h("button", {
          type: "button", "data-action": a.name, "aria-pressed": a.name === binding?.action ? "true" : "false", title: a.summary,
          onclick: () => {
            if (binding?.action === a.name) return
            const next = { action: a.name }
            if (binding?.label) next.label = binding.label
            setBinding(control, next)
            drawPanel()
            panel.querySelector(`[data-action="${a.name}"]`)?.focus()
          }
        }, a.title))
      }
      details.append(list)
      catalog.append(details)
    }
    panel.append(catalog)
    if (binding && action) {
      const form = h("div", { id: "options" }, h("h2", { style: "margin-top:16px" }, "Options"))
      for (const field of action.fields) form.append(fieldInput(field, binding, control))
      form.append(fieldInput({ name: "label", label: "Label", kind: { _tag: "Text" }, required: false, help: "Text shown instead of the action's own" }, binding, control))
      form.append(h("div.row", { style: "margin-top:14px" }, h("button.danger", {
        type: "button", onclick: () => {
          setBinding(control, undefined)
          drawPanel()
        }
      }, "Clear this control")))
      panel.append(form)
    }
  }

  const drawBanner = (kind, ...content) => fill(banner, h(`div.banner.${kind}`, { role: kind === "bad" ? "alert" : "status" }, ...content))

  const drawDeck = () => {
    clear(deckArea)
    if (!state.deck) {
      const models = h("select", { id: "editor-model", "aria-label": "Model" })
      api("GET", "/api/virtual-decks/models").then((names) => {
        for (const n of names) models.append(h("option", { value: n }, n))
        models.value = names.includes("original-mk2") ? "original-mk2" : names[0]
      })
      deckArea.append(h("div.card", {},
        h("h2", {}, "No deck connected"),
        h("p", {}, "Pick a model to lay out: deckcord adds a virtual deck of it, which you can also press on the Virtual deck page."),
        h("div.row", {}, models, h("button", {
          type: "button", onclick: async () => {
            await api("POST", "/api/virtual-decks", { model: models.value })
            await loadDecks()
          }
        }, "Add virtual deck"))))
      return
    }
    view = buildDeck(state.deck, {
      mode: "select",
      captions: true,
      onSelect: (control) => {
        state.selected = control
        drawCaptions()
        drawPanel()
      }
    })
    deckArea.append(view.el)
    view.loadFaces()
    drawCaptions()
  }

  const drawTargets = () => {
    clear(targetSelect)
    if (!state.deck) return
    targetSelect.append(
      h("option", { value: "*" }, "every deck without its own layout (\"*\")"),
      h("option", { value: state.deck.serial }, `this deck only (${state.deck.serial})`)
    )
    targetSelect.value = state.target
  }

  const chooseDeck = async (serial) => {
    state.deck = state.decks.find((d) => d.serial === serial) ?? state.decks[0]
    state.page = HOME
    state.selected = undefined
    if (state.deck && !state.defaults.has(state.deck.serial)) {
      try {
        state.defaults.set(state.deck.serial, await api("GET", `/api/ui/defaults/${encodeURIComponent(state.deck.serial)}`))
      } catch {
        state.defaults.set(state.deck.serial, { keys: {}, encoders: {} })
      }
    }
    const decks = state.config.decks ?? {}
    state.target = state.deck && decks[state.deck.serial] ? state.deck.serial : "*"
    drawTargets()
    drawDeck()
    drawPages()
    drawPanel()
  }

  const loadDecks = async () => {
    state.decks = await api("GET", "/api/decks")
    clear(deckSelect)
    for (const d of state.decks) deckSelect.append(h("option", { value: d.serial }, `${d.productName}${d.virtual ? " (virtual)" : ""} · ${d.serial}`))
    deckSelect.disabled = state.decks.length === 0
    await chooseDeck(state.deck && state.decks.some((d) => d.serial === state.deck.serial) ? state.deck.serial : state.decks[0]?.serial)
  }

  const loadConfig = async () => {
    const snapshot = await api("GET", "/api/ui/config")
    state.config = structuredClone(snapshot.config)
    state.version = snapshot.version
    state.problems = snapshot.problems
    state.dirty = false
    saveButton.textContent = "Save"
    if (snapshot.problems.length) {
      drawBanner("bad", h("b", {}, "config.json has problems on disk: "), h("ul.problems", {}, snapshot.problems.map((p) => h("li", {}, `${p.path ? `at ${p.path}: ` : ""}${p.message}`))))
    } else clear(banner)
  }

  deckSelect.addEventListener("change", () => chooseDeck(deckSelect.value))
  targetSelect.addEventListener("change", () => {
    state.target = targetSelect.value
    state.page = HOME
    drawPages()
    drawCaptions()
    drawPanel()
  })

  saveButton.addEventListener("click", async () => {
    saveButton.disabled = true
    try {
      const snapshot = await api("PUT", "/api/ui/config", { version: state.version, config: state.config })
      state.version = snapshot.version
      state.problems = []
      state.dirty = false
      saveButton.textContent = "Save"
      drawBanner("ok", h("span.saved", { id: "saved" }, "✓ Saved. "), `deckcord applied the new layout (${snapshot.file}).`)
      drawPanel()
    } catch (e) {
      if (e instanceof ApiError && e.status === 409) {
        drawBanner("bad", h("b", { id: "conflict" }, "Not saved: config.json changed on disk since this page loaded it. "),
          "Nothing was overwritten. ",
          h("button.secondary", {
            type: "button", onclick: async () => {
              await loadConfig()
              await chooseDeck(state.deck?.serial)
            }
          }, "Load the file's version (drops your changes here)"))
      } else if (e instanceof ApiError && e.status === 422) {
        state.problems = e.body.problems ?? []
        drawBanner("bad", h("b", { id: "invalid" }, "Not saved: "), "fix the values marked below.",
          h("ul.problems", {}, state.problems.map((p) => h("li", {}, `${p.path ? `at ${p.path}: ` : ""}${p.message}`))))
        // show the first problem's control
        const segs = parsePath(state.problems[0]?.path)
        const at = segs.indexOf("keys") >= 0 ? segs.indexOf("keys") : segs.indexOf("encoders")
        if (at >= 0 && segs[1] === state.target) {
          state.page = segs[2] === "pages" ? segs[3] : HOME
          state.selected = `${segs[at] === "keys" ? "key" : "encoder"}:${segs[at + 1]}`
          drawPages()
          drawCaptions()
        }
        drawPanel()
      } else drawBanner("bad", e.message)
    } finally {
      saveButton.disabled = false
    }
  })

  Promise.all([
    api("GET", "/api/ui/catalog").then((c) => {
      state.catalog = c.groups
      for (const g of c.groups) for (const a of g.actions) state.actions.set(a.name, a)
    }),
    loadConfig()
  ]).then(() => !destroyed && loadDecks()).catch((e) => drawBanner("bad", e.message))

  followFaces()
  const offFace = live.on("face", (event) => {
    if (view && event.serial === view.serial) view.setFace(event.control, event.face)
  })
  const offStatus = live.on("status", (s) => {
    const known = state.decks.map((d) => d.serial).sort().join()
    const now = s.decks.map((d) => d.serial).sort().join()
    if (known !== now && !destroyed) loadDecks()
  })
  window.onbeforeunload = () => (state.dirty ? "You have unsaved layout changes." : undefined)
  return () => {
    destroyed = true
    offFace()
    offStatus()
    window.onbeforeunload = null
  }
}

export { formatPath }
