/**
 * The fake's engine: a plain `node:net` server speaking Discord's IPC protocol (docs/discord-rpc.md)
 * with callbacks only — no Effect, no Schema, no logging per frame — because benchmarks
 * measure clients through it. `FakeDiscord.ts` wraps it for Effect and Promise users.
 *
 * Over 400 lines because it is one socket server: its connections, logs, scripted faults and
 * test controls share one state; the pieces without state are in `connection.ts`, `faults.ts`,
 * `commands.ts` and `validate.ts`.
 *
 * @since 0.1.0
 */
import * as Fs from "node:fs"
import * as Net from "node:net"
import * as Path from "node:path"
import { encodeFrame, type Frame, makeFrameDecoder, Opcode } from "../../protocol/Frame.ts"
import { simpleAuthority } from "../FakeAuthority.ts"
import {
  type AuthConfig,
  type AuthorizeBehavior,
  COMMANDS,
  DEFAULT_GRANTABLE_SCOPES,
  EVENTS,
  hasScope,
  LOCAL_SCOPE,
  type Outcome
} from "./commands.ts"
import { type FakeUser, type FakeVoiceState, fixtures } from "./fixtures.ts"
import type { FakeDiscordOptions, HandshakeRecord, ReceivedFrame, SubscriptionRecord } from "./options.ts"
import {
  ARRPC_USER,
  canonical,
  closeMessage,
  type Conn,
  frameBody,
  isRecord,
  makeRuntimeDir,
  matches,
  READY_CONFIG
} from "./connection.ts"
import { type FaultKind, type FaultStep, GARBAGE, type ScriptedFault, sameStep } from "./faults.ts"
import { validateArgs } from "./validate.ts"

export type { FaultKind, FaultStep } from "./faults.ts"
import { type FakeDiscordState, type FakeVoiceSettingsPatch, type UserLocalSettings, World } from "./world.ts"

/** Frames kept in the `framesReceived` log (oldest dropped): enough for any test, bounded for benchmarks. */
export const FRAMES_LOG_CAP = 10_000
/** Handshakes kept in the `handshakes` log. */
export const HANDSHAKES_LOG_CAP = 1_000
/** Discord's cap on one incoming frame body (docs/discord-rpc.md#opcodes). */
export const MAX_INCOMING_FRAME = 3 * 1024 * 1024
/** What `notify` needs: who wrote what where; title and body default like Discord's (the author's name, the text). */
export interface FakeNotification {
  readonly channelId: string
  readonly author: FakeUser
  readonly content: string
  readonly title?: string
  readonly body?: string
}

/**
 * The fake Discord client's IPC server. Sync getters and mutators; `start`, `stop`,
 * `close` and `pingStorm` return promises.
 *
 * @category server
 */
export class FakeDiscordServer {
  readonly runtimeDir: string
  readonly socketPath: string
  readonly world: World
  private server: Net.Server | undefined
  private readonly options: FakeDiscordOptions
  private readonly auth: AuthConfig
  private readonly conns = new Set<Conn>()
  private nextConnId = 1
  private messageSeq = 0
  private loggedOut: boolean
  private behavior: AuthorizeBehavior
  private replyDelay: number | undefined
  private readonly replyDelayByCmd = new Map<string, number>()
  private readonly withheld = new Set<string>()
  private readonly withheldNext = new Map<string, number>()
  private readonly faults: Array<ScriptedFault> = []
  private readonly faultsApplied: Array<{ readonly step: FaultStep; readonly fault: FaultKind; readonly connection: number }> = []
  private frames: Array<ReceivedFrame> = []
  private handshakeLog: Array<HandshakeRecord> = []
  private batch: Map<Conn, Array<Uint8Array>> | undefined
  private pongWaiters = new Set<() => void>()

