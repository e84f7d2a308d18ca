/**
 * Fault exploration over the whole connection sequence (issue 9): deckcord's real stack
 * (DiscordIpc, DiscordRpc, the OAuth flow, VoiceState) against FakeDiscord and FakeOAuth on
 * real sockets. A *cell* scripts one fault at one step, starts a new connection with commands
 * in flight, and checks the invariants once the client has recovered:
 *
 * - it reconnects, never waiting longer than the backoff cap (`retryInMillis` of every
 *   Disconnected state), with a bounded number of handshakes, and never hits a defect;
 * - its model converges to FakeDiscord's state, and keeps following it (subscriptions live);
 * - no command arrives after its deadline or twice; one that succeeded arrived exactly once,
 *   one that expired never arrived;
 * - at most one consent prompt (AUTHORIZE) per connection; token requests stay bounded.
 */
import { Context, Effect, Exit, Fiber, Layer, Option, Redacted, References, Stream } from "effect"
import {
  type ConnectionState,
  deadlineFrom,
  DiscordIpc,
  DiscordRpc,
  OAuth,
  OAuthFlow,
  type ReconnectOptions,
  Settings,
  SyncTiming,
  TokenStore,
  type VoiceModel,
  VoiceState
} from "../../src/index.ts"
import {
  FakeDiscord,
  type FakeDiscordShape,
  FakeOAuth,
  type FakeOAuthServer,
  type FakeTokenBehavior,
  type FaultKind,
  type FaultStep,
  fixtures
} from "../../src/testing/index.ts"

export const CLIENT_ID = "112233445566778899"
const SECRET = "fault-client-secret-value"

/** Short timeouts so a withheld reply costs a few hundred milliseconds, not 15 s. */
export const TIMEOUT_MILLIS = 250
export const BACKOFF = {
  absentBase: 10,
  absentCap: 50,
  failureBase: 20,
  failureCap: 120
} as const satisfies Required<ReconnectOptions>
/** How long a command in flight may wait (its deadline, from when it was issued). */
export const COMMAND_DEADLINE_MILLIS = 2_000

/** A step of the connection sequence and where it is hit. */
export type Step =
  | { readonly name: string; readonly at: FaultStep; readonly needsAuthorize?: boolean }
  | { readonly name: "token exchange"; readonly at: "token"; readonly needsAuthorize: true }

export const STEPS: ReadonlyArray<Step> = [
  { name: "dial", at: { _tag: "Connect" } },
  { name: "handshake", at: { _tag: "Handshake" } },
  { name: "READY", at: { _tag: "Ready" } },
  { name: "AUTHORIZE", at: { _tag: "Command", cmd: "AUTHORIZE" }, needsAuthorize: true },
  { name: "token exchange", at: "token", needsAuthorize: true },
  { name: "AUTHENTICATE", at: { _tag: "Command", cmd: "AUTHENTICATE" } },
  ...[
    "VOICE_SETTINGS_UPDATE",
    "VOICE_CONNECTION_STATUS",
    "VOICE_CHANNEL_SELECT",
    "VOICE_STATE_CREATE",
    "VOICE_STATE_UPDATE",
    "VOICE_STATE_DELETE",
    "SPEAKING_START",
    "SPEAKING_STOP"
  ].map((evt): Step => ({ name: `SUBSCRIBE ${evt}`, at: { _tag: "Command", cmd: "SUBSCRIBE", evt } })),
  ...["GET_VOICE_SETTINGS", "GET_SELECTED_VOICE_CHANNEL", "GET_CHANNEL", "GET_SOUNDBOARD_SOUNDS"].map((cmd): Step => ({
    name: cmd,
    at: { _tag: "Command", cmd }
  }))
]

