/**
 * A protocol-faithful fake of the Discord desktop client's IPC server, on a fresh temp
 * socket: handshake checks and CLOSE codes, nonces, ERROR replies with Discord's codes and
 * messages, scopes, strict argument validation, AUTHORIZE / AUTHENTICATE against a
 * `FakeAuthority`, voice state with the events Discord dispatches, and test controls to
 * drop, stop, delay, withhold and inject.
 *
 * Effect users: `FakeDiscord.layer(options)` or `FakeDiscord.make(options)` (scoped).
 * Everyone else: `startFakeDiscord(options)` and `await fake.close()`.
 * Clients find it by `XDG_RUNTIME_DIR = fake.runtimeDir`, or connect to `fake.socketPath`.
 *
 * @since 0.1.0
 */
import { Context, Effect, Layer, type Scope } from "effect"
import type { AuthorizeBehavior } from "./fakeDiscord/commands.ts"
import type { FakeUser, FakeVoiceState } from "./fakeDiscord/fixtures.ts"
import type { FakeDiscordOptions, HandshakeRecord, ReceivedFrame, SubscriptionRecord } from "./fakeDiscord/options.ts"
import { type FakeNotification, FakeDiscordServer, type FaultKind, type FaultStep } from "./fakeDiscord/server.ts"
import type { FakeDiscordState, FakeVoiceSettingsPatch, UserLocalSettings } from "./fakeDiscord/world.ts"

export {
  AUTHENTICATED_SCOPE,
  type AuthorizeBehavior,
  COMMANDS as FAKE_DISCORD_COMMANDS,
  DEFAULT_GRANTABLE_SCOPES,
  EVENTS as FAKE_DISCORD_EVENTS,
  LOCAL_SCOPE
} from "./fakeDiscord/commands.ts"
export {
  type FakeChannel,
  type FakeDevice,
  type FakeGuild,
  type FakeMember,
  type FakeSound,
  type FakeUser,
  type FakeVoiceState,
  FIXTURE_CLIENT_ID,
  fixtures
} from "./fakeDiscord/fixtures.ts"
export type { FakeDiscordOptions, HandshakeRecord, ReceivedFrame, SubscriptionRecord } from "./fakeDiscord/options.ts"
export {
  type FakeNotification,
  FakeDiscordServer,
  type FaultKind,
  type FaultStep,
  FRAMES_LOG_CAP,
  HANDSHAKES_LOG_CAP,
  MAX_INCOMING_FRAME
} from "./fakeDiscord/server.ts"
export type {
  FakeDiscordState,
  FakeVoiceSettings,
  FakeVoiceSettingsPatch,
  ScreenshareState,
  UserLocalSettings
} from "./fakeDiscord/world.ts"

/**
 * The running fake, as Effects. Getters are Effects too, so they read the state at the time
 * they run. `server` is the underlying engine for synchronous access.
 *
 * @category models
 */
export interface FakeDiscordShape {
  readonly socketPath: string
  /** Point clients here with `XDG_RUNTIME_DIR`. */
  readonly runtimeDir: string
  readonly server: FakeDiscordServer

  /** Destroy every client socket without CLOSE (a crash or pipe break). */
  readonly drop: Effect.Effect<void>
  /** CLOSE every client with `code` / `message` (docs/discord-rpc.md#close-codes). */
  readonly closeAll: (code: number, message: string) => Effect.Effect<void>
  /** Discord quits: connections end, the socket file is removed. */
  readonly stop: Effect.Effect<void>
  /** Discord starts again: listen on the same path. */
  readonly start: Effect.Effect<void>
  readonly delayReplies: (ms: number | undefined, cmd?: string) => Effect.Effect<void>
  readonly withholdReplies: (cmd: string | undefined) => Effect.Effect<void>
  /** The next `times` (default 1) times the connection sequence reaches `step`, `fault` happens instead. */
  readonly injectFault: (step: FaultStep, fault: FaultKind, times?: number) => Effect.Effect<void>
  /** Scripted faults not yet fired. */
  readonly pendingFaults: Effect.Effect<number>
  /** Forget scripted faults not yet fired. */
  readonly clearFaults: Effect.Effect<void>
  /** Leave the next `count` (default 1) requests of `cmd` unanswered, then answer again. */
  readonly withholdNext: (cmd: string, count?: number) => Effect.Effect<void>
  readonly injectRaw: (bytes: Uint8Array) => Effect.Effect<void>
  readonly revokeToken: (token?: string) => Effect.Effect<number>
  readonly setLoggedOut: (loggedOut: boolean) => Effect.Effect<void>
  readonly logout: Effect.Effect<void>
  readonly setAuthorizeBehavior: (behavior: AuthorizeBehavior) => Effect.Effect<void>
  /** Resolves once every client answered all `n` PINGs with PONGs. */
  readonly pingStorm: (n: number) => Effect.Effect<number>

  readonly framesReceived: (connection?: number) => Effect.Effect<ReadonlyArray<ReceivedFrame>>
  readonly connections: Effect.Effect<number>
  readonly handshakes: Effect.Effect<ReadonlyArray<HandshakeRecord>>
  readonly subscriptions: Effect.Effect<ReadonlyArray<SubscriptionRecord>>
  readonly state: Effect.Effect<FakeDiscordState>