  constructor(options: FakeDiscordOptions = {}) {
    this.options = options
    const tail = Path.join(options.subdirectory ?? "", `discord-ipc-${options.socketIndex ?? 0}`)
    this.runtimeDir = makeRuntimeDir(tail)
    this.socketPath = Path.join(this.runtimeDir, tail)
    Fs.mkdirSync(Path.dirname(this.socketPath), { recursive: true })
    this.loggedOut = options.loggedOut ?? false
    this.behavior = options.authorizeBehavior ?? "approve"
    this.auth = {
      authority: options.authority ?? simpleAuthority(),
      grantableScopes: new Set(options.grantableScopes ?? DEFAULT_GRANTABLE_SCOPES),
      behavior: () => this.behavior,
      applicationName: options.applicationName ?? "deckcord (fake)"
    }
    this.world = new World(
      {
        user: options.user ?? fixtures.user,
        voiceSettings: options.voiceSettings,
        initialVoiceChannelId: options.initialVoiceChannelId
      },
      { emit: (evt, data, match) => this.emit(evt, data, match) }
    )
  }

  // ------------------------------------------------------------------------------------------
  // lifecycle
  // ------------------------------------------------------------------------------------------

  get listening(): boolean {
    return this.server !== undefined
  }

  /** Listen on `socketPath` (again). A stale socket file is removed first. */
  start(): Promise<void> {
    if (this.server !== undefined) return Promise.resolve()
    Fs.rmSync(this.socketPath, { force: true })
    const server = Net.createServer((socket) => this.accept(socket))
    this.server = server
    return new Promise((resolve, reject) => {
      server.once("error", (e) => {
        this.server = undefined
        reject(e)
      })
      server.listen(this.socketPath, () => resolve())
    })
  }

  /** Like Discord quitting: connections end without CLOSE, the socket file disappears. */
  stop(): Promise<void> {
    const server = this.server
    this.server = undefined
    this.drop()
    if (server === undefined) return Promise.resolve()
    return new Promise((resolve) =>
      server.close(() => {
        Fs.rmSync(this.socketPath, { force: true })
        resolve()
      })
    )
  }

  /** Stop and delete the runtime directory. */
  async close(): Promise<void> {
    await this.stop()
    Fs.rmSync(this.runtimeDir, { recursive: true, force: true })
  }

  // ------------------------------------------------------------------------------------------
  // connections and framing
  // ------------------------------------------------------------------------------------------

  private accept(socket: Net.Socket): void {
    const conn: Conn = {
      id: this.nextConnId++,
      socket,
      decoder: makeFrameDecoder({ maxFrameSize: MAX_INCOMING_FRAME }),
      clientId: "",
      phase: "new",
      closing: false,
      scopes: new Set([LOCAL_SCOPE]),
      authing: false,
      token: undefined,
      subs: new Map(),
      queued: [],
      cancels: new Set(),
      awaitingPongs: new Set()
    }
    this.conns.add(conn)
    socket.on("error", () => {}) // EPIPE / ECONNRESET: the close handler cleans up
    socket.on("close", () => {
      this.teardown(conn)
      this.conns.delete(conn)
    })
    socket.on("data", (chunk: Buffer) => {
      if (conn.closing) return
      const { error, frames } = conn.decoder.push(chunk)
      for (let i = 0; i < frames.length && !conn.closing; i++) this.onFrame(conn, frames[i]!)
      if (error !== undefined) this.closeConn(conn, 1003, closeMessage(error))
    })
    this.strike(conn, { _tag: "Connect" })
  }

  private teardown(conn: Conn): void {
    conn.closing = true
    conn.subs.clear()
    for (const cancel of conn.cancels) cancel()
    conn.cancels.clear()
    if (conn.awaitingPongs.size > 0) {
      conn.awaitingPongs.clear()
      this.notifyPongs()
    }
  }

  /** Send CLOSE {code, message} as a frame, then end the socket (docs/discord-rpc.md#close-codes). */
  private closeConn(conn: Conn, code: number, message: string): void {
    if (conn.closing) return
    this.teardown(conn)
    conn.socket.end(encodeFrame(Opcode.Close, { code, message }), () => conn.socket.destroy())
  }

  private send(conn: Conn, bytes: Uint8Array): void {
    if (conn.closing) return
    if (this.batch === undefined) {
      conn.socket.write(bytes)
      return
    }
    const list = this.batch.get(conn)
    if (list === undefined) this.batch.set(conn, [bytes])
    else list.push(bytes)
  }

