// The virtual deck: every deck drawn at its real grid with the faces the daemon writes to it,
// pressable with mouse, touch and keyboard (held keys stay down: push-to-talk works), dials
// turned with the wheel, a drag or the arrow keys. Also a standalone deck of any model.
import { api, clear, fill, followFaces, h, live } from "./app.js"

const faceUrl = (serial, control, version) =>
  `/api/decks/${encodeURIComponent(serial)}/${encodeURIComponent(control)}/face.png?v=${version}`

/** Keys 1…0 are row one, Q…P row two, A…; row three, Z…/ row four (as Companion's emulator). */
const KEYMAP = ["1234567890", "qwertyuiop", "asdfghjkl;", "zxcvbnm,./"]

/** Pixels of drag per dial detent. */
const DRAG_STEP = 22
/** Wheel delta per dial detent (a mouse notch is ~100, a touchpad sends many small ones). */
const WHEEL_STEP = 60

/** Keep getting a held pointer's events even if it slides off the key (a finger on a phone). */
const capture = (el, pointerId) => {
  try {
    el.setPointerCapture(pointerId)
  } catch {
    // a pointer the browser no longer tracks: the press still counts
  }
}

/**
 * A deck element. `mode: "press"` sends input to the daemon; `mode: "select"` calls
 * `onSelect(control)` instead (the layout editor).
 */
