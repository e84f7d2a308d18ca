/**
 * The host's decks as deckcord decks: the plugin is one more surface at the `Deck` seam, so
 * the Controller, the actions, the faces and the Discord side are the daemon's own. What
 * differs is where things come from:
 *
 * - decks: each host device (its grid from `deviceDidConnect`, dials by device type);
 * - bindings: each action instance's settings (`willAppear`, `didReceiveSettings`), folded
 *   into the config's `decks` field by `PluginSettings`, so the Controller re-resolves on
 *   every change exactly as it does when config.json is edited;
 * - faces: rendered to PNG and sent as `setImage` (keys) or `setFeedback` (dial segments),
 *   latest face wins per instance, re-sent whenever the host shows the instance again.
 *
 * The pure mapping from the host's devices and instances to decks and bindings is
 * `HostDecks.ts`; this module is the service that keeps it current.
 *
 * @since 0.1.0
 */
import { Clock, Context, Effect, Layer, PubSub, Queue, Stream, SubscriptionRef } from "effect"
import { Deck, type DeckControl, type DeckInfo, type DeckInput } from "../deck/Deck.ts"
import type { Face, PixelSize } from "../face/Face.ts"
import { KeyRenderer } from "../face/KeyRenderer.ts"
import { bindingProblem, controlOf, deckInfoOf, decksFor, DIAL_SEGMENT_SIZE, type Instance, instanceOf, KEY_IMAGE_SIZE } from "./HostDecks.ts"
import { HostConnection } from "./HostConnection.ts"
import {
  DIAL_LAYOUT_KEY,
  type DeviceInfoPayload,
  type HostEvent,
  pngDataUrl,
  type RegistrationInfo
} from "./HostProtocol.ts"

// the pure mapping has a module of its own; its names stay importable from here
export {
  actionNameOf,
  actionUuid,
  bindingOf,
  bindingProblem,
  controlOf,
  decksFor,
  deckInfoOf,
  DIAL_SEGMENT_SIZE,
  type Instance,
  instanceOf,
  KEY_IMAGE_SIZE,
  PLUGIN_UUID
} from "./HostDecks.ts"

/** An input before its entry time is stamped (`at`, where the deck seam has it). */
type UnstampedInput = DeckInput extends infer T ? (T extends unknown ? Omit<T, "at"> : never) : never

const controlKey = (c: DeckControl) => (c.kind === "lcd" ? "lcd" : `${c.kind}:${c.index}`)

// ---------------------------------------------------------------------------------------------
// the surface: devices, instances, faces
// ---------------------------------------------------------------------------------------------

export interface PluginSurfaceShape {
  /** The config `decks` the host's instances describe, then after every change. */
  readonly layoutChanges: Stream.Stream<ReturnType<typeof decksFor>>
  readonly layout: Effect.Effect<ReturnType<typeof decksFor>>
  /** The instances shown now, by context. */
  readonly instances: Effect.Effect<ReadonlyMap<string, Instance>>
  /**
   * Property-inspector and system events, for the one part that answers them (the inspector).
   * Held until read: the host sends them as soon as the plugin registers, and the reader may
   * start after the first ones (a slower layer built before it); a subscription from then on
   * lost them, and the inspector never answered.
   */
  readonly uiEvents: Stream.Stream<HostEvent>
}

export class PluginSurface extends Context.Service<PluginSurface, PluginSurfaceShape>()("deckcord/PluginSurface") {}

interface Sent {
  /** What the instance shows (skips re-sending an identical image). */
  shown: string | undefined
  /** The newest face waiting to be sent; only it is ever sent. */
  pending: { readonly key: string; readonly face: Face; readonly size: PixelSize; readonly encoder: boolean } | undefined
  running: boolean
  /** The overlay of the newest face (an alert goes out when it turns to "error"). */
  overlay: Face["overlay"]
}

/**
 * The surface and the `Deck` it backs, from one reader of the host's events. `info` is the
 * `-info` of the launch, whose device list fills in a device the host never announced.
 */
/** Inspector events held for their reader; past this the oldest go (an inspector asks again when opened). */
const UI_EVENTS_HELD = 256