  /**
   * Run `f` collecting every write, then flush one write per socket. The frame `lead`
   * returns goes to `leadConn` ahead of what `f` wrote to it (a reply before its events).
   * Nested calls join the outer batch.
   */
  private batched<A>(f: () => A, leadConn?: Conn, lead?: (result: A) => Uint8Array | undefined): A {
    const outer = this.batch === undefined
    const batch = this.batch ?? new Map<Conn, Array<Uint8Array>>()
    this.batch = batch
    try {
      const mark = leadConn === undefined ? 0 : batch.get(leadConn)?.length ?? 0
      const result = f()
      const frame = lead?.(result)
      if (leadConn !== undefined && frame !== undefined) {
        const list = batch.get(leadConn)
        if (list === undefined) batch.set(leadConn, [frame])
        else list.splice(mark, 0, frame)
      }
      return result
    } finally {
      if (outer) {
        this.batch = undefined
        for (const [conn, list] of batch) {
          if (!conn.closing) conn.socket.write(list.length === 1 ? list[0]! : Buffer.concat(list))
        }
      }
    }
  }

  private record(conn: Conn, frame: Frame): void {
    this.frames.push({ connection: conn.id, opcode: frame.opcode, payload: frame.payload, receivedAt: Date.now() })
    if (this.frames.length > 2 * FRAMES_LOG_CAP) this.frames = this.frames.slice(-FRAMES_LOG_CAP)
  }

  private onFrame(conn: Conn, frame: Frame): void {
    this.record(conn, frame)
    switch (frame.opcode) {
      case Opcode.Ping:
        this.send(conn, encodeFrame(Opcode.Pong, frame.payload))
        return
      case Opcode.Pong:
        if (conn.awaitingPongs.delete(canonical(frame.payload))) this.notifyPongs()
        return
      case Opcode.Close:
        this.closeConn(conn, 1000, "client disconnect")
        return
      case Opcode.Handshake:
        if (conn.phase !== "new") return this.closeConn(conn, 1003, "already did handshake")
        if (this.strike(conn, { _tag: "Handshake" })) return
        return this.onHandshake(conn, frame.payload)
      case Opcode.Frame:
        if (conn.phase === "new") return this.closeConn(conn, 1003, "did not handshake")
        if (conn.phase === "throttled") conn.queued.push(frame.payload)
        else this.onRequest(conn, frame.payload)
        return
    }
  }

  // ------------------------------------------------------------------------------------------
  // handshake (docs/discord-rpc.md#handshake-and-ready)
  // ------------------------------------------------------------------------------------------

  private logHandshake(conn: Conn, payload: unknown, outcome: HandshakeRecord["outcome"]): void {
    this.handshakeLog.push({ connection: conn.id, payload, outcome })
    if (this.handshakeLog.length > 2 * HANDSHAKES_LOG_CAP) this.handshakeLog = this.handshakeLog.slice(-HANDSHAKES_LOG_CAP)
  }

  private reject(conn: Conn, payload: unknown, code: number, message: string): void {
    this.logHandshake(conn, payload, { code, message })
    this.closeConn(conn, code, message)
  }

  private onHandshake(conn: Conn, payload: unknown): void {
    conn.phase = "throttled"
    const body = isRecord(payload) ? payload : {}
    const v = body["v"]
    const clientId = body["client_id"]
    const missingId = clientId === undefined || clientId === null || clientId === ""
    if (this.options.flavor === "arrpc") {
      // arRPC's own checks (docs/discord-rpc.md#other-rpc-servers).
      if (v !== 1) return this.reject(conn, payload, 4004, "Invalid Version")
      if (missingId) return this.reject(conn, payload, 4000, "Invalid Client ID")
    } else {
      // Discord coerces `v` with unary plus, so "1" passes; the check throws in the parser: 1003.
      if (+(v as number) !== 1) return this.reject(conn, payload, 1003, `Invalid Version: ${String(v)}`)
      if (missingId) return this.reject(conn, payload, 4000, "No Client ID Specified")
    }
    conn.clientId = String(clientId)
    const delay = this.options.readyDelayMillis ?? 0
    if (delay <= 0) return this.finishHandshake(conn, payload)
    const timer = setTimeout(() => {
      conn.cancels.delete(cancel)
      this.finishHandshake(conn, payload)
    }, delay)
    const cancel = () => clearTimeout(timer)
    conn.cancels.add(cancel)
  }

