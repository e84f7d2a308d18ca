/**
 * A Stream Deck host without the app: it starts a plugin the way Elgato's Stream Deck app and
 * OpenDeck do, and plays the host's side of the SDK's WebSocket protocol. Written from the
 * protocol's documentation, not from deckcord's plugin code, so it can catch the plugin's
 * mistakes:
 *
 * - launch: a WebSocket server on 127.0.0.1, then `node <CodePath>` from the manifest with
 *   `-port -pluginUUID -registerEvent -info` in shuffled order among unknown flags, in the
 *   `.sdPlugin` folder, stdout and stderr captured;
 * - registration: the first frame must be `{event: registerEvent, uuid: pluginUUID}`, else
 *   the socket is never served (OpenDeck's behaviour) and a violation is recorded;
 * - after it: `deviceDidConnect` per device, `willAppear` per instance (OpenDeck also sends
 *   `titleParametersDidChange`, which plugins must tolerate);
 * - input: key presses, dial turns and presses, touch taps; property inspectors that
 *   register, change settings and talk to the plugin;
 * - every command is recorded and checked: known event names, contexts of visible
 *   instances, `setImage` as a 144×144 PNG data URL, `setFeedback` only for dials.
 *
 * Promise API: `await FakeStreamDeckHost.start(options)`, then `await host.close()`.
 *
 * Over 400 lines because it is one protocol peer: the launch, the registration, the devices,
 * the instances and the checks of every command share one host state.
 *
 * @since 0.1.0
 */
import { type ChildProcess, spawn } from "node:child_process"
import { randomBytes } from "node:crypto"
import { EventEmitter } from "node:events"
import * as Fs from "node:fs"
import type { AddressInfo } from "node:net"
import * as NodePath from "node:path"
import { WebSocket, WebSocketServer } from "ws"

// ---------------------------------------------------------------------------------------------
// models
// ---------------------------------------------------------------------------------------------

/** Which host to imitate where they differ (ids, `-info`, extra events, Node flags). */
export type FakeHostProfile = "elgato" | "opendeck"

/** A device as the SDK describes it: its key grid and DeviceType (7: Stream Deck +). */
export interface FakeHostDevice {
  readonly id: string
  readonly name: string
  readonly type: number
  readonly columns: number
  readonly rows: number
  /** Listed in `-info` but never announced with `deviceDidConnect` (default true). */
  readonly connected?: boolean
}

/** Common devices, by DeviceType. */
export const FAKE_HOST_DEVICES = {
  mk2: (id = "A0000000000000000000000000000001"): FakeHostDevice => ({ id, name: "Stream Deck", type: 0, columns: 5, rows: 3 }),
  mini: (id = "A0000000000000000000000000000002"): FakeHostDevice => ({ id, name: "Stream Deck Mini", type: 1, columns: 3, rows: 2 }),
  plus: (id = "A0000000000000000000000000000007"): FakeHostDevice => ({ id, name: "Stream Deck +", type: 7, columns: 4, rows: 2 })
} as const

export interface FakeHostInstanceSpec {
  /** The manifest's action UUID. */
  readonly action: string
  readonly device: string
  readonly controller?: "Keypad" | "Encoder"
  readonly column: number
  readonly row?: number
  readonly settings?: Readonly<Record<string, unknown>>
}

export interface FakeHostInstance {
  readonly context: string
  readonly action: string
  readonly device: string
  readonly controller: "Keypad" | "Encoder"
  readonly column: number
  readonly row: number
  settings: Record<string, unknown>
  visible: boolean
}

/** One frame the plugin (or an inspector) sent. */
export interface RecordedCommand {
  readonly from: "plugin" | "inspector"
  readonly event: string
  readonly context?: string
  readonly payload?: unknown
  /** The whole frame as parsed. */
  readonly raw: Record<string, unknown>
}