/** Every socket fault: a crash, each CLOSE code Discord uses (docs/discord-rpc.md#close-codes), a lost reply, garbage. */
export const SOCKET_FAULTS: ReadonlyArray<{ readonly name: string; readonly fault: FaultKind }> = [
  { name: "drop", fault: { _tag: "Drop" } },
  { name: "CLOSE 1000", fault: { _tag: "Close", code: 1000, message: "User logged out" } },
  { name: "CLOSE 1003", fault: { _tag: "Close", code: 1003, message: "protocol error" } },
  { name: "CLOSE 1006", fault: { _tag: "Close", code: 1006, message: "Socket closed during throttle" } },
  { name: "CLOSE 4000", fault: { _tag: "Close", code: 4000, message: "Invalid Client ID" } },
  { name: "CLOSE 4003", fault: { _tag: "Close", code: 4003, message: "Token revoked" } },
  { name: "reply withheld past its timeout", fault: { _tag: "Withhold" } },
  { name: "garbage", fault: { _tag: "Garbage" } }
]

/** The token endpoint's faults, for the exchange step. */
export const TOKEN_FAULTS: ReadonlyArray<{ readonly name: string; readonly behavior: FakeTokenBehavior }> = [
  { name: "HTTP 500", behavior: { _tag: "ServerError" } },
  { name: "HTTP 503", behavior: { _tag: "ServerError", status: 503 } },
  { name: "HTTP 429", behavior: { _tag: "RateLimited", retryAfterSeconds: 0 } },
  { name: "malformed reply", behavior: { _tag: "Malformed" } },
  { name: "code rejected (invalid_grant)", behavior: { _tag: "InvalidGrant" } }
]

export interface World {
  readonly fake: FakeDiscordShape
  readonly oauth: FakeOAuthServer
  readonly rpc: DiscordRpc["Service"]
  readonly voice: VoiceState["Service"]
  readonly tokens: TokenStore["Service"]
  readonly states: Array<ConnectionState>
}

/** The stack, in the calling scope, Ready and synced. */
export const makeWorld = Effect.gen(function*() {
  const oauth = yield* FakeOAuth.make({ clients: { [CLIENT_ID]: SECRET } })
  const fake = yield* FakeDiscord.make({ authority: oauth, initialVoiceChannelId: fixtures.channels.lounge.id })
  const layer = VoiceState.layer.pipe(
    Layer.provideMerge(
      DiscordRpc.layer({
        clientId: CLIENT_ID,
        reconnect: BACKOFF,
        requestTimeout: TIMEOUT_MILLIS,
        commandDeadline: COMMAND_DEADLINE_MILLIS,
        // a defect must fail the test, not exit the test runner
        onFatal: () => {
          throw new Error("the supervisor died")
        }
      })
    ),
    Layer.provide(DiscordIpc.layerWith({ socketPaths: [fake.socketPath], handshakeTimeout: TIMEOUT_MILLIS })),
    Layer.provide(OAuthFlow.layerWith({ authorizeTimeout: TIMEOUT_MILLIS })),
    Layer.provideMerge(
      Layer.mergeAll(
        Settings.layerStatic({ clientId: CLIENT_ID, clientSecret: Redacted.make(SECRET) }),
        TokenStore.layerMemory({}),
        OAuth.layerWith({ baseUrl: oauth.baseUrl })
      )
    ),
    Layer.provide(Layer.succeed(SyncTiming, { readTimeout: TIMEOUT_MILLIS, retryBase: 20, retryCap: 120 })),
    // thousands of injected faults would log thousands of warnings; the invariants say what happened
    Layer.provide(Layer.succeed(References.MinimumLogLevel, "None"))
  )
  const context = yield* Layer.build(layer)
  const rpc = Context.get(context, DiscordRpc)
  const voice = Context.get(context, VoiceState)
  const states: Array<ConnectionState> = []
  yield* rpc.stateChanges.pipe(Stream.runForEach((s) => Effect.sync(() => void states.push(s))), Effect.forkScoped)
  const world: World = { fake, oauth, rpc, voice, tokens: Context.get(context, TokenStore), states }
  yield* converged(world, undefined, "the first connection")
  return world
})