  private finishHandshake(conn: Conn, payload: unknown): void {
    if (conn.closing) return
    const arrpc = this.options.flavor === "arrpc"
    const allowed = this.options.clientIds
    if (!arrpc && allowed !== undefined && !allowed.includes(conn.clientId)) {
      return this.reject(conn, payload, 4000, "Invalid Client ID")
    }
    if (!arrpc && this.loggedOut) return this.reject(conn, payload, 1000, "User logged out")
    if (this.strike(conn, { _tag: "Ready" })) return
    this.logHandshake(conn, payload, "ready")
    conn.phase = "ready"
    const user = arrpc ? ARRPC_USER : this.world.user
    this.batched(() => {
      this.send(
        conn,
        frameBody(
          "DISPATCH",
          {
            v: 1,
            config: READY_CONFIG,
            user: { ...user, avatar_decoration_data: null, flags: 0, premium_type: 0 }
          },
          "READY",
          null
        )
      )
      for (const queued of conn.queued.splice(0)) if (!conn.closing) this.onRequest(conn, queued)
    })
  }

  // ------------------------------------------------------------------------------------------
  // requests (docs/discord-rpc.md#argument-validation)
  // ------------------------------------------------------------------------------------------

  private onRequest(conn: Conn, payload: unknown): void {
    const body = isRecord(payload) ? payload : {}
    const cmd = typeof body["cmd"] === "string" ? body["cmd"] : null
    const nonce = body["nonce"]
    if (this.options.flavor === "arrpc") {
      // arRPC answers only what it implements and is silent otherwise (docs/discord-rpc.md#skipping-arrpc-and-vesktop).
      if (cmd === "SET_ACTIVITY" && typeof nonce === "string") {
        this.send(conn, frameBody(cmd, (body["args"] as Record<string, unknown> | undefined)?.["activity"] ?? null, null, nonce))
      }
      return
    }
    if (typeof nonce !== "string" || nonce === "") {
      return this.send(conn, this.errorFrame(cmd, nonce ?? null, 4000, "Payload requires a nonce"))
    }
    if (cmd !== null && (this.withheld.has("*") || this.withheld.has(cmd))) return
    if (cmd !== null) {
      const evt = typeof body["evt"] === "string" ? body["evt"] : undefined
      if (this.strike(conn, { _tag: "Command", cmd, ...(evt === undefined ? {} : { evt }) })) return
    }
    const skip = cmd === null ? undefined : this.withheldNext.get(cmd)
    if (cmd !== null && skip !== undefined) {
      if (skip <= 1) this.withheldNext.delete(cmd)
      else this.withheldNext.set(cmd, skip - 1)
      return
    }
    const delay = (cmd === null ? undefined : this.replyDelayByCmd.get(cmd)) ?? this.replyDelay
    if (delay === undefined) return this.handle(conn, cmd, nonce, body)
    const timer = setTimeout(() => {
      conn.cancels.delete(cancel)
      this.handle(conn, cmd, nonce, body)
    }, delay)
    const cancel = () => clearTimeout(timer)
    conn.cancels.add(cancel)
  }

  private errorFrame(cmd: string | null, nonce: unknown, code: number, message: string): Uint8Array {
    return frameBody(cmd, { code, message }, "ERROR", nonce)
  }

  private outcomeFrame(cmd: string | null, nonce: string, outcome: Outcome): Uint8Array | undefined {
    switch (outcome._tag) {
      case "Ok":
        return frameBody(cmd, outcome.data, null, nonce)
      case "Err":
        return this.errorFrame(cmd, nonce, outcome.code, outcome.message)
      default:
        return undefined
    }
  }

  private handle(conn: Conn, cmd: string | null, nonce: string, body: Record<string, unknown>): void {
    if (conn.closing) return
    const outcome = this.batched(() => this.run(conn, cmd, body), conn, (o) => this.outcomeFrame(cmd, nonce, o))
    if (outcome._tag === "Later") {
      const cancel = outcome.start((final) => {
        conn.cancels.delete(cancel)
        this.batched(() => final, conn, (o) => this.outcomeFrame(cmd, nonce, o))
      })
      conn.cancels.add(cancel)
    }
  }