export const buildDeck = (deck, { mode = "press", onSelect, captions } = {}) => {
  const images = new Map()
  const versions = new Map()
  const elements = new Map()
  // presses on one control go out in order: an "up" never overtakes its "down"
  const queues = new Map()
  const send = (control, input, delta) => {
    const previous = queues.get(control) ?? Promise.resolve()
    const next = previous.then(() =>
      api("POST", `/api/decks/${encodeURIComponent(deck.serial)}/press`, { control, input, ...(delta !== undefined ? { delta } : {}) })
        .catch((e) => showError(e.message))
    )
    queues.set(control, next)
    return next
  }
  const status = h("p.hint", { role: "status", "aria-live": "polite" })
  const showError = (message) => {
    status.textContent = message
  }

  const keySize = (k) => ({ w: k.width ?? 72, h: k.height ?? k.width ?? 72 })
  const maxKey = Math.max(72, ...deck.keys.map((k) => keySize(k).w))
  // fit the deck to the screen (a phone), never larger than a comfortable desktop size
  const scale = Math.min(96 / maxKey, (Math.min(window.innerWidth, 1100) - 96) / Math.max(1, deck.columns) / maxKey)

  const face = (control, label, w, ht, className) => {
    const img = h("img", { alt: "", width: Math.round(w * scale), height: Math.round(ht * scale), draggable: "false" })
    images.set(control, img)
    const el = h(`button.${className}`, {
      type: "button",
      "data-control": control,
      "aria-label": label,
      style: `width:${Math.round(w * scale)}px;height:${Math.round(ht * scale)}px`
    }, img)
    if (captions) {
      const caption = h("span.caption", { "aria-hidden": "true" })
      el.append(caption)
      el.caption = caption
    }
    elements.set(control, el)
    return el
  }

  // ---- keys ----
  const keys = h(captions ? "div.keys.captioned" : "div.keys", { style: `grid-template-columns:repeat(${deck.columns}, auto)` })
  for (const k of [...deck.keys].sort((a, b) => a.row - b.row || a.column - b.column)) {
    const control = `key:${k.index}`
    const { w, h: ht } = keySize(k)
    const el = face(control, `Key ${k.index + 1}`, w, ht, k.feedback === "rgb" ? "key.rgb" : k.feedback === "none" ? "key.blind" : "key")
    if (k.feedback === "none") el.append(`Key ${k.index + 1}`)
    el.style.gridRow = String(k.row + 1)
    el.style.gridColumn = String(k.column + 1)
    wireKey(el, control)
    keys.append(el)
  }

  // ---- dials and the LCD strip above them ----
  const encoders = [...deck.encoders].sort((a, b) => a.column - b.column)
  let strip
  let dials
  if (encoders.length > 0) {
    dials = h("div.dials", { style: `grid-template-columns:repeat(${encoders.length}, 1fr)` })
    if (encoders.some((e) => e.width)) strip = h("div.strip", { style: `grid-template-columns:repeat(${encoders.length}, auto)` })
    for (const e of encoders) {
      const control = `encoder:${e.index}`
      if (strip) {
        const region = face(control, `Dial ${e.index + 1} display`, e.width ?? 200, e.height ?? 100, "dial-face")
        region.style.borderRadius = "0"
        wireStrip(region, control)
        strip.append(region)
      }
      const dial = h("button.dial", { type: "button", "data-dial": control, "aria-label": `Dial ${e.index + 1}: arrows turn, Enter pushes` })
      if (!strip) elements.set(control, dial)
      wireDial(dial, control)
      dials.append(dial)
    }
  }

  const el = h("div.deck-wrap", {},
    h("div.deck", { "data-serial": deck.serial, "aria-label": `${deck.productName} ${deck.serial}`, role: "group" },
      h("div.deck-title", {}, `${deck.productName}${deck.virtual ? " · virtual" : ""} · ${deck.serial}`),
      keys, strip, dials),
    status)

  function wireKey(el, control) {
    if (mode === "select") {
      el.addEventListener("click", () => onSelect?.(control))
      return
    }
    let down = false
    const press = () => {
      if (down) return
      down = true
      el.dataset.down = "true"
      send(control, "down")
    }
    const release = () => {
      if (!down) return
      down = false
      el.dataset.down = "false"
      send(control, "up")
    }
    el.addEventListener("pointerdown", (e) => {
      if (e.button !== 0) return
      e.preventDefault()
      capture(el, e.pointerId)
      el.focus({ preventScroll: true })
      press()
    })
    el.addEventListener("pointerup", release)
    el.addEventListener("pointercancel", release)
    el.addEventListener("lostpointercapture", release)
    el.addEventListener("keydown", (e) => {
      if ((e.key === " " || e.key === "Enter") && !e.repeat) {
        e.preventDefault()
        press()
      } else if (e.key === " " || e.key === "Enter") e.preventDefault()
    })
    el.addEventListener("keyup", (e) => {
      if (e.key === " " || e.key === "Enter") {
        e.preventDefault()
        release()
      }
    })
    el.addEventListener("blur", release)
    el.addEventListener("contextmenu", (e) => e.preventDefault())
    el.press = press
    el.release = release
  }

  function wireStrip(el, control) {
    if (mode === "select") {
      el.addEventListener("click", () => onSelect?.(control))
      return
    }
    el.addEventListener("click", () => send(control, "touch"))
  }

  function wireDial(dial, control) {
    if (mode === "select") {
      dial.addEventListener("click", () => onSelect?.(control))
      return
    }
    let angle = 0
    const turn = (delta) => {
      angle += delta * 15
      dial.style.setProperty("--angle", `${angle}deg`)
      send(control, "rotate", delta)
    }
    let wheel = 0
    dial.addEventListener("wheel", (e) => {
      e.preventDefault()
      wheel += -e.deltaY
      const steps = Math.trunc(wheel / WHEEL_STEP)
      if (steps !== 0) {
        wheel -= steps * WHEEL_STEP
        turn(steps)
      }
    }, { passive: false })
    let drag
    dial.addEventListener("pointerdown", (e) => {
      if (e.button !== 0) return
      e.preventDefault()
      capture(dial, e.pointerId)
      drag = { x: e.clientX, y: e.clientY, moved: false }
    })
    dial.addEventListener("pointermove", (e) => {
      if (!drag) return
      // right or up turns clockwise
      const travel = (e.clientX - drag.x) - (e.clientY - drag.y)
      const steps = Math.trunc(travel / DRAG_STEP)
      if (steps !== 0) {
        drag.moved = true
        drag.x = e.clientX
        drag.y = e.clientY
        turn(steps)
      }
    })
    const end = () => {
      if (drag && !drag.moved) {
        dial.dataset.down = "true"
        send(control, "press").then(() => (dial.dataset.down = "false"))
      }
      drag = undefined
    }
    dial.addEventListener("pointerup", end)
    dial.addEventListener("pointercancel", () => (drag = undefined))
    dial.addEventListener("keydown", (e) => {
      if (e.key === "ArrowRight" || e.key === "ArrowUp") turn(1)
      else if (e.key === "ArrowLeft" || e.key === "ArrowDown") turn(-1)
      else if ((e.key === "Enter" || e.key === " ") && !e.repeat) {
        dial.dataset.down = "true"
        send(control, "down")
      } else return
      e.preventDefault()
    })
    dial.addEventListener("keyup", (e) => {
      if (e.key === "Enter" || e.key === " ") {
        e.preventDefault()
        dial.dataset.down = "false"
        send(control, "up")
      }
    })
  }

  const setFace = (control, face) => {
    const img = images.get(control)
    if (!img) return
    if (face === null) {
      img.removeAttribute("src")
      img.dataset.face = ""
      return
    }
    const version = (versions.get(control) ?? 0) + 1
    versions.set(control, version)
    img.src = faceUrl(deck.serial, control, `${Date.now().toString(36)}-${version}`)
    img.dataset.face = JSON.stringify(face)
    const el = elements.get(control)
    if (el) el.setAttribute("aria-label", `${control.startsWith("key") ? "Key" : "Dial"} ${Number(control.split(":")[1]) + 1}: ${[face.label, face.sublabel].filter(Boolean).join(", ") || face.icon || "blank"}`)
  }

  const loadFaces = async () => {
    try {
      const faces = await api("GET", `/api/decks/${encodeURIComponent(deck.serial)}/faces`)
      for (const { control, face } of faces) if (!versions.has(control)) setFace(control, face)
    } catch (e) {
      showError(e.message)
    }
  }

  /** Press by keyboard letter (1…0, Q…P, …) when the page, not a field, has focus. */
  const keyForLetter = (letter) => {
    const row = KEYMAP.findIndex((r) => r.includes(letter))
    if (row < 0) return undefined
    const column = KEYMAP[row].indexOf(letter)
    const k = deck.keys.find((k) => k.row === row && k.column === column)
    return k === undefined ? undefined : elements.get(`key:${k.index}`)
  }

  return { el, setFace, loadFaces, elements, keyForLetter, serial: deck.serial }
}