const within = <A>(what: string, wait: Effect.Effect<A>) =>
  wait.pipe(Effect.timeoutOrElse({ duration: "15 seconds", orElse: () => Effect.die(new Error(`timed out: ${what}`)) }))

/** Ready on a connection other than `previous`, synced, and showing FakeDiscord's state. */
const converged = (world: World, previous: ConnectionState | undefined, what: string) =>
  within(
    what,
    Effect.gen(function*() {
      const matches = (m: VoiceModel) =>
        Effect.map(world.fake.state, (truth) =>
          m.connection._tag === "Ready" && m.connection !== previous && m.synced &&
          m.settings?.mute === truth.voiceSettings.mute &&
          m.settings?.deaf === truth.voiceSettings.deaf &&
          m.settings?.input?.volume === truth.voiceSettings.input.volume &&
          (m.channel?.id ?? null) === truth.selectedVoiceChannelId &&
          (m.channel === null ||
            sameMembers(m, truth.members[m.channel.id]?.map((member) => member.user.id) ?? []))
        )
      return yield* world.voice.changes.pipe(
        Stream.filterEffect(matches),
        Stream.take(1),
        Stream.runHead,
        Effect.map(Option.getOrThrow)
      )
    })
  )

const sameMembers = (m: VoiceModel, ids: ReadonlyArray<string>) =>
  m.channel !== null && m.channel.members.size === ids.length && ids.every((id) => m.channel!.members.has(id))

/**
 * Faults after which deckcord rightly stops and waits for the user (shown as
 * AuthenticationFailed with no retry planned) instead of retrying by itself: a consent prompt
 * nobody answered is not shown again unasked. Anything else must recover on its own.
 */
const WAITS_FOR_USER: ReadonlyArray<string> = ["AUTHORIZE × reply withheld past its timeout"]

const CODE_REJECTED = "token exchange × code rejected (invalid_grant)"

/**
 * A rejected code is replaced by one new attempt; a second rejected code in a row waits for
 * the user (a rejecting endpoint must not loop prompts). Only a schedule rejecting two codes
 * may ask.
 */
const mayWaitForUser = (faults: ReadonlyArray<ScheduledFault>) =>
  faults.some((f) => WAITS_FOR_USER.includes(f.name)) || faults.filter((f) => f.name === CODE_REJECTED).length >= 2

const waitingForUser = (s: ConnectionState) =>
  s._tag === "Disconnected" && s.reason._tag === "AuthenticationFailed" && s.retryInMillis === undefined

/** What one cell did, for the record. */
export interface CellOutcome {
  /** deckcord stopped and asked the user (see WAITS_FOR_USER); `reconnect` then recovered. */
  readonly askedUser: boolean
  readonly commands: number
  readonly delivered: number
  readonly expired: number
  readonly failedInFlight: number
  readonly handshakes: number
  readonly prompts: number
  readonly tokenRequests: number
}

let marker = 0

/** One fault of a schedule: where, what, and its name in reports. */
export interface ScheduledFault {
  readonly step: Step
  readonly fault: { readonly _tag: "socket"; readonly fault: FaultKind } | { readonly _tag: "token"; readonly behavior: FakeTokenBehavior }
  readonly name: string
}

/** Every (step, fault) pair of the matrix. */
export const ALL_FAULTS: ReadonlyArray<ScheduledFault> = STEPS.flatMap((step): Array<ScheduledFault> =>
  step.at === "token"
    ? TOKEN_FAULTS.map(({ name, behavior }) => ({ step, fault: { _tag: "token", behavior }, name: `${step.name} × ${name}` }))
    : SOCKET_FAULTS
      // a withheld reply at dial is nothing: the client speaks first
      .filter(({ fault }) => !(step.name === "dial" && fault._tag === "Withhold"))
      .map(({ name, fault }) => ({ step, fault: { _tag: "socket", fault }, name: `${step.name} × ${name}` }))
)