  private run(conn: Conn, cmd: string | null, body: Record<string, unknown>): Outcome {
    if (cmd === "SUBSCRIBE" || cmd === "UNSUBSCRIBE") return this.subscription(conn, cmd, body)
    const command = cmd === null ? undefined : COMMANDS[cmd]
    if (command === undefined) return { _tag: "Err", code: 4002, message: `Invalid command: ${String(body["cmd"])}` }
    if (!hasScope(conn.scopes, command.scope)) {
      return { _tag: "Err", code: 4006, message: "Not authenticated or invalid scope" }
    }
    const args = body["args"]
    if (command.args !== undefined) {
      const invalid = validateArgs(command.args, args, command.argsRequired === true)
      if (invalid !== undefined) return { _tag: "Err", code: 4000, message: invalid }
    }
    try {
      return command.run({ conn, world: this.world, auth: this.auth }, isRecord(args) ? args : {})
    } catch {
      return { _tag: "Err", code: 1000, message: "Unknown Error" } // Discord's fallback (docs/discord-rpc.md#argument-validation)
    }
  }

  // ------------------------------------------------------------------------------------------
  // subscriptions (docs/discord-rpc.md#subscribe-and-unsubscribe)
  // ------------------------------------------------------------------------------------------

  private subscription(conn: Conn, cmd: "SUBSCRIBE" | "UNSUBSCRIBE", body: Record<string, unknown>): Outcome {
    const evt = body["evt"]
    const spec = typeof evt === "string" ? EVENTS[evt] : undefined
    if (spec === undefined) return { _tag: "Err", code: 4004, message: `Invalid event: ${String(evt)}` }
    if (!hasScope(conn.scopes, spec.scope)) {
      return { _tag: "Err", code: 4006, message: "Not authenticated or invalid scope" }
    }
    const raw = body["args"]
    const args = isRecord(raw) ? raw : {}
    if (spec.args !== undefined && spec.args(args, "value") !== undefined) {
      return { _tag: "Err", code: 4000, message: "Invalid subscription parameters provided" }
    }
    const key = `${evt as string}\n${canonical(args)}`
    if (cmd === "UNSUBSCRIBE") {
      conn.subs.delete(key)
    } else if (!conn.subs.has(key)) {
      conn.subs.set(key, { evt: evt as string, args })
      // Current state follows the reply in the same write (the reply is unshifted ahead of it).
      for (const data of this.world.initialDispatches(evt as string, args)) {
        this.send(conn, frameBody("DISPATCH", data, evt as string, null))
      }
    }
    return { _tag: "Ok", data: { evt } }
  }

  /** Dispatch to every matching subscription; returns how many dispatches went out. */
  emit(evt: string, data: unknown, match?: Readonly<Record<string, string>>): number {
    let frame: Uint8Array | undefined
    let sent = 0
    for (const conn of this.conns) {
      if (conn.closing || conn.subs.size === 0) continue
      for (const sub of conn.subs.values()) {
        if (sub.evt !== evt || !matches(match, sub.args)) continue
        frame ??= frameBody("DISPATCH", data, evt, null)
        this.send(conn, frame)
        sent++
      }
    }
    return sent
  }

  // ------------------------------------------------------------------------------------------
  // test controls
  // ------------------------------------------------------------------------------------------

  /** Destroy every client socket without a CLOSE frame. */
  drop(): void {
    for (const conn of this.conns) {
      this.teardown(conn)
      conn.socket.destroy()
    }
  }

  /** CLOSE every client with this code and message. */
  closeAll(code: number, message: string): void {
    for (const conn of this.conns) this.closeConn(conn, code, message)
  }

  /** Delay handling and reply of every command (no `cmd`) or of one command; undefined clears. */
  delayReplies(ms: number | undefined, cmd?: string): void {
    if (cmd === undefined) this.replyDelay = ms
    else if (ms === undefined) this.replyDelayByCmd.delete(cmd)
    else this.replyDelayByCmd.set(cmd, ms)
  }

  /** Never handle nor answer this command ("*": every command); undefined clears all. */
  withholdReplies(cmd: string | undefined): void {
    if (cmd === undefined) this.withheld.clear()
    else this.withheld.add(cmd)
  }