// ---------------------------------------------------------------------------------------------
// the page
// ---------------------------------------------------------------------------------------------

export const renderDeckPage = (main) => {
  const list = h("div.deck-list", { id: "decks", "aria-live": "polite" })
  const models = h("select", { id: "model", "aria-label": "Model" })
  const add = h("button.secondary", { type: "button", id: "add-virtual" }, "Add a virtual deck")
  main.append(
    h("h1", {}, "Virtual deck"),
    h("p.lead", {}, "Every deck, live. Press keys with the mouse, a finger or the keyboard (Tab to a key, then Space or Enter; hold it for push-to-talk; or 1…0, Q…P for the first deck's rows). Turn dials with the wheel, a drag or the arrow keys."),
    h("div.toolbar", {},
      h("div", {}, h("label", { for: "model" }, "Standalone deck (no hardware needed)"), h("div.row", {}, models, add))),
    list
  )
  const shown = new Map()
  let destroyed = false

  const draw = (decks) => {
    const serials = new Set(decks.map((d) => d.serial))
    for (const [serial, view] of shown) {
      if (!serials.has(serial)) {
        view.wrapper.remove()
        shown.delete(serial)
      }
    }
    for (const deck of decks) {
      if (shown.has(deck.serial)) continue
      const view = buildDeck(deck)
      const remove = deck.virtual
        ? h("button.danger", { type: "button", onclick: () => api("DELETE", `/api/virtual-decks/${encodeURIComponent(deck.serial)}`).then(refresh) }, "Unplug")
        : null
      view.wrapper = h("div", {}, view.el, remove ? h("div.row", { style: "justify-content:center" }, remove) : null)
      shown.set(deck.serial, view)
      list.append(view.wrapper)
      view.loadFaces()
    }
    if (decks.length === 0) fill(list, h("p.empty", {}, "No deck is connected. Add a virtual deck above to use deckcord without hardware."))
    else list.querySelector(".empty")?.remove()
  }

  const refresh = async () => {
    const decks = await api("GET", "/api/decks")
    if (!destroyed) draw(decks)
  }

  add.addEventListener("click", async () => {
    add.disabled = true
    try {
      await api("POST", "/api/virtual-decks", { model: models.value })
      await refresh()
    } finally {
      add.disabled = false
    }
  })

  api("GET", "/api/virtual-decks/models").then((names) => {
    for (const name of names) models.append(h("option", { value: name }, name))
    models.value = names.includes("original-mk2") ? "original-mk2" : names[0]
  })

  followFaces()
  const offFace = live.on("face", (event) => shown.get(event.serial)?.setFace(event.control, event.face))
  const offDecks = live.on("decks", (decks) => draw(decks))
  const offStatus = live.on("status", (s) => {
    // a deck plugged in or out: the status stream says so first
    const known = [...shown.keys()].sort().join()
    const now = s.decks.map((d) => d.serial).sort().join()
    if (known !== now) refresh()
  })
  refresh()

  const held = new Map()
  const onKeyDown = (e) => {
    if (e.repeat || e.ctrlKey || e.metaKey || e.altKey) return
    if (e.target instanceof HTMLInputElement || e.target instanceof HTMLSelectElement || e.target instanceof HTMLButtonElement) return
    const first = shown.values().next().value
    const el = first?.keyForLetter(e.key.toLowerCase())
    if (!el?.press) return
    e.preventDefault()
    held.set(e.key.toLowerCase(), el)
    el.dataset.down = "true"
    el.press()
  }
  const onKeyUp = (e) => {
    const el = held.get(e.key.toLowerCase())
    if (!el) return
    held.delete(e.key.toLowerCase())
    el.release()
  }
  window.addEventListener("keydown", onKeyDown)
  window.addEventListener("keyup", onKeyUp)
  return () => {
    destroyed = true
    offFace()
    offDecks()
    offStatus()
    window.removeEventListener("keydown", onKeyDown)
    window.removeEventListener("keyup", onKeyUp)
    for (const el of held.values()) el.release()
  }
}