export const makePluginSurface = (info: RegistrationInfo) =>
  Effect.gen(function*() {
    const host = yield* HostConnection
    const renderer = yield* KeyRenderer
    /** The writers live as long as the surface. */
    const scope = yield* Effect.scope

    const connected = new Map<string, DeviceInfoPayload>()
    const infoDevices = new Map((info.devices ?? []).map((d) => [d.id, d] as const))
    const instances = new Map<string, Instance>()
    const decksRef = yield* SubscriptionRef.make<ReadonlyMap<string, DeckInfo>>(new Map())
    const layoutRef = yield* SubscriptionRef.make<ReturnType<typeof decksFor>>({})
    const inputs = yield* PubSub.unbounded<DeckInput>()
    const ui = yield* Queue.sliding<HostEvent>(UI_EVENTS_HELD)
    /** serial → control → latest face, kept for when an instance (re)appears there. */
    const faces = new Map<string, Map<string, Face>>()
    const sent = new Map<string, Sent>()
    const warnedProblems = new Map<string, string>()

    const deckOf = (device: string): DeckInfo | undefined => {
      const d = connected.get(device) ?? infoDevices.get(device)
      return d === undefined ? undefined : deckInfoOf(device, d)
    }

    /** The decks: connected ones, and announced ones something is shown on. */
    const publish = Effect.gen(function*() {
      const ids = new Set([...connected.keys(), ...[...instances.values()].map((i) => i.device)])
      const current = yield* SubscriptionRef.get(decksRef)
      const next = new Map<string, DeckInfo>()
      for (const id of ids) {
        const deck = current.get(id) ?? deckOf(id)
        if (deck !== undefined) next.set(id, deck)
      }
      const sameDecks = next.size === current.size && [...next.keys()].every((id) => current.get(id) === next.get(id))
      // the layout first: a deck that appears must never run under a layout without its entry
      // (it would get the default layout for its size, whose keys the host does not show)
      const layout = decksFor(next, instances.values())
      const layoutChanged = JSON.stringify(layout) !== JSON.stringify(yield* SubscriptionRef.get(layoutRef))
      if (layoutChanged) yield* SubscriptionRef.set(layoutRef, layout)
      if (!sameDecks) yield* SubscriptionRef.set(decksRef, next)
      return layoutChanged || !sameDecks
    })

    const placeOf = (instance: Instance) => {
      const deck = deckOf(instance.device)
      const control = deck === undefined ? undefined : controlOf(instance, deck)
      return deck === undefined || control === undefined ? undefined : { deck, control }
    }

    // ---- faces out: per instance, latest wins, at most one render-and-send at a time ----

    const drain = (context: string, slot: Sent): Effect.Effect<void> =>
      Effect.gen(function*() {
        while (slot.pending !== undefined) {
          const next = slot.pending
          slot.pending = undefined
          if (next.key === slot.shown || !instances.has(context)) continue
          const png = yield* renderer.renderPng(next.face, next.size).pipe(
            Effect.catchDefect((d) => Effect.logWarning(`rendering a face failed: ${String(d)}`).pipe(Effect.as(undefined)))
          )
          if (png === undefined) continue
          const image = pngDataUrl(png)
          // the host must hear nothing for an instance after its willDisappear
          const visible = () => instances.has(context)
          yield* host.send(
            next.encoder
              ? { event: "setFeedback", context, payload: { [DIAL_LAYOUT_KEY]: image } }
              : { event: "setImage", context, payload: { image } },
            visible
          )
          slot.shown = next.key
        }
        slot.running = false
      })

    const showOn = (instance: Instance, face: Face, control: DeckControl) =>
      Effect.gen(function*() {
        let slot = sent.get(instance.context)
        if (slot === undefined) {
          slot = { shown: undefined, pending: undefined, running: false, overlay: undefined }
          sent.set(instance.context, slot)
        }
        const encoder = control.kind === "encoder"
        const size = encoder ? DIAL_SEGMENT_SIZE : KEY_IMAGE_SIZE
        // a failed press shows the error face; the host's own alert says it the host's way too
        const alert = face.overlay === "error" && slot.overlay !== "error"
        slot.overlay = face.overlay
        slot.pending = { key: JSON.stringify(face), face, size, encoder }
        if (alert) yield* host.send({ event: "showAlert", context: instance.context }, () => instances.has(instance.context))
        if (slot.running) return
        slot.running = true
        yield* Effect.forkIn(drain(instance.context, slot), scope)
      })

    const setFace = (serial: string, control: DeckControl, face: Face) =>
      Effect.gen(function*() {
        let perDeck = faces.get(serial)
        if (perDeck === undefined) {
          perDeck = new Map()
          faces.set(serial, perDeck)
        }
        const key = controlKey(control)
        perDeck.set(key, face)
        for (const instance of instances.values()) {
          if (instance.device !== serial) continue
          const place = placeOf(instance)
          if (place !== undefined && controlKey(place.control) === key) yield* showOn(instance, face, place.control)
        }
      })

    /** The host may have cleared the key, or restored an old image: draw it again from what we know. */
    const redraw = (instance: Instance) =>
      Effect.gen(function*() {
        const slot = sent.get(instance.context)
        if (slot !== undefined) slot.shown = undefined
        const place = placeOf(instance)
        const face = place === undefined ? undefined : faces.get(instance.device)?.get(controlKey(place.control))
        if (place !== undefined && face !== undefined) yield* showOn(instance, face, place.control)
      })

    // ---- events in ----

    const warnIfInvalid = (instance: Instance) =>
      Effect.gen(function*() {
        const problem = bindingProblem(instance)
        if (problem === undefined) {
          warnedProblems.delete(instance.context)
          return
        }
        if (warnedProblems.get(instance.context) === problem) return
        warnedProblems.set(instance.context, problem)
        yield* Effect.logWarning(`${instance.action} at ${instance.device} ${instance.column},${instance.row}: ${problem}`)
        yield* host.send({ event: "showAlert", context: instance.context })
      })

    const upsert = (event: Parameters<typeof instanceOf>[0]) =>
      Effect.gen(function*() {
        const instance = instanceOf(event)
        if (instance === undefined) {
          return yield* Effect.logDebug(`${event.action} in a multi-action has no key of its own; ignored`)
        }
        const known = instances.has(instance.context)
        instances.set(instance.context, instance)
        yield* warnIfInvalid(instance)
        const changed = yield* publish
        // A changed layout makes the Controller draw every bound control, this one too; the
        // face remembered here may belong to what was there before (a blank key). Otherwise
        // (OpenDeck's replays, a repeated willAppear) the remembered face is current.
        if (known || !changed) yield* redraw(instance)
      })

    /** Inputs are stamped when they enter deckcord: a press's deadline runs from there. */
    const emit = (input: UnstampedInput) =>
      Effect.gen(function*() {
        const stamped = { ...input, at: yield* Clock.currentTimeMillis }
        yield* PubSub.publish(inputs, stamped as DeckInput)
      })

    /** The deck control an input event is for, if its instance is known. */
    const inputPlace = (context: string) => {
      const instance = instances.get(context)
      return instance === undefined ? undefined : placeOf(instance)
    }

    const handle = (event: HostEvent): Effect.Effect<void> =>
      Effect.gen(function*() {
        switch (event.event) {
          case "deviceDidConnect":
            connected.set(event.device, event.deviceInfo)
            return yield* publish
          case "deviceDidDisconnect":
            connected.delete(event.device)
            for (const [context, instance] of instances) if (instance.device === event.device) instances.delete(context)
            return yield* publish
          case "willAppear":
          case "didReceiveSettings":
            return yield* upsert(event)
          case "willDisappear":
            instances.delete(event.context)
            sent.delete(event.context)
            warnedProblems.delete(event.context)
            return yield* publish
          case "keyDown":
          case "keyUp": {
            const place = inputPlace(event.context)
            if (place?.control.kind !== "key") return
            return yield* emit({ _tag: event.event === "keyDown" ? "KeyDown" : "KeyUp", serial: event.device, key: place.control.index })
          }
          case "dialDown":
          case "dialUp":
          case "dialRotate":
          case "touchTap": {
            const place = inputPlace(event.context)
            if (place?.control.kind !== "encoder") return
            const encoder = place.control.index
            const serial = event.device
            if (event.event === "dialRotate") return yield* emit({ _tag: "EncoderRotate", serial, encoder, delta: event.payload.ticks })
            if (event.event === "touchTap") {
              const [x, y] = event.payload.tapPos ?? [DIAL_SEGMENT_SIZE.width / 2, DIAL_SEGMENT_SIZE.height / 2]
              return yield* emit({
                _tag: "LcdTouch",
                serial,
                kind: event.payload.hold === true ? "long" : "short",
                x: encoder * DIAL_SEGMENT_SIZE.width + x,
                y,
                encoder
              })
            }
            return yield* emit({ _tag: event.event === "dialDown" ? "EncoderDown" : "EncoderUp", serial, encoder })
          }
          case "systemDidWakeUp":
            // after sleep the host may show stale images: draw everything again
            for (const instance of instances.values()) yield* redraw(instance)
            yield* Queue.offer(ui, event)
            return
          case "propertyInspectorDidAppear":
          case "propertyInspectorDidDisappear":
          case "sendToPlugin":
            return yield* Queue.offer(ui, event).pipe(Effect.asVoid)
        }
      })

    yield* host.events.pipe(Stream.runForEach(handle), Effect.forkScoped)

    const deck = Deck.of({
      decks: SubscriptionRef.get(decksRef),
      deckChanges: SubscriptionRef.changes(decksRef),
      input: Stream.fromPubSub(inputs),
      subscribeInput: Effect.map(PubSub.subscribe(inputs), Stream.fromSubscription),
      setFace,
      // the host owns brightness
      setBrightness: () => Effect.void,
      status: Effect.succeed({ _tag: "Ok" }),
      statusChanges: Stream.make({ _tag: "Ok" }),
      rescan: Effect.void,
      flush: Effect.void
    })
    const surface: PluginSurfaceShape = {
      layout: SubscriptionRef.get(layoutRef),
      layoutChanges: SubscriptionRef.changes(layoutRef),
      instances: Effect.sync(() => new Map(instances)),
      uiEvents: Stream.fromQueue(ui)
    }
    return { deck, surface }
  })

/** The `Deck` service over the host, plus the surface for the plugin's settings and inspectors. */
export const pluginDeckLayer = (info: RegistrationInfo) =>
  Layer.effectContext(
    Effect.gen(function*() {
      const { deck, surface } = yield* makePluginSurface(info)
      return Context.make(Deck, deck).pipe(Context.add(PluginSurface, surface))
    })
  )