  /**
   * Leave the next `count` requests of `cmd` unanswered (a reply lost or stuck in a busy
   * client), then answer as usual.
   */
  withholdNext(cmd: string, count = 1): void {
    if (count > 0) this.withheldNext.set(cmd, (this.withheldNext.get(cmd) ?? 0) + count)
  }

  /**
   * Script a fault: the next `times` times the sequence reaches `step`, `fault` happens
   * instead of what Discord would do. Faults fire in the order they were scripted.
   */
  injectFault(step: FaultStep, fault: FaultKind, times = 1): void {
    if (times > 0) this.faults.push({ step, fault, remaining: times })
  }

  /** Scripted faults not yet fired. */
  pendingFaults(): number {
    return this.faults.reduce((n, f) => n + f.remaining, 0)
  }

  /** Drop every scripted fault not yet fired. */
  clearFaults(): void {
    this.faults.length = 0
  }

  /** Faults fired so far, oldest first. */
  appliedFaults(): ReadonlyArray<{ readonly step: FaultStep; readonly fault: FaultKind; readonly connection: number }> {
    return this.faultsApplied.slice()
  }

  /** Fire the first scripted fault for `at`, if any; true when it replaced the normal course. */
  private strike(conn: Conn, at: FaultStep): boolean {
    const index = this.faults.findIndex((f) => sameStep(f.step, at))
    if (index < 0) return false
    const scripted = this.faults[index]!
    if (--scripted.remaining <= 0) this.faults.splice(index, 1)
    this.faultsApplied.push({ step: at, fault: scripted.fault, connection: conn.id })
    switch (scripted.fault._tag) {
      case "Drop":
        this.teardown(conn)
        conn.socket.destroy()
        return true
      case "Close":
        this.closeConn(conn, scripted.fault.code, scripted.fault.message)
        return true
      case "Withhold":
        return true
      case "Garbage":
        this.send(conn, GARBAGE)
        return true
    }
  }

  /** Write raw bytes to every connected client. */
  injectRaw(bytes: Uint8Array): void {
    for (const conn of this.conns) this.send(conn, bytes)
  }

  /** Frames received, oldest first (at most FRAMES_LOG_CAP), optionally of one connection. */
  framesReceived(connection?: number): ReadonlyArray<ReceivedFrame> {
    const recent = this.frames.length > FRAMES_LOG_CAP ? this.frames.slice(-FRAMES_LOG_CAP) : this.frames.slice()
    return connection === undefined ? recent : recent.filter((f) => f.connection === connection)
  }

  handshakes(): ReadonlyArray<HandshakeRecord> {
    return this.handshakeLog.slice(-HANDSHAKES_LOG_CAP)
  }

  /** Open client sockets. */
  connections(): number {
    let n = 0
    for (const conn of this.conns) if (!conn.closing) n++
    return n
  }

  /** Live subscriptions of every open connection. */
  subscriptions(): ReadonlyArray<SubscriptionRecord> {
    const out: Array<SubscriptionRecord> = []
    for (const conn of this.conns) {
      for (const sub of conn.subs.values()) out.push({ connection: conn.id, evt: sub.evt, args: sub.args })
    }
    return out
  }

  /** A raw DISPATCH to subscribers of `evt` whose args include `args`. Returns dispatches sent. */
  dispatch(evt: string, data: unknown, args?: Readonly<Record<string, string>>): number {
    return this.batched(() => this.emit(evt, data, args))
  }

  /** Close sockets authenticated with `token` (any token when omitted) with 4003 (docs/discord-rpc.md#restarts-and-reconnects). */
  revokeToken(token?: string): number {
    let n = 0
    for (const conn of this.conns) {
      if (conn.token !== undefined && (token === undefined || conn.token === token) && !conn.closing) {
        this.closeConn(conn, 4003, "Token revoked")
        n++
      }
    }
    return n
  }

  /** Later handshakes see "User logged out" (true) or READY (false). */
  setLoggedOut(loggedOut: boolean): void {
    this.loggedOut = loggedOut
  }

  /** The user logs out: every socket closes with 1000 "User logout" and later handshakes fail. */
  logout(): void {
    this.loggedOut = true
    this.closeAll(1000, "User logout")
  }

  setAuthorizeBehavior(behavior: AuthorizeBehavior): void {
    this.behavior = behavior
  }