export interface FakeStreamDeckHostOptions {
  /** The `.sdPlugin` folder (its manifest names the code to run). */
  readonly pluginDir: string
  readonly profile?: FakeHostProfile
  readonly devices?: ReadonlyArray<FakeHostDevice>
  /** Instances that exist before the plugin starts (sent after registration). */
  readonly instances?: ReadonlyArray<FakeHostInstanceSpec>
  /** The plugin's environment (default: this process's, without NODE_PATH, as hosts do). */
  readonly env?: Readonly<Record<string, string | undefined>>
  /** The Node binary (default: the one running the tests). */
  readonly node?: string
}

/** A waited-for condition did not come true; says what, and what the host saw instead. */
export class FakeHostTimeoutError extends Error {
  override readonly name = "FakeHostTimeoutError"
}

/** Long enough for a slow CI machine; it only fires when something is broken. */
const WAIT_LIMIT_MS = 15_000

/** Commands the SDK defines for plugins (and inspectors). */
const KNOWN_COMMANDS: ReadonlySet<string> = new Set([
  "setTitle",
  "setImage",
  "setState",
  "showAlert",
  "showOk",
  "setFeedback",
  "setFeedbackLayout",
  "setTriggerDescription",
  "setSettings",
  "getSettings",
  "setGlobalSettings",
  "getGlobalSettings",
  "sendToPropertyInspector",
  "sendToPlugin",
  "openUrl",
  "logMessage",
  "switchToProfile"
])
const CONTEXT_COMMANDS: ReadonlySet<string> = new Set([
  "setTitle",
  "setImage",
  "setState",
  "showAlert",
  "showOk",
  "setFeedback",
  "setFeedbackLayout",
  "setSettings",
  "getSettings",
  "sendToPropertyInspector"
])

// ---------------------------------------------------------------------------------------------
// images
// ---------------------------------------------------------------------------------------------

export interface FakeHostImage {
  readonly mime: string
  readonly width: number
  readonly height: number
  readonly bytes: Uint8Array
}

const PNG_MAGIC = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]

/** A base64 PNG data URL's size, or why it is not one. */
export const decodeImageDataUrl = (url: unknown): FakeHostImage | string => {
  if (typeof url !== "string") return "image is not a string"
  const m = /^data:(image\/[a-z+]+);base64,([A-Za-z0-9+/=]+)$/.exec(url)
  if (m === null) return `image is not a base64 data URL: ${url.slice(0, 40)}`
  const bytes = Buffer.from(m[2]!, "base64")
  if (m[1] !== "image/png") return `image is ${m[1]}, expected image/png`
  if (!PNG_MAGIC.every((b, i) => bytes[i] === b)) return "image/png data is not a PNG"
  // IHDR is the first chunk: width and height at bytes 16..23
  return { mime: m[1], width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20), bytes }
}

// ---------------------------------------------------------------------------------------------
// the host
// ---------------------------------------------------------------------------------------------

const shuffled = <A>(items: ReadonlyArray<A>): Array<A> => {
  const out = [...items]
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1))
    ;[out[i], out[j]] = [out[j]!, out[i]!]
  }
  return out
}

const hex = (bytes: number) => randomBytes(bytes).toString("hex")

/** A connected property inspector of one instance. */
export class FakeInspector {
  /** Every `sendToPropertyInspector` payload and `didReceiveSettings` it got, in order. */
  readonly received: Array<Record<string, unknown>> = []
  private readonly events = new EventEmitter()

  private readonly host: FakeStreamDeckHost
  readonly instance: FakeHostInstance
  private readonly socket: WebSocket

  constructor(host: FakeStreamDeckHost, instance: FakeHostInstance, socket: WebSocket) {
    this.host = host
    this.instance = instance
    this.socket = socket
    socket.on("message", (data) => {
      const message = JSON.parse(data.toString()) as Record<string, unknown>
      this.received.push(message)
      this.events.emit("message")
    })
  }

  /** What the inspector does when the user edits a field: the plugin gets `didReceiveSettings`. */
  setSettings(settings: Record<string, unknown>): void {
    this.socket.send(JSON.stringify({ event: "setSettings", context: this.instance.context, payload: settings }))
  }