  readonly dispatch: (evt: string, data: unknown, args?: Readonly<Record<string, string>>) => Effect.Effect<number>
  readonly setVoiceSettings: (patch: FakeVoiceSettingsPatch) => Effect.Effect<boolean>
  readonly addMember: (
    channelId: string,
    user: FakeUser,
    voiceState?: Partial<FakeVoiceState>,
    nick?: string | null
  ) => Effect.Effect<void>
  readonly removeMember: (userId: string) => Effect.Effect<boolean>
  readonly updateMember: (
    userId: string,
    patch: { readonly nick?: string | null; readonly voice_state?: Partial<FakeVoiceState> }
  ) => Effect.Effect<boolean>
  readonly setUserVoiceSettings: (userId: string, patch: Partial<UserLocalSettings>) => Effect.Effect<void>
  readonly startSpeaking: (userId: string) => Effect.Effect<boolean>
  readonly stopSpeaking: (userId: string) => Effect.Effect<boolean>
  readonly moveSelfTo: (channelId: string | null) => Effect.Effect<void>
  readonly setVideo: (active: boolean) => Effect.Effect<void>
  /** NOTIFICATION_CREATE to the connections subscribed to it; how many dispatches went out. */
  readonly notify: (notification: FakeNotification) => Effect.Effect<number>
  readonly setScreenshare: (
    active: boolean,
    pid?: number | null,
    application?: { readonly name: string } | null
  ) => Effect.Effect<void>
}

const wrap = (s: FakeDiscordServer): FakeDiscordShape => ({
  socketPath: s.socketPath,
  runtimeDir: s.runtimeDir,
  server: s,
  drop: Effect.sync(() => s.drop()),
  closeAll: (code, message) => Effect.sync(() => s.closeAll(code, message)),
  stop: Effect.promise(() => s.stop()),
  start: Effect.promise(() => s.start()),
  delayReplies: (ms, cmd) => Effect.sync(() => s.delayReplies(ms, cmd)),
  withholdReplies: (cmd) => Effect.sync(() => s.withholdReplies(cmd)),
  withholdNext: (cmd, count) => Effect.sync(() => s.withholdNext(cmd, count)),
  injectFault: (step, fault, times) => Effect.sync(() => s.injectFault(step, fault, times)),
  pendingFaults: Effect.sync(() => s.pendingFaults()),
  clearFaults: Effect.sync(() => s.clearFaults()),
  injectRaw: (bytes) => Effect.sync(() => s.injectRaw(bytes)),
  revokeToken: (token) => Effect.sync(() => s.revokeToken(token)),
  setLoggedOut: (loggedOut) => Effect.sync(() => s.setLoggedOut(loggedOut)),
  logout: Effect.sync(() => s.logout()),
  setAuthorizeBehavior: (behavior) => Effect.sync(() => s.setAuthorizeBehavior(behavior)),
  pingStorm: (n) => Effect.promise(() => s.pingStorm(n)),
  framesReceived: (connection) => Effect.sync(() => s.framesReceived(connection)),
  connections: Effect.sync(() => s.connections()),
  handshakes: Effect.sync(() => s.handshakes()),
  subscriptions: Effect.sync(() => s.subscriptions()),
  state: Effect.sync(() => s.state()),
  dispatch: (evt, data, args) => Effect.sync(() => s.dispatch(evt, data, args)),
  setVoiceSettings: (patch) => Effect.sync(() => s.setVoiceSettings(patch)),
  addMember: (channelId, user, voiceState, nick) => Effect.sync(() => s.addMember(channelId, user, voiceState, nick)),
  removeMember: (userId) => Effect.sync(() => s.removeMember(userId)),
  updateMember: (userId, patch) => Effect.sync(() => s.updateMember(userId, patch)),
  setUserVoiceSettings: (userId, patch) => Effect.sync(() => s.setUserVoiceSettings(userId, patch)),
  startSpeaking: (userId) => Effect.sync(() => s.startSpeaking(userId)),
  stopSpeaking: (userId) => Effect.sync(() => s.stopSpeaking(userId)),
  moveSelfTo: (channelId) => Effect.sync(() => s.moveSelfTo(channelId)),
  setVideo: (active) => Effect.sync(() => s.setVideo(active)),
  notify: (notification) => Effect.sync(() => s.notify(notification)),
  setScreenshare: (active, pid, application) => Effect.sync(() => s.setScreenshare(active, pid, application))
})

/**
 * Start a fake on a fresh temp socket (Promise API). Call `close()` when done: it stops
 * the server and deletes the temp directory.
 *
 * @category constructors
 */
export const startFakeDiscord = async (options: FakeDiscordOptions = {}): Promise<FakeDiscordServer> => {
  const server = new FakeDiscordServer(options)
  try {
    await server.start()
  } catch (e) {
    await server.close()
    throw e
  }
  return server
}

/**
 * The fake as a service. `make` is scoped: the server closes and its temp directory is
 * removed with the scope.
 *
 * @category services
 */
export class FakeDiscord extends Context.Service<FakeDiscord, FakeDiscordShape>()("deckcord/FakeDiscord") {
  static readonly make = (options: FakeDiscordOptions = {}): Effect.Effect<FakeDiscordShape, never, Scope.Scope> =>
    Effect.acquireRelease(
      Effect.promise(() => startFakeDiscord(options)),
      (server) => Effect.promise(() => server.close())
    ).pipe(Effect.map(wrap))

  static readonly layer = (options: FakeDiscordOptions = {}): Layer.Layer<FakeDiscord> =>
    Layer.effect(FakeDiscord, FakeDiscord.make(options))
}