  state(): FakeDiscordState {
    return this.world.snapshot()
  }

  setVoiceSettings(patch: FakeVoiceSettingsPatch): boolean {
    return this.batched(() => this.world.patchVoiceSettings(patch))
  }

  addMember(channelId: string, user: FakeUser, voiceState?: Partial<FakeVoiceState>, nick?: string | null): void {
    if (!this.world.isVoiceChannel(channelId)) throw new Error(`addMember: ${channelId} is not a voice channel`)
    this.batched(() => this.world.addMember(channelId, user, voiceState, nick ?? null))
  }

  removeMember(userId: string): boolean {
    return this.batched(() => this.world.removeMember(userId))
  }

  updateMember(
    userId: string,
    patch: { readonly nick?: string | null; readonly voice_state?: Partial<FakeVoiceState> }
  ): boolean {
    return this.batched(() => this.world.updateMember(userId, patch))
  }

  setUserVoiceSettings(userId: string, patch: Partial<UserLocalSettings>): void {
    this.batched(() => this.world.setUserSettings(userId, patch))
  }

  startSpeaking(userId: string): boolean {
    return this.batched(() => this.world.setSpeaking(userId, true))
  }

  stopSpeaking(userId: string): boolean {
    return this.batched(() => this.world.setSpeaking(userId, false))
  }

  /** Join or leave as if the user clicked in Discord's UI (no force check). */
  moveSelfTo(channelId: string | null): void {
    if (channelId !== null && !this.world.isVoiceChannel(channelId)) {
      throw new Error(`moveSelfTo: ${channelId} is not a voice channel`)
    }
    this.batched(() => this.world.moveSelf(channelId))
  }

  setVideo(active: boolean): void {
    this.batched(() => this.world.setVideo(active))
  }

  /**
   * A desktop notification for a message `author` posted in `channelId`, as Discord sends it
   * (NOTIFICATION_CREATE: channel_id, message, icon_url, title, body) to connections that
   * subscribed to it, which needs rpc.notifications.read. Returns dispatches sent.
   */
  notify(notification: FakeNotification): number {
    const { author, channelId, content } = notification
    const messageId = String(BigInt("1300000000000000000") + BigInt(++this.messageSeq))
    const name = author.global_name ?? author.username
    return this.batched(() =>
      this.emit("NOTIFICATION_CREATE", {
        channel_id: channelId,
        message: {
          id: messageId,
          channel_id: channelId,
          content,
          timestamp: new Date(0).toISOString(),
          author: { ...author }
        },
        icon_url: author.avatar === null
          ? "https://cdn.discordapp.com/embed/avatars/0.png"
          : `https://cdn.discordapp.com/avatars/${author.id}/${author.avatar}.png`,
        title: notification.title ?? name,
        body: notification.body ?? content
      })
    )
  }

  setScreenshare(active: boolean, pid?: number | null, application?: { readonly name: string } | null): void {
    this.batched(() => this.world.setScreenshare(active, pid ?? null, application ?? null))
  }

  /**
   * Send `n` PINGs to every open client; resolves once each was answered with a PONG of
   * the same body (clients that disconnect are not waited for). Returns PINGs sent.
   */
  pingStorm(n: number): Promise<number> {
    const stormId = Math.random().toString(36).slice(2, 10)
    let sent = 0
    this.batched(() => {
      for (const conn of this.conns) {
        if (conn.closing) continue
        for (let i = 0; i < n; i++) {
          const body = { storm: stormId, i }
          conn.awaitingPongs.add(canonical(body))
          this.send(conn, encodeFrame(Opcode.Ping, body))
          sent++
        }
      }
    })
    const done = () => {
      for (const conn of this.conns) {
        for (const key of conn.awaitingPongs) if (key.includes(stormId)) return false
      }
      return true
    }
    if (done()) return Promise.resolve(sent)
    return new Promise((resolve) => {
      const waiter = () => {
        if (!done()) return
        this.pongWaiters.delete(waiter)
        resolve(sent)
      }
      this.pongWaiters.add(waiter)
    })
  }

  private notifyPongs(): void {
    for (const waiter of Array.from(this.pongWaiters)) waiter()
  }
}