  sendToPlugin(payload: unknown): void {
    this.socket.send(
      JSON.stringify({ event: "sendToPlugin", action: this.instance.action, context: this.instance.context, payload })
    )
  }

  /** Wait for a `sendToPropertyInspector` payload matching `predicate`. */
  waitForMessage(predicate: (payload: Record<string, unknown>) => boolean, what: string): Promise<Record<string, unknown>> {
    const find = () =>
      this.received
        .filter((m) => m["event"] === "sendToPropertyInspector")
        .map((m) => (m["payload"] ?? {}) as Record<string, unknown>)
        .find(predicate)
    return this.host.waitUntil(find, what, this.events, "message")
  }

  close(): void {
    this.host.propertyInspectorDisappeared(this.instance)
    this.socket.close()
  }
}

export class FakeStreamDeckHost {
  readonly profile: FakeHostProfile
  readonly pluginUUID: string
  readonly registerEvent = "registerPlugin"
  /** Every frame the plugin and the inspectors sent, in order. */
  readonly commands: Array<RecordedCommand> = []
  /** Protocol mistakes of the plugin: a test should expect none. */
  readonly violations: Array<string> = []
  /**
   * Commands for an instance after its `willDisappear`, which hosts drop. One may cross the
   * `willDisappear` on the wire (sent before the plugin read it), so they are kept here for
   * tests to look at rather than counted as violations.
   */
  readonly dropped: Array<RecordedCommand> = []
  /** The plugin's stdout and stderr. */
  output = ""
  readonly instances = new Map<string, FakeHostInstance>()
  /** Resolves when the plugin process ended. */
  readonly exited: Promise<{ readonly code: number | null; readonly signal: NodeJS.Signals | null }>

  private readonly events = new EventEmitter()
  private plugin: WebSocket | undefined
  private registered = false
  private readonly inspectors = new Map<string, WebSocket>()

  private readonly server: WebSocketServer
  readonly port: number
  private readonly options: FakeStreamDeckHostOptions
  private child: ChildProcess | undefined

  private constructor(server: WebSocketServer, port: number, options: FakeStreamDeckHostOptions, manifestUuid: string) {
    this.server = server
    this.port = port
    this.options = options
    this.profile = options.profile ?? "elgato"
    this.pluginUUID = this.profile === "opendeck" ? `${manifestUuid}.sdPlugin` : hex(16).toUpperCase()
    this.events.setMaxListeners(100)
    this.exited = new Promise((resolve) => this.events.once("exit", resolve))
    for (const spec of options.instances ?? []) this.createInstance(spec)
  }

  /** Start the server and launch the plugin; resolves when the plugin has registered. */
  static async start(options: FakeStreamDeckHostOptions): Promise<FakeStreamDeckHost> {
    const host = await FakeStreamDeckHost.launch(options)
    await host.waitUntil(() => (host.registered ? true : undefined), "the plugin to register", host.events, "registered")
    return host
  }

  /** Like `start`, without waiting for the registration (to watch a plugin that gets it wrong). */
  static async launch(options: FakeStreamDeckHostOptions): Promise<FakeStreamDeckHost> {
    const manifest = JSON.parse(Fs.readFileSync(NodePath.join(options.pluginDir, "manifest.json"), "utf8")) as {
      readonly UUID: string
      readonly CodePath: string
      readonly Version: string
    }
    const server = new WebSocketServer({ host: "127.0.0.1", port: 0 })
    await new Promise<void>((resolve, reject) => {
      server.once("listening", resolve)
      server.once("error", reject)
    })
    const port = (server.address() as AddressInfo).port
    const host = new FakeStreamDeckHost(server, port, options, manifest.UUID)
    server.on("connection", (socket) => host.accept(socket))
    host.spawnPlugin(manifest)
    return host
  }

  // ---- process ----