/** One fault at one step (a cell of the matrix). */
export const runCell = (world: World, fault: ScheduledFault): Effect.Effect<CellOutcome> => runSchedule(world, [fault], fault.name)

/**
 * Script `faults` (each fires at the first time the sequence reaches its step), start a new
 * connection with commands in flight, and check every invariant once deckcord recovered.
 * Dies with the broken invariant's description.
 */
export const runSchedule = (world: World, faults: ReadonlyArray<ScheduledFault>, label: string): Effect.Effect<CellOutcome> =>
  Effect.gen(function*() {
    const { fake, oauth, rpc } = world
    const before = yield* world.voice.get
    const cellStart = Date.now()
    const handshakesBefore = (yield* fake.handshakes).length
    const tokenRequestsBefore = oauth.requests().length
    const statesBefore = world.states.length
    // a token fault needs a code exchange: start without tokens, so AUTHORIZE runs
    if (faults.some((f) => f.step.needsAuthorize === true)) yield* world.tokens.remove(CLIENT_ID).pipe(Effect.orDie)
    for (const { step, fault } of faults) {
      if (fault._tag === "token") oauth.script("authorization_code", fault.behavior)
      else if (step.at !== "token") yield* fake.injectFault(step.at, fault.fault)
    }
    yield* rpc.reconnect

    // commands in flight across the fault: markers nobody else sends, each with a deadline
    const issued = Date.now()
    const deadline = deadlineFrom(issued, COMMAND_DEADLINE_MILLIS)
    const volumes = [0, 1, 2].map(() => 10 + (marker++ % 80))
    const inFlight = yield* Effect.forEach(volumes, (volume) =>
      rpc.setVoiceSettings({ input: { volume } }, { deadline }).pipe(Effect.exit, Effect.forkChild))
    // and reads that fail together, as a caller's Effect.all does: one failing interrupts the rest
    const reads = yield* Effect.all([rpc.getVoiceSettings, rpc.getSelectedVoiceChannel, rpc.getGuilds], {
      concurrency: "unbounded"
    }).pipe(Effect.exit, Effect.forkChild)

    const exits = yield* Effect.forEach(inFlight, Fiber.join)
    const readsExit = yield* Fiber.join(reads)
    if (Exit.isFailure(readsExit) && Option.isNone(Exit.findErrorOption(readsExit))) {
      fail(`${label}: reads in flight died: ${String(Exit.findErrorOption(readsExit))}`)
    }
    const mayAsk = mayWaitForUser(faults)
    let askedUser = false
    let userReconnects = 0
    for (let round = 0;; round++) {
      const outcome = yield* Effect.raceFirst(
        converged(world, before.connection, `${label}: converge after the fault`).pipe(Effect.as("converged" as const)),
        rpc.stateChanges.pipe(Stream.filter(waitingForUser), Stream.take(1), Stream.runDrain, Effect.as("asked" as const))
      )
      if (outcome === "converged") break
      askedUser = true
      if (!mayAsk || round >= faults.length) fail(`${label}: deckcord gave up and waits for the user`)
      yield* rpc.reconnect
      userReconnects++
      yield* within(
        `${label}: reconnect to start`,
        rpc.stateChanges.pipe(Stream.filter((s) => !waitingForUser(s)), Stream.take(1), Stream.runDrain)
      )
    }
    // a fault whose step this run never reached (AUTHORIZE once tokens are stored) is dropped
    yield* fake.clearFaults

    // no command late or twice; success means arrived once, expiry means never sent
    const frames = (yield* fake.framesReceived()).filter((f) => f.receivedAt >= cellStart)
    const sets = frames.filter((f) => (f.payload as { cmd?: string }).cmd === "SET_VOICE_SETTINGS")
    let delivered = 0
    let expired = 0
    let failedInFlight = 0
    // markers repeat every 80 cells: look only at this cell's frames
    const mine = sets
    volumes.forEach((volume, i) => {
      const arrivals = mine.filter((f) => (f.payload as { args?: { input?: { volume?: number } } }).args?.input?.volume === volume)
      if (arrivals.length > 1) fail(`${label}: a command arrived ${arrivals.length} times`)
      const arrival = arrivals[0]
      if (arrival !== undefined && arrival.receivedAt > deadline.expiresAt) {
        fail(`${label}: a command arrived ${arrival.receivedAt - deadline.expiresAt} ms after its deadline`)
      }
      const exit = exits[i]!
      if (Exit.isSuccess(exit)) {
        if (arrival === undefined) fail(`${label}: a command succeeded without reaching Discord`)
        delivered++
      } else {
        const tag = Exit.findErrorOption(exit).pipe(Option.map((e) => e._tag), Option.getOrElse(() => "defect"))
        if (tag === "CommandExpiredError" || tag === "QueueFullError") {
          if (arrival !== undefined) fail(`${label}: a command that ${tag} reached Discord`)
          expired++
        } else if (tag === "ConnectionLostError" || tag === "RpcTimeoutError") {
          failedInFlight++
        } else {
          fail(`${label}: a command failed with ${tag}`)
        }
      }
    })

    // reconnects within the backoff bound, with a bounded number of attempts
    for (const s of world.states.slice(statesBefore)) {
      // the supervisor survives a bug, but a fault of Discord's must never reach one
      if (s._tag === "Disconnected" && s.reason._tag === "InternalError") fail(`${label}: ${s.reason.message}`)
      if (s._tag === "Disconnected" && (s.retryInMillis ?? 0) > BACKOFF.failureCap) {
        fail(`${label}: waited ${s.retryInMillis} ms to reconnect, past the ${BACKOFF.failureCap} ms cap`)
      }
    }
    const handshakes = (yield* fake.handshakes).length - handshakesBefore
    // each fault costs a connection or two, each reconnect the user asked for one more
    const attempts = faults.length + 1 + userReconnects
    if (handshakes > 3 * attempts) fail(`${label}: ${handshakes} handshakes for ${faults.length} faults`)

    // one consent prompt per connection at most; token requests bounded
    const authorizeByConnection = new Map<number, number>()
    for (const f of frames) {
      if ((f.payload as { cmd?: string }).cmd === "AUTHORIZE") {
        authorizeByConnection.set(f.connection, (authorizeByConnection.get(f.connection) ?? 0) + 1)
      }
    }
    for (const [connection, n] of authorizeByConnection) {
      if (n > 1) fail(`${label}: ${n} consent prompts on connection ${connection}`)
    }
    const prompts = [...authorizeByConnection.values()].reduce((a, b) => a + b, 0)
    if (prompts > attempts) fail(`${label}: ${prompts} consent prompts for ${faults.length} faults`)
    const tokenRequests = oauth.requests().length - tokenRequestsBefore
    if (tokenRequests > 3 * attempts) fail(`${label}: ${tokenRequests} token requests for ${faults.length} faults`)

    // and it keeps following Discord: every subscription of the sequence is live
    const truth = yield* fake.state
    yield* fake.setVoiceSettings({ deaf: !truth.voiceSettings.deaf })
    yield* converged(world, undefined, `${label}: follow a settings change`)
    const member = truth.members[fixtures.channels.lounge.id]?.find((m) => m.user.id !== fixtures.user.id)
    if (member !== undefined && truth.selectedVoiceChannelId === fixtures.channels.lounge.id) {
      const nick = `n${marker}`
      yield* fake.updateMember(member.user.id, { nick })
      yield* within(
        `${label}: follow a member change`,
        world.voice.changes.pipe(
          Stream.filter((m) => m.channel?.members.get(member.user.id)?.name === nick),
          Stream.take(1),
          Stream.runDrain
        )
      )
    }
    return {
      askedUser,
      commands: volumes.length,
      delivered,
      expired,
      failedInFlight,
      handshakes,
      prompts,
      tokenRequests
    } satisfies CellOutcome
  })

const fail = (message: string): never => {
  throw new Error(message)
}