  private infoJson(manifest: { readonly UUID: string; readonly Version: string }): string {
    const od = this.profile === "opendeck"
    return JSON.stringify({
      application: od
        ? { font: "ui-sans-serif", language: "en", platform: "windows", platformVersion: "10.0.19045.4474", version: "7.1.0" }
        : { font: "Segoe UI", language: "en", platform: "mac", platformVersion: "14.5.0", version: "6.9.0.21000" },
      plugin: { uuid: od ? `${manifest.UUID}.sdPlugin` : manifest.UUID, version: manifest.Version },
      devicePixelRatio: od ? 0 : 2,
      colors: {},
      devices: (this.options.devices ?? []).map((d) => ({
        id: d.id,
        name: d.name,
        size: { columns: d.columns, rows: d.rows },
        type: d.type
      }))
    })
  }

  private spawnPlugin(manifest: { readonly UUID: string; readonly CodePath: string; readonly Version: string }): void {
    const pairs = shuffled([
      ["-port", String(this.port)],
      ["-pluginUUID", this.pluginUUID],
      ["-registerEvent", this.registerEvent],
      ["-info", this.infoJson(manifest)],
      ["-unknownFlag", "ignored"]
    ]).flat()
    const nodeFlags = this.profile === "elgato" ? ["--enable-source-maps", "--no-global-search-paths"] : []
    const { NODE_PATH: _nodePath, ...inherited } = process.env
    const env = this.options.env ?? inherited
    this.child = spawn(this.options.node ?? process.execPath, [...nodeFlags, manifest.CodePath, ...pairs], {
      cwd: this.options.pluginDir,
      env: Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined)),
      stdio: ["ignore", "pipe", "pipe"]
    })
    this.child.stdout?.on("data", (d: Buffer) => void (this.output += d.toString()))
    this.child.stderr?.on("data", (d: Buffer) => void (this.output += d.toString()))
    this.child.on("exit", (code, signal) => {
      this.events.emit("exit", { code, signal })
      this.events.emit("change")
    })
  }

  // ---- sockets ----

  private accept(socket: WebSocket): void {
    let first = true
    let inspectorOf: string | undefined
    socket.on("message", (data, isBinary) => {
      if (isBinary) {
        this.violations.push("binary frame")
        return
      }
      let frame: Record<string, unknown>
      try {
        frame = JSON.parse(data.toString()) as Record<string, unknown>
      } catch {
        this.violations.push(`not JSON: ${data.toString().slice(0, 80)}`)
        return
      }
      if (first) {
        first = false
        if (frame["event"] === this.registerEvent && frame["uuid"] === this.pluginUUID && Object.keys(frame).length === 2) {
          this.plugin = socket
          this.registered = true
          this.events.emit("registered")
          this.afterRegistration()
          return
        }
        if (frame["event"] === "registerPropertyInspector" && typeof frame["uuid"] === "string") {
          inspectorOf = frame["uuid"]
          this.inspectors.set(inspectorOf, socket)
          this.events.emit("inspector", inspectorOf)
          return
        }
        // like OpenDeck: a socket whose first frame is not a registration is never served
        this.violations.push(`first frame is not the registration: ${JSON.stringify(frame).slice(0, 120)}`)
        this.events.emit("change")
        return
      }
      if (socket === this.plugin) this.onPluginCommand(frame)
      else if (inspectorOf !== undefined) this.onInspectorCommand(inspectorOf, frame)
    })
    socket.on("close", () => {
      if (inspectorOf !== undefined && this.inspectors.get(inspectorOf) === socket) this.inspectors.delete(inspectorOf)
    })
  }

  private sendToPlugin(message: Record<string, unknown>): void {
    if (this.plugin?.readyState === WebSocket.OPEN) this.plugin.send(JSON.stringify(message))
  }

  private afterRegistration(): void {
    for (const device of this.options.devices ?? []) {
      if (device.connected === false) continue
      this.sendToPlugin({
        event: "deviceDidConnect",
        device: device.id,
        deviceInfo: { name: device.name, size: { columns: device.columns, rows: device.rows }, type: device.type }
      })
    }
    for (const instance of this.instances.values()) this.appear(instance)
  }

  private payloadOf(instance: FakeHostInstance, extra: Record<string, unknown> = {}): Record<string, unknown> {
    const base = { controller: instance.controller, coordinates: { column: instance.column, row: instance.row }, settings: instance.settings }
    return instance.controller === "Encoder"
      ? { ...base, ...extra }
      : { ...base, isInMultiAction: false, state: 0, ...extra }
  }

  private instanceEvent(event: string, instance: FakeHostInstance, extra?: Record<string, unknown>) {
    this.sendToPlugin({
      event,
      action: instance.action,
      context: instance.context,
      device: instance.device,
      payload: this.payloadOf(instance, extra)
    })
  }

  private appear(instance: FakeHostInstance): void {
    instance.visible = true
    this.instanceEvent("willAppear", instance)
    if (this.profile === "opendeck") {
      // OpenDeck follows every willAppear with this, with coordinates computed for 3 columns
      this.sendToPlugin({
        event: "titleParametersDidChange",
        action: instance.action,
        context: instance.context,
        device: instance.device,
        payload: {
          coordinates: { column: instance.column % 3, row: instance.row },
          settings: instance.settings,
          state: 0,
          title: "",
          titleParameters: { fontFamily: "", fontSize: 12, showTitle: true, titleAlignment: "bottom", titleColor: "#ffffff" }
        }
      })
    }
  }

  private createInstance(spec: FakeHostInstanceSpec): FakeHostInstance {
    const controller = spec.controller ?? "Keypad"
    const row = spec.row ?? 0
    const columns = this.options.devices?.find((d) => d.id === spec.device)?.columns ?? 8
    // OpenDeck: device.profile.controller.position.child; Elgato: opaque hex
    const context = this.profile === "opendeck" ? `${spec.device}.Default.${controller}.${row * columns + spec.column}.0` : hex(16)
    const instance: FakeHostInstance = {
      context,
      action: spec.action,
      device: spec.device,
      controller,
      column: spec.column,
      row,
      settings: { ...spec.settings },
      visible: false
    }
    this.instances.set(context, instance)
    return instance
  }

  // ---- commands in ----

  private record(command: RecordedCommand): void {
    this.commands.push(command)
    this.events.emit("change")
  }

  private onPluginCommand(frame: Record<string, unknown>): void {
    const event = frame["event"]
    if (typeof event !== "string") {
      this.violations.push(`command without an event name: ${JSON.stringify(frame).slice(0, 120)}`)
      return
    }
    const context = typeof frame["context"] === "string" ? frame["context"] : undefined
    if (!KNOWN_COMMANDS.has(event)) this.violations.push(`unknown command ${event}`)
    const instance = context === undefined ? undefined : this.instances.get(context)
    if (CONTEXT_COMMANDS.has(event)) {
      if (instance === undefined) this.violations.push(`${event} for a context that never appeared: ${context}`)
      else if (!instance.visible) {
        this.dropped.push({ from: "plugin", event, ...(context === undefined ? {} : { context }), raw: frame })
        return
      }
    }
    if (event === "setImage") {
      const image = decodeImageDataUrl((frame["payload"] as { image?: unknown } | undefined)?.image)
      if (typeof image === "string") this.violations.push(`setImage: ${image}`)
      else if (image.width !== 144 || image.height !== 144) this.violations.push(`setImage: ${image.width}×${image.height}, expected 144×144`)
    }
    if (event === "setFeedback" && instance !== undefined) {
      if (instance.controller !== "Encoder") this.violations.push(`setFeedback for a key (${context})`)
      const payload = (frame["payload"] ?? {}) as Record<string, unknown>
      for (const value of Object.values(payload)) {
        if (typeof value === "object" && value !== null && ["key", "rect", "type"].some((k) => k in value)) {
          this.violations.push("setFeedback changes key, rect or type, which cannot change at run time")
        }
      }
    }
    if (event === "setSettings" && instance !== undefined) {
      instance.settings = { ...(frame["payload"] as Record<string, unknown>) }
      // the plugin's setSettings reaches the inspector, never the plugin itself
      this.inspectors.get(instance.context)?.send(JSON.stringify({
        event: "didReceiveSettings",
        action: instance.action,
        context: instance.context,
        device: instance.device,
        payload: this.payloadOf(instance)
      }))
    }
    if (event === "sendToPropertyInspector" && instance !== undefined) {
      this.inspectors.get(instance.context)?.send(JSON.stringify({
        event: "sendToPropertyInspector",
        action: instance.action,
        context: instance.context,
        payload: frame["payload"]
      }))
    }
    this.record({
      from: "plugin",
      event,
      ...(context === undefined ? {} : { context }),
      ...("payload" in frame ? { payload: frame["payload"] } : {}),
      raw: frame
    })
  }

  private onInspectorCommand(context: string, frame: Record<string, unknown>): void {
    const instance = this.instances.get(context)
    const event = String(frame["event"])
    this.record({ from: "inspector", event, context, payload: frame["payload"], raw: frame })
    if (instance === undefined) return
    if (event === "setSettings") {
      instance.settings = { ...(frame["payload"] as Record<string, unknown>) }
      this.instanceEvent("didReceiveSettings", instance)
    } else if (event === "sendToPlugin") {
      this.sendToPlugin({ event: "sendToPlugin", action: instance.action, context, payload: frame["payload"] })
    }
  }

  // ---- what a user does ----

  /** Put an action on a key or dial: the plugin gets `willAppear` with its settings. */
  addInstance(spec: FakeHostInstanceSpec): FakeHostInstance {
    const instance = this.createInstance(spec)
    this.appear(instance)
    return instance
  }

  /** Take it off (or switch pages away from it): `willDisappear`. */
  removeInstance(context: string): void {
    const instance = this.instance(context)
    instance.visible = false
    this.instanceEvent("willDisappear", instance)
  }

  keyDown(context: string): void {
    this.instanceEvent("keyDown", this.instance(context))
  }

  keyUp(context: string): void {
    this.instanceEvent("keyUp", this.instance(context))
  }

  dialDown(context: string): void {
    this.instanceEvent("dialDown", this.instance(context))
  }

  dialUp(context: string): void {
    this.instanceEvent("dialUp", this.instance(context))
  }

  /** Turn a dial by `ticks` detents (positive: clockwise). */
  rotate(context: string, ticks: number): void {
    const instance = this.instance(context)
    this.sendToPlugin({
      event: "dialRotate",
      action: instance.action,
      context,
      device: instance.device,
      payload: { controller: "Encoder", coordinates: { column: instance.column, row: 0 }, settings: instance.settings, ticks, pressed: false }
    })
  }

  touchTap(context: string, options: { readonly hold?: boolean; readonly x?: number; readonly y?: number } = {}): void {
    const instance = this.instance(context)
    this.sendToPlugin({
      event: "touchTap",
      action: instance.action,
      context,
      device: instance.device,
      payload: {
        controller: "Encoder",
        coordinates: { column: instance.column, row: 0 },
        settings: instance.settings,
        tapPos: [options.x ?? 100, options.y ?? 50],
        hold: options.hold ?? false
      }
    })
  }

  /** Send any frame, e.g. an unknown event or a malformed one, to see the plugin survive it. */
  sendRaw(text: string): void {
    if (this.plugin?.readyState === WebSocket.OPEN) this.plugin.send(text)
  }

  systemDidWakeUp(): void {
    this.sendToPlugin({ event: "systemDidWakeUp" })
  }

  /** The user selects the instance: its inspector page connects, the plugin hears it appeared. */
  async openInspector(context: string): Promise<FakeInspector> {
    const instance = this.instance(context)
    const socket = new WebSocket(`ws://127.0.0.1:${this.port}`)
    await new Promise<void>((resolve, reject) => {
      socket.once("open", resolve)
      socket.once("error", reject)
    })
    const inspector = new FakeInspector(this, instance, socket)
    socket.send(JSON.stringify({ event: "registerPropertyInspector", uuid: context }))
    await this.waitUntil(() => (this.inspectors.has(context) ? true : undefined), "the inspector to register", this.events, "inspector")
    this.sendToPlugin({ event: "propertyInspectorDidAppear", action: instance.action, context, device: instance.device })
    return inspector
  }

  /** @internal */
  propertyInspectorDisappeared(instance: FakeHostInstance): void {
    this.sendToPlugin({ event: "propertyInspectorDidDisappear", action: instance.action, context: instance.context, device: instance.device })
  }

  // ---- what the host shows ----

  /** The last image sent to an instance (keys) or its dial segment (`setFeedback`). */
  lastImage(context: string): FakeHostImage | undefined {
    for (let i = this.commands.length - 1; i >= 0; i--) {
      const c = this.commands[i]!
      if (c.from !== "plugin" || c.context !== context) continue
      if (c.event === "setImage") {
        const image = decodeImageDataUrl((c.payload as { image?: unknown }).image)
        return typeof image === "string" ? undefined : image
      }
      if (c.event === "setFeedback") {
        for (const value of Object.values((c.payload ?? {}) as Record<string, unknown>)) {
          const image = decodeImageDataUrl(value)
          if (typeof image !== "string") return image
        }
      }
    }
    return undefined
  }

  /** Commands the plugin sent to one instance. */
  commandsFor(context: string, event?: string): ReadonlyArray<RecordedCommand> {
    return this.commands.filter((c) => c.from === "plugin" && c.context === context && (event === undefined || c.event === event))
  }

  /** Wait for a command from the plugin matching `predicate` (also one already recorded). */
  waitForCommand(predicate: (c: RecordedCommand) => boolean, what: string, after = 0): Promise<RecordedCommand> {
    return this.waitUntil(() => this.commands.slice(after).find((c) => c.from === "plugin" && predicate(c)), what, this.events, "change")
  }

  /** Wait until `check` returns something defined; rejects after a generous limit, naming `what`. */
  waitUntil<A>(check: () => A | undefined, what: string, emitter: EventEmitter = this.events, event = "change"): Promise<A> {
    return new Promise<A>((resolve, reject) => {
      const now = check()
      if (now !== undefined) return resolve(now)
      const onEvent = () => {
        const value = check()
        if (value === undefined) return
        cleanup()
        resolve(value)
      }
      const timer = setTimeout(() => {
        cleanup()
        reject(new FakeHostTimeoutError(`timed out waiting for ${what}; plugin output:\n${this.output.slice(-2000)}`))
      }, WAIT_LIMIT_MS)
      const cleanup = () => {
        clearTimeout(timer)
        emitter.off(event, onEvent)
      }
      emitter.on(event, onEvent)
    })
  }

  private instance(context: string): FakeHostInstance {
    const instance = this.instances.get(context)
    if (instance === undefined) throw new Error(`no instance ${context}`)
    return instance
  }

  // ---- lifecycle ----

  /** The host quits: every socket closes, the server stops. Resolves once the plugin exited. */
  async close(): Promise<{ readonly code: number | null; readonly signal: NodeJS.Signals | null }> {
    for (const socket of this.server.clients) socket.close()
    await new Promise<void>((resolve) => this.server.close(() => resolve()))
    let timer: NodeJS.Timeout | undefined
    const exited = await Promise.race([
      this.exited,
      new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), WAIT_LIMIT_MS)))
    ])
    clearTimeout(timer)
    if (exited === undefined) {
      this.child?.kill("SIGKILL")
      return { code: null, signal: "SIGKILL" }
    }
    return exited
  }

  /** Send the plugin a signal (OpenDeck on Linux sends SIGTERM when it dies). */
  signal(signal: NodeJS.Signals): void {
    this.child?.kill(signal)
  }
}
