import { NodeFileSystem, NodeServices } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { Deferred, Duration, Effect, Exit, Fiber, Layer, Logger, Option, Redacted, Stream } from "effect"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as NodePath from "node:path"
import { runAuth } from "../src/cli/auth.ts"
import {
  authenticationHint,
  Authenticator,
  type AuthSession,
  type ConnectionState,
  type DeckcordConfig,
  DiscordIpc,
  DiscordRpc,
  OAuth,
  OAuthFlow,
  redactTokens,
  RETRIES_BY_ITSELF_HINT,
  RpcCommandError,
  type RpcRequestError,
  RpcTimeoutError,
  Settings,
  type StoredToken,
  TokenStore,
  type VoiceModel
} from "../src/index.ts"
import { TestClock } from "effect/testing"
// white-box: when the flow schedules a refresh, and how the status action words an outage
import { refreshDelayMillis } from "../src/auth/OAuthFlow.ts"
import { unavailability } from "../src/control/actions/status.ts"
import {
  FakeDiscord,
  type FakeDiscordShape,
  FakeOAuth,
  type FakeOAuthServer,
  type FakeTokenBehavior
} from "../src/testing/index.ts"

const ID = "112233445566778899"
const SECRET = "client-secret-value-123"
const BASE = ["rpc", "identify", "rpc.voice.read", "rpc.voice.write"]
const DAY = 24 * 3600_000

type AuthorizeBehavior =
  | { readonly _tag: "Approve"; readonly grant?: ReadonlyArray<string> }
  | { readonly _tag: "Deny" }
  | { readonly _tag: "InvalidScope" }
  | { readonly _tag: "NoRedirect" }
  | { readonly _tag: "Timeout" }

interface Call {
  readonly cmd: string
  readonly args: Readonly<Record<string, unknown>>
  readonly timeoutMillis: number | undefined
}

/**
 * A stand-in for one Discord connection being set up: AUTHORIZE issues a code through the
 * fake token endpoint (as the user clicking Authorize), AUTHENTICATE asks it about the token.
 */
const scriptedSession = (fake: FakeOAuthServer, authorize: Array<AuthorizeBehavior> = []) => {
  const calls: Array<Call> = []
  const session: AuthSession = {
    clientId: ID,
    request: (cmd, args, options) =>
      Effect.suspend((): Effect.Effect<unknown, RpcRequestError> => {
        calls.push({
          cmd,
          args,
          timeoutMillis: options?.timeout === undefined ? undefined : Duration.toMillis(Duration.fromInputUnsafe(options.timeout))
        })
        if (cmd === "AUTHORIZE") {
          const behavior = authorize.shift() ?? { _tag: "Approve" }
          const oauthError = (detail: string) => Effect.fail(new RpcCommandError({ cmd, code: 5000, detail }))
          const refusal = fake.refuseAuthorize?.(ID, args.scopes as ReadonlyArray<string>)
          if (refusal !== undefined) return oauthError(refusal)
          switch (behavior._tag) {
            case "Approve":
              return Effect.succeed({
                code: fake.issueCode(ID, behavior.grant ?? (args.scopes as ReadonlyArray<string>), { prompt: args.prompt })
              })
            case "Deny":
              return oauthError("OAuth2 Error: access_denied: The resource owner or authorization server denied the request")
            case "InvalidScope":
              return oauthError("OAuth2 Error: invalid_scope: The requested scope is invalid, unknown, or malformed.")
            case "NoRedirect":
              return oauthError("OAuth2 Error: invalid_request: Missing \"redirect_uri\" in request.")
            case "Timeout":
              return Effect.fail(new RpcTimeoutError({ cmd, timeoutMillis: calls.at(-1)?.timeoutMillis ?? 0 }))
          }
        }
        if (cmd === "AUTHENTICATE") {
          const token = String(args.access_token)
          const check = fake.checkAccessToken(ID, token)
          if (!check.ok) {
            // Discord echoes the token (docs/discord-rpc.md#authenticate); DiscordRpc redacts it into `detail`
            return Effect.fail(new RpcCommandError({ cmd, code: 4009, detail: redactTokens(`Invalid access token: ${token}`) }))
          }
          return Effect.succeed({
            application: { id: ID, name: "My Deck" },
            scopes: check.scopes,
            expires: check.expires,
            user: { id: "300000000000000001", username: "someone", global_name: "Someone" },
            access_token: token
          })
        }
        return Effect.fail(new RpcCommandError({ cmd, code: 4002, detail: "Invalid command" }))
      })
  }
  return { session, calls, cmds: () => calls.map((c) => c.cmd) }
}

const config = (extra: Partial<DeckcordConfig> = {}): Partial<DeckcordConfig> => ({
  clientId: ID,
  clientSecret: Redacted.make(SECRET),
  ...extra
})

const flowLayer = (
  fake: FakeOAuthServer,
  options: {
    readonly config?: Partial<DeckcordConfig>
    readonly tokens?: Record<string, StoredToken>
    readonly oauth?: Layer.Layer<OAuth>
  } = {}
) =>
  OAuthFlow.layer.pipe(
    Layer.provideMerge(
      Layer.mergeAll(
        Settings.layerStatic(options.config ?? config()),
        TokenStore.layerMemory(options.tokens ?? {}),
        options.oauth ?? OAuth.layerWith({ baseUrl: fake.baseUrl })
      )
    )
  )

/**
 * The real OAuth client, counting refreshes the moment the flow asks for one: the fake sees a
 * request only once it arrived over the socket, too late to show that none was asked for yet.
 */
const countingRefreshes = (fake: FakeOAuthServer) => {
  let asked = 0
  const layer = Layer.effect(
    OAuth,
    Effect.map(OAuth, (real) =>
      OAuth.of({
        ...real,
        refresh: (credentials, refreshToken) =>
          Effect.suspend(() => {
            asked++
            return real.refresh(credentials, refreshToken)
          })
      }))
  ).pipe(Layer.provide(OAuth.layerWith({ baseUrl: fake.baseUrl })))
  return { layer, asked: () => asked }
}

/** A token pair the fake knows, stored as if from an earlier run. */
const seeded = (fake: FakeOAuthServer, options: { readonly expiresAt?: number; readonly scopes?: ReadonlyArray<string> } = {}) => {
  const t = fake.mintTokens(ID, options.scopes ?? BASE)
  return {
    raw: t,
    stored: {
      accessToken: Redacted.make(t.accessToken),
      refreshToken: Redacted.make(t.refreshToken),
      expiresAt: options.expiresAt ?? 7 * DAY,
      scopes: options.scopes ?? BASE
    } satisfies StoredToken
  }
}

const storedToken = TokenStore.use((s) => s.get(ID))

/** Live tests run with the default logger; these keep a passing run quiet. */
const quietLogs = Logger.layer([])

const refreshRequests = (fake: FakeOAuthServer) => fake.requests().filter((r) => r.grantType === "refresh_token").length

/**
 * Wait until `check` holds. The fakes answer over real sockets, so this waits on real time in
 * TestClock tests and live ones alike (a TestClock sleep would never end; a live one is not there).
 */
const until = <E, R>(what: string, check: Effect.Effect<boolean, E, R>) =>
  Effect.gen(function*() {
    for (let i = 0; i < 2000; i++) {
      if (yield* check) return
      yield* Effect.promise(() => new Promise<void>((resolve) => setTimeout(resolve, 5)))
    }
    assert.fail(`timed out waiting for ${what}`)
  })

/** Wait until the fake has answered `count` refreshes and the last one is stored. */
const awaitRefreshes = (fake: FakeOAuthServer, count: number) =>
  Effect.gen(function*() {
    yield* until(
      `${count} refreshes stored`,
      Effect.map(storedToken, (stored) => {
        const last = fake.requests().filter((r) => r.grantType === "refresh_token")[count - 1]
        return refreshRequests(fake) >= count && last !== undefined && Option.isSome(stored) &&
          Redacted.value(stored.value.refreshToken) !== last.form.refresh_token &&
          !fake.requests().some((r) => r.form.refresh_token === Redacted.value(stored.value.refreshToken))
      })
    )
  })

describe("OAuthFlow", () => {
  it.effect("first run: AUTHORIZE (consent, fixed scopes) → exchange → AUTHENTICATE, tokens stored", () =>
    Effect.gen(function*() {
      const fake = yield* FakeOAuth.make({ clients: { [ID]: SECRET } })
      const s = scriptedSession(fake)
      yield* Effect.gen(function*() {
        const result = yield* Authenticator.use((a) => a.authenticate(s.session))
        assert.deepStrictEqual(s.cmds(), ["AUTHORIZE", "AUTHENTICATE"])
        assert.deepStrictEqual(s.calls[0]!.args, { client_id: ID, scopes: BASE, prompt: "consent" })
        assert.strictEqual(s.calls[0]!.timeoutMillis, 5 * 60_000)
        assert.strictEqual(result?.user?.username, "someone")
        const exchange = fake.requests()[0]!
        assert.strictEqual(exchange.grantType, "authorization_code")
        assert.strictEqual(exchange.form.client_secret, SECRET)
        assert.notProperty(exchange.form, "redirect_uri")
        const stored = yield* storedToken
        assert.isTrue(Option.isSome(stored))
        if (Option.isSome(stored)) {
          assert.deepStrictEqual(stored.value.scopes, BASE)
          assert.strictEqual(stored.value.expiresAt, 604_800_000) // TestClock starts at 0; expires_in is seconds
          assert.strictEqual(s.calls[1]!.args.access_token, Redacted.value(stored.value.accessToken))
        }
      }).pipe(Effect.provide(flowLayer(fake)))
    }))

  it.effect("stored valid token: AUTHENTICATE only, no prompt, no token request", () =>
    Effect.gen(function*() {
      const fake = yield* FakeOAuth.make()
      const t = seeded(fake)
      const s = scriptedSession(fake)
      const result = yield* Authenticator.use((a) => a.authenticate(s.session)).pipe(
        Effect.provide(flowLayer(fake, { tokens: { [ID]: t.stored } }))
      )
      assert.deepStrictEqual(s.cmds(), ["AUTHENTICATE"])
      assert.strictEqual(s.calls[0]!.args.access_token, t.raw.accessToken)
      assert.deepStrictEqual(result?.scopes, BASE)
      assert.strictEqual(fake.requests().length, 0)
    }))

  it.effect("an expired stored token is refreshed before AUTHENTICATE; the rotated refresh token is persisted", () =>
    Effect.gen(function*() {
      const fake = yield* FakeOAuth.make()
      const t = seeded(fake, { expiresAt: 0 }) // TestClock starts at 0: expired now
      const s = scriptedSession(fake)
      yield* Effect.gen(function*() {
        yield* Authenticator.use((a) => a.authenticate(s.session))
        assert.deepStrictEqual(s.cmds(), ["AUTHENTICATE"])
        assert.deepStrictEqual(fake.requests().map((r) => r.grantType), ["refresh_token"])
        assert.strictEqual(fake.requests()[0]!.form.refresh_token, t.raw.refreshToken)
        const stored = yield* storedToken
        assert.isTrue(Option.isSome(stored))
        if (Option.isSome(stored)) {
          assert.notStrictEqual(Redacted.value(stored.value.refreshToken), t.raw.refreshToken)
          assert.notStrictEqual(Redacted.value(stored.value.accessToken), t.raw.accessToken)
          assert.strictEqual(s.calls[0]!.args.access_token, Redacted.value(stored.value.accessToken))
        }
      }).pipe(Effect.provide(flowLayer(fake, { tokens: { [ID]: t.stored } })))
    }))

  it.effect("a token with less than the margin left is used as it is and refreshed halfway through what is left", () =>
    Effect.gen(function*() {
      const fake = yield* FakeOAuth.make()
      const t = seeded(fake, { expiresAt: 2 * 3600_000 }) // 2 hours left
      const s = scriptedSession(fake)
      yield* Effect.gen(function*() {
        yield* Authenticator.use((a) => a.authenticate(s.session))
        assert.deepStrictEqual(s.cmds(), ["AUTHENTICATE"])
        assert.strictEqual(s.calls[0]!.args.access_token, t.raw.accessToken)
        assert.strictEqual(fake.requests().length, 0)
        yield* TestClock.adjust(3600_000 - 1)
        assert.strictEqual(fake.requests().length, 0)
        yield* TestClock.adjust(1)
        yield* awaitRefreshes(fake, 1)
      }).pipe(Effect.provide(flowLayer(fake, { tokens: { [ID]: t.stored } })))
    }))

  it.effect("4009 on the stored token: refresh → AUTHENTICATE again", () =>
    Effect.gen(function*() {
      const fake = yield* FakeOAuth.make()
      const t = seeded(fake)
      fake.expireAccessTokens()
      const s = scriptedSession(fake)
      yield* Effect.gen(function*() {
        yield* Authenticator.use((a) => a.authenticate(s.session))
        assert.deepStrictEqual(s.cmds(), ["AUTHENTICATE", "AUTHENTICATE"])
        assert.deepStrictEqual(fake.requests().map((r) => r.grantType), ["refresh_token"])
        const stored = yield* storedToken
        if (Option.isSome(stored)) assert.notStrictEqual(Redacted.value(stored.value.refreshToken), t.raw.refreshToken)
        else assert.fail("tokens should be stored")
      }).pipe(Effect.provide(flowLayer(fake, { tokens: { [ID]: t.stored } })))
    }))

  it.effect("refresh refused (invalid_grant): AUTHORIZE with prompt none → exchange → AUTHENTICATE", () =>
    Effect.gen(function*() {
      const fake = yield* FakeOAuth.make()
      const t = seeded(fake)
      fake.expireAccessTokens()
      fake.script("refresh_token", { _tag: "InvalidGrant" })
      const s = scriptedSession(fake)
      yield* Authenticator.use((a) => a.authenticate(s.session)).pipe(
        Effect.provide(flowLayer(fake, { tokens: { [ID]: t.stored } }))
      )
      assert.deepStrictEqual(s.cmds(), ["AUTHENTICATE", "AUTHORIZE", "AUTHENTICATE"])
      assert.strictEqual(s.calls[1]!.args.prompt, "none")
      assert.deepStrictEqual(fake.requests().map((r) => r.grantType), ["refresh_token", "authorization_code"])
    }))

  it.effect("revocation drops the stored tokens; the next connection authorizes with consent", () =>
    Effect.gen(function*() {
      const fake = yield* FakeOAuth.make()
      const t = seeded(fake)
      yield* Effect.gen(function*() {
        const auth = yield* Authenticator
        yield* auth.authenticate(scriptedSession(fake).session)
        yield* auth.tokenRevoked
        assert.isTrue(Option.isNone(yield* storedToken))
        fake.revokeAll()
        const s = scriptedSession(fake)
        yield* auth.authenticate(s.session)
        assert.deepStrictEqual(s.cmds(), ["AUTHORIZE", "AUTHENTICATE"])
        assert.strictEqual(s.calls[0]!.args.prompt, "consent")
      }).pipe(Effect.provide(flowLayer(fake, { tokens: { [ID]: t.stored } })))
    }))

  it.effect("a wrong client secret is a non-retried error that says how to fix it", () =>
    Effect.gen(function*() {
      const fake = yield* FakeOAuth.make({ clients: { [ID]: "the-real-secret" } })
      const s = scriptedSession(fake)
      const error = yield* Authenticator.use((a) => a.authenticate(s.session)).pipe(
        Effect.provide(flowLayer(fake)),
        Effect.flip
      )
      assert.isFalse(error.retry)
      assert.include(error.message, "invalid_client")
      assert.include(error.message, "deckcord auth")
      assert.notInclude(error.message, SECRET)
    }))

  it.effect("no client secret configured: a clear non-retried error, nothing sent", () =>
    Effect.gen(function*() {
      const fake = yield* FakeOAuth.make()
      const s = scriptedSession(fake)
      const error = yield* Authenticator.use((a) => a.authenticate(s.session)).pipe(
        Effect.provide(flowLayer(fake, { config: { clientId: ID } })),
        Effect.flip
      )
      assert.isFalse(error.retry)
      assert.include(error.message, "clientSecret")
      assert.deepStrictEqual(s.cmds(), [])
    }))

  it.effect("stored grant lacks a needed scope: ONE re-authorization, never a loop", () =>
    Effect.gen(function*() {
      const fake = yield* FakeOAuth.make()
      const t = seeded(fake)
      const withVideo = [...BASE, "rpc.video.read", "rpc.video.write"]
      yield* Effect.gen(function*() {
        const auth = yield* Authenticator
        // Discord grants only the old scopes (e.g. the app may not grant video)
        const s1 = scriptedSession(fake, [{ _tag: "Approve", grant: BASE }])
        const e1 = yield* auth.authenticate(s1.session).pipe(Effect.flip)
        assert.deepStrictEqual(s1.cmds(), ["AUTHORIZE"])
        assert.deepStrictEqual(s1.calls[0]!.args.scopes, withVideo)
        assert.strictEqual(s1.calls[0]!.args.prompt, "none")
        assert.isFalse(e1.retry)
        assert.include(e1.message, "rpc.video.read")
        // the next connection does not prompt again
        const s2 = scriptedSession(fake)
        const e2 = yield* auth.authenticate(s2.session).pipe(Effect.flip)
        assert.deepStrictEqual(s2.cmds(), [])
        assert.isFalse(e2.retry)
      }).pipe(Effect.provide(flowLayer(fake, { config: config({ scopes: ["video"] }), tokens: { [ID]: t.stored } })))
    }))

  it.effect("missing scope granted on re-authorization: authenticated with the wider grant", () =>
    Effect.gen(function*() {
      const fake = yield* FakeOAuth.make()
      const t = seeded(fake)
      const s = scriptedSession(fake)
      const result = yield* Authenticator.use((a) => a.authenticate(s.session)).pipe(
        Effect.provide(flowLayer(fake, { config: config({ scopes: ["screenshare"] }), tokens: { [ID]: t.stored } }))
      )
      assert.deepStrictEqual(s.cmds(), ["AUTHORIZE", "AUTHENTICATE"])
      assert.include(result?.scopes ?? [], "rpc.screenshare.write")
    }))

  it.effect("a command refused for lack of scope: its scope group is added and authorized ONCE, never a loop", () =>
    Effect.gen(function*() {
      const fake = yield* FakeOAuth.make()
      const t = seeded(fake)
      yield* Effect.gen(function*() {
        const auth = yield* Authenticator
        assert.isTrue(yield* auth.scopeRejected({ cmd: "TOGGLE_VIDEO" }))
        assert.isFalse(yield* auth.scopeRejected({ cmd: "TOGGLE_VIDEO" }), "a burst asks for one reconnect")
        const s1 = scriptedSession(fake)
        const result = yield* auth.authenticate(s1.session)
        assert.deepStrictEqual(s1.cmds(), ["AUTHORIZE", "AUTHENTICATE"])
        assert.deepStrictEqual(s1.calls[0]!.args.scopes, [...BASE, "rpc.video.read", "rpc.video.write"])
        assert.strictEqual(s1.calls[0]!.args.prompt, "none")
        assert.include(result?.scopes ?? [], "rpc.video.write")
        // refused again with that grant: reported, not re-authorized
        assert.isFalse(yield* auth.scopeRejected({ cmd: "TOGGLE_VIDEO" }))
        const s2 = scriptedSession(fake)
        yield* auth.authenticate(s2.session)
        assert.deepStrictEqual(s2.cmds(), ["AUTHENTICATE"])
      }).pipe(Effect.provide(flowLayer(fake, { tokens: { [ID]: t.stored } })))
    }))

  it.effect("refused although the stored grant lists every scope: one re-authorization with the same scopes", () =>
    Effect.gen(function*() {
      const fake = yield* FakeOAuth.make()
      const t = seeded(fake)
      yield* Effect.gen(function*() {
        const auth = yield* Authenticator
        assert.isTrue(yield* auth.scopeRejected({ cmd: "SUBSCRIBE", evt: "VOICE_SETTINGS_UPDATE" }))
        const s1 = scriptedSession(fake)
        yield* auth.authenticate(s1.session)
        assert.deepStrictEqual(s1.cmds(), ["AUTHORIZE", "AUTHENTICATE"])
        assert.deepStrictEqual(s1.calls[0]!.args.scopes, BASE)
        assert.isFalse(yield* auth.scopeRejected({ cmd: "SUBSCRIBE", evt: "VOICE_SETTINGS_UPDATE" }))
      }).pipe(Effect.provide(flowLayer(fake, { tokens: { [ID]: t.stored } })))
    }))

  it.effect("AUTHORIZE failures a person must fix are not retried and say what to do", () =>
    Effect.gen(function*() {
      const fake = yield* FakeOAuth.make()
      const run = (behavior: AuthorizeBehavior) =>
        Authenticator.use((a) => a.authenticate(scriptedSession(fake, [behavior]).session)).pipe(
          Effect.provide(flowLayer(fake)),
          Effect.flip
        )
      const denied = yield* run({ _tag: "Deny" })
      assert.isFalse(denied.retry)
      assert.include(denied.message, "cancelled")
      const timeout = yield* run({ _tag: "Timeout" })
      assert.isFalse(timeout.retry)
      assert.include(timeout.message, "deckcord auth")
      const scope = yield* run({ _tag: "InvalidScope" })
      assert.isFalse(scope.retry)
      assert.include(scope.message, "invalid_scope")
      assert.include(scope.message, "OWN")
      assert.include(scope.message, "redirect URI")
      const redirect = yield* run({ _tag: "NoRedirect" })
      assert.isFalse(redirect.retry)
      assert.include(redirect.message, "OAuth2 → Redirects")
    }))

  it.effect("token endpoint trouble is retryable", () =>
    Effect.gen(function*() {
      const fake = yield* FakeOAuth.make()
      fake.script("authorization_code", { _tag: "ServerError" })
      const error = yield* Authenticator.use((a) => a.authenticate(scriptedSession(fake).session)).pipe(
        Effect.provide(flowLayer(fake)),
        Effect.flip
      )
      assert.isTrue(error.retry)
    }))

  it.effect("refreshes in the background ahead of expiry while running", () =>
    Effect.gen(function*() {
      const fake = yield* FakeOAuth.make()
      const t = seeded(fake, { expiresAt: 3 * DAY })
      const oauth = countingRefreshes(fake)
      yield* Effect.gen(function*() {
        yield* Authenticator.use((a) => a.authenticate(scriptedSession(fake).session))
        assert.strictEqual(oauth.asked(), 0)
        yield* TestClock.adjust(2 * DAY - 1000)
        yield* Effect.yieldNow // a refresh due by now would have been asked for
        assert.strictEqual(oauth.asked(), 0, "refreshed a second early")
        yield* TestClock.adjust(1000)
        yield* until("the background refresh asked for", Effect.sync(() => oauth.asked() === 1))
        yield* until("the background refresh", Effect.sync(() => fake.requests().length > 0))
        assert.deepStrictEqual(fake.requests().map((r) => r.grantType), ["refresh_token"])
        yield* until(
          "the refreshed token stored",
          Effect.map(storedToken, (s) => Option.isSome(s) && Redacted.value(s.value.refreshToken) !== t.raw.refreshToken)
        )
      }).pipe(Effect.provide(flowLayer(fake, { tokens: { [ID]: t.stored }, oauth: oauth.layer })))
    }))

  it.effect("no secret, token or code appears in any log line of a full flow", () =>
    Effect.gen(function*() {
      const lines: Array<string> = []
      const logger = Logger.layer([Logger.map(Logger.formatJson, (l) => void lines.push(l))])
      const fake = yield* FakeOAuth.make({ clients: { [ID]: SECRET } })
      const t = seeded(fake)
      const sessions = [scriptedSession(fake), scriptedSession(fake), scriptedSession(fake)]
      yield* Effect.gen(function*() {
        const auth = yield* Authenticator
        fake.expireAccessTokens() // 4009 → refresh
        yield* auth.authenticate(sessions[0]!.session)
        fake.expireAccessTokens()
        fake.script("refresh_token", { _tag: "InvalidGrant" }) // → AUTHORIZE → exchange
        yield* auth.authenticate(sessions[1]!.session)
        yield* auth.tokenRevoked
        yield* auth.authenticate(sessions[2]!.session) // first-run path again
      }).pipe(Effect.provide(flowLayer(fake, { tokens: { [ID]: t.stored } })), Effect.provide(logger))

      const secrets = new Set<string>([SECRET, t.raw.accessToken, t.raw.refreshToken])
      for (const r of fake.requests()) {
        for (const k of ["code", "refresh_token", "client_secret"]) if (r.form[k]) secrets.add(r.form[k])
      }
      for (const s of sessions) {
        for (const c of s.calls) if (typeof c.args.access_token === "string") secrets.add(c.args.access_token)
      }
      assert.isAtLeast(secrets.size, 8)
      assert.isAtLeast(lines.length, 5)
      for (const line of lines) {
        for (const secret of secrets) assert.notInclude(line, secret)
      }
    }))
})

// ---------------------------------------------------------------------------------------------
// end to end: DiscordRpc + OAuthFlow against FakeDiscord + FakeOAuth, over real sockets
// ---------------------------------------------------------------------------------------------

const FAST_RECONNECT = { absentBase: 20, absentCap: 100, failureBase: 50, failureCap: 200 }

const tempDir = Effect.acquireRelease(
  Effect.sync(() => Fs.mkdtempSync(NodePath.join(Os.tmpdir(), "deckcord-flow-"))),
  (dir) => Effect.sync(() => Fs.rmSync(dir, { recursive: true, force: true }))
)

const rpcLayer = (discord: FakeDiscordShape, oauth: FakeOAuthServer, tokenPath: string, extra: Partial<DeckcordConfig> = {}) =>
  DiscordRpc.layer({ clientId: ID, reconnect: FAST_RECONNECT }).pipe(
    Layer.provide(DiscordIpc.layerWith({ socketPaths: [discord.socketPath] })),
    Layer.provide(OAuthFlow.layer),
    Layer.provideMerge(
      Layer.mergeAll(
        Settings.layerStatic(config(extra)),
        TokenStore.layerWith({ tokenPath }).pipe(Layer.provide(NodeFileSystem.layer)),
        OAuth.layerWith({ baseUrl: oauth.baseUrl })
      )
    )
  )

const nextState = (tag: ConnectionState["_tag"], predicate: (s: ConnectionState) => boolean = () => true) =>
  DiscordRpc.use((rpc) =>
    rpc.stateChanges.pipe(
      Stream.filter((s) => s._tag === tag && predicate(s)),
      Stream.runHead,
      Effect.timeout("10 seconds"),
      Effect.flatMap(Effect.fromOption)
    )
  )

const authorizeFrames = (discord: FakeDiscordShape) =>
  discord.framesReceived().pipe(
    Effect.map((frames) =>
      frames.flatMap((f) => {
        const p = f.payload as { cmd?: string; args?: Record<string, unknown> } | null
        return p?.cmd === "AUTHORIZE" ? [{ connection: f.connection, args: p.args ?? {} }] : []
      })
    )
  )

describe("OAuthFlow end to end (DiscordRpc, FakeDiscord, FakeOAuth)", () => {
  it.live("first run authorizes and stores tokens; the next start authenticates without a prompt", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const tokenPath = NodePath.join(dir, "tokens.json")
      const oauth = yield* FakeOAuth.make({ clients: { [ID]: SECRET } })
      const discord = yield* FakeDiscord.make({ authority: oauth })

      const first = yield* nextState("Ready").pipe(Effect.provide(rpcLayer(discord, oauth, tokenPath)), Effect.provide(quietLogs))
      assert.strictEqual(first._tag, "Ready")
      if (first._tag === "Ready") assert.includeMembers([...(first.authenticated?.scopes ?? [])], BASE)
      assert.deepStrictEqual(oauth.requests().map((r) => r.grantType), ["authorization_code"])
      assert.strictEqual((yield* authorizeFrames(discord))[0]?.args.prompt, "consent")
      assert.strictEqual(Fs.statSync(tokenPath).mode & 0o777, 0o600)

      // a restart: a new client, the same token file
      yield* nextState("Ready").pipe(Effect.provide(rpcLayer(discord, oauth, tokenPath)), Effect.provide(quietLogs))
      assert.strictEqual((yield* authorizeFrames(discord)).length, 1, "no second AUTHORIZE")
      assert.strictEqual(oauth.requests().length, 1, "no token request either")
    }))

  it.live("an expired access token is refreshed through the token endpoint (4009 → refresh → AUTHENTICATE)", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const tokenPath = NodePath.join(dir, "tokens.json")
      const oauth = yield* FakeOAuth.make({ clients: { [ID]: SECRET } })
      const discord = yield* FakeDiscord.make({ authority: oauth })
      yield* nextState("Ready").pipe(Effect.provide(rpcLayer(discord, oauth, tokenPath)), Effect.provide(quietLogs))
      oauth.expireAccessTokens()
      yield* nextState("Ready").pipe(Effect.provide(rpcLayer(discord, oauth, tokenPath)), Effect.provide(quietLogs))
      assert.deepStrictEqual(oauth.requests().map((r) => r.grantType), ["authorization_code", "refresh_token"])
      assert.strictEqual((yield* authorizeFrames(discord)).length, 1)
    }))

  it.live("revocation (close 4003) drops the tokens and the reconnect authorizes with consent", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const tokenPath = NodePath.join(dir, "tokens.json")
      const oauth = yield* FakeOAuth.make({ clients: { [ID]: SECRET } })
      const discord = yield* FakeDiscord.make({ authority: oauth })
      yield* Effect.gen(function*() {
        yield* nextState("Ready")
        oauth.revokeAll()
        yield* discord.revokeToken()
        yield* nextState("Disconnected", (s) => s._tag === "Disconnected" && s.reason.closeCode === 4003)
        yield* nextState("Ready")
        const frames = yield* authorizeFrames(discord)
        assert.strictEqual(frames.length, 2)
        assert.strictEqual(frames[1]?.args.prompt, "consent")
      }).pipe(Effect.provide(rpcLayer(discord, oauth, tokenPath)), Effect.provide(quietLogs))
    }))

  it.live("a camera toggle refused for lack of scope re-authorizes once with the video scopes, then works", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const oauth = yield* FakeOAuth.make({ clients: { [ID]: SECRET } })
      const discord = yield* FakeDiscord.make({ authority: oauth })
      yield* Effect.gen(function*() {
        const rpc = yield* DiscordRpc
        yield* nextState("Ready")
        const refused = yield* rpc.toggleVideo().pipe(Effect.flip)
        assert.strictEqual(refused._tag === "RpcCommandError" ? refused.code : undefined, 4006)
        yield* nextState("Ready", (s) => s._tag === "Ready" && (s.authenticated?.scopes ?? []).includes("rpc.video.write"))
        yield* rpc.toggleVideo()
        const frames = yield* authorizeFrames(discord)
        assert.strictEqual(frames.length, 2)
        assert.includeMembers([...(frames[1]!.args.scopes as ReadonlyArray<string>)], ["rpc.video.write"])
        assert.strictEqual(frames[1]!.args.prompt, "none")
      }).pipe(Effect.provide(rpcLayer(discord, oauth, NodePath.join(dir, "tokens.json"))), Effect.provide(quietLogs))
    }))

  it.live("invalid_scope ends in an AuthenticationFailed state that explains the Developer-Portal reality", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const oauth = yield* FakeOAuth.make({ clients: { [ID]: SECRET } })
      const discord = yield* FakeDiscord.make({ authority: oauth, grantableScopes: ["rpc", "identify"] })
      const state = yield* nextState("Disconnected", (s) => s._tag === "Disconnected" && s.reason._tag === "AuthenticationFailed")
        .pipe(Effect.provide(rpcLayer(discord, oauth, NodePath.join(dir, "tokens.json"))), Effect.provide(quietLogs))
      assert.strictEqual(state._tag, "Disconnected")
      if (state._tag === "Disconnected") {
        assert.include(state.reason.message, "invalid_scope")
        assert.include(state.reason.message, "OWN")
      }
    }))
})

describe("deckcord auth (runAuth) end to end", () => {
  const authLayer = (dir: string, oauth: FakeOAuthServer) =>
    Layer.mergeAll(
      Settings.layerWith({ configPath: NodePath.join(dir, "config.json") }),
      TokenStore.layerWith({ tokenPath: NodePath.join(dir, "tokens.json") }),
      OAuth.layerWith({ baseUrl: oauth.baseUrl })
    ).pipe(Layer.provideMerge(NodeServices.layer))

  const flags = (clientId: string, secret: string) => ({
    clientId: Option.some(clientId),
    clientSecret: Option.some(Redacted.make(secret)),
    reauthorize: false,
    interactive: false
  })

  it.live("with flags: saves the credentials 0600, authorizes, stores tokens", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const oauth = yield* FakeOAuth.make({ clients: { [ID]: SECRET } })
      const discord = yield* FakeDiscord.make({ authority: oauth })
      Fs.writeFileSync(NodePath.join(dir, "config.json"), JSON.stringify({ socketPath: discord.socketPath, brightness: 33 }))
      yield* runAuth(flags(ID, SECRET)).pipe(Effect.provide(authLayer(dir, oauth)), Effect.provide(quietLogs))
      const configFile = NodePath.join(dir, "config.json")
      assert.strictEqual(Fs.statSync(configFile).mode & 0o777, 0o600)
      assert.deepStrictEqual(JSON.parse(Fs.readFileSync(configFile, "utf8")), {
        socketPath: discord.socketPath,
        brightness: 33,
        clientId: ID,
        clientSecret: SECRET
      })
      const stored = JSON.parse(Fs.readFileSync(NodePath.join(dir, "tokens.json"), "utf8"))
      assert.deepStrictEqual(stored.tokens[ID].scopes, BASE)
    }))

  it.live("a code exchange that fails for a while: it waits and finishes with the same code, one dialog", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const oauth = yield* FakeOAuth.make({ clients: { [ID]: SECRET } })
      const discord = yield* FakeDiscord.make({ authority: oauth })
      Fs.writeFileSync(NodePath.join(dir, "config.json"), JSON.stringify({ socketPath: discord.socketPath }))
      oauth.script("authorization_code", { _tag: "ServerError", status: 503 })
      yield* runAuth(flags(ID, SECRET)).pipe(Effect.provide(authLayer(dir, oauth)), Effect.provide(quietLogs))
      assert.strictEqual(oauth.requestCount("authorization_code"), 2)
      assert.strictEqual(oauth.consentPrompts(), 1)
      const stored = JSON.parse(Fs.readFileSync(NodePath.join(dir, "tokens.json"), "utf8"))
      assert.deepStrictEqual(stored.tokens[ID].scopes, BASE)
    }))

  it.live("each failure has its own exit code and explanation", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const oauth = yield* FakeOAuth.make({ clients: { [ID]: SECRET } })
      const configFile = NodePath.join(dir, "config.json")
      const run = (options: ReturnType<typeof flags>) =>
        runAuth(options).pipe(
          Effect.provide(authLayer(dir, oauth)),
          Effect.provide(quietLogs),
          Effect.flip,
          Effect.flatMap((e) => (e._tag === "AuthCommandError" ? Effect.succeed(e) : Effect.die(`unexpected ${e._tag}`)))
        )

      // a malformed id: nothing written
      const badId = yield* run(flags("12345", SECRET))
      assert.strictEqual(badId.exitCode, 2)
      assert.include(badId.message, "Application ID")
      assert.isFalse(Fs.existsSync(configFile))

      // no terminal and no flags: no hang
      const noTty = yield* run({ ...flags(ID, SECRET), clientSecret: Option.none() })
      assert.strictEqual(noTty.exitCode, 2)
      assert.include(noTty.message, "--client-secret")

      // Discord not running
      Fs.writeFileSync(configFile, JSON.stringify({ socketPath: NodePath.join(dir, "no-such-socket") }))
      const absent = yield* run(flags(ID, SECRET))
      assert.strictEqual(absent.exitCode, 3)
      assert.include(absent.message, "Start the Discord desktop app")

      // Discord rejects the application id (close 4000)
      const strict = yield* FakeDiscord.make({ authority: oauth, clientIds: ["998877665544332211"] })
      Fs.writeFileSync(configFile, JSON.stringify({ socketPath: strict.socketPath }))
      const rejected = yield* run(flags(ID, SECRET))
      assert.strictEqual(rejected.exitCode, 4)
      assert.include(rejected.message, "General Information")

      // wrong secret (invalid_client)
      const discord = yield* FakeDiscord.make({ authority: oauth })
      Fs.writeFileSync(configFile, JSON.stringify({ socketPath: discord.socketPath }))
      const wrongSecret = yield* run(flags(ID, "not-the-secret"))
      assert.strictEqual(wrongSecret.exitCode, 5)
      assert.include(wrongSecret.message, "invalid_client")
      assert.notInclude(wrongSecret.message, "not-the-secret")

      // the user clicks Cancel
      const denying = yield* FakeDiscord.make({ authority: oauth, authorizeBehavior: "deny" })
      Fs.writeFileSync(configFile, JSON.stringify({ socketPath: denying.socketPath }))
      const denied = yield* run(flags(ID, SECRET))
      assert.strictEqual(denied.exitCode, 5)
      assert.include(denied.message, "cancelled")

      // arRPC / Vesktop only
      const arrpc = yield* FakeDiscord.make({ flavor: "arrpc" })
      Fs.writeFileSync(configFile, JSON.stringify({ socketPath: arrpc.socketPath }))
      const arOnly = yield* run(flags(ID, SECRET))
      assert.strictEqual(arOnly.exitCode, 3)
      assert.include(arOnly.message, "official Discord desktop client")
    }))
})

// ---------------------------------------------------------------------------------------------
// refresh for any token lifetime, one prompt per attempt, hints, Discord-side scope outages
// ---------------------------------------------------------------------------------------------

describe("OAuthFlow: refresh for any token lifetime", () => {
  it.effect("a 1-hour token is refreshed every 30 minutes, never in a loop", () =>
    Effect.gen(function*() {
      const fake = yield* FakeOAuth.make({ expiresInSeconds: 3600 })
      const t = seeded(fake, { expiresAt: 3600_000 })
      yield* Effect.gen(function*() {
        yield* Authenticator.use((a) => a.authenticate(scriptedSession(fake).session))
        assert.strictEqual(refreshRequests(fake), 0)
        for (let round = 1; round <= 6; round++) {
          yield* TestClock.adjust(30 * 60_000)
          yield* awaitRefreshes(fake, round)
          assert.strictEqual(refreshRequests(fake), round, `after ${round * 30} minutes`)
        }
        const stored = yield* storedToken
        assert.isTrue(Option.isSome(stored) && Redacted.value(stored.value.refreshToken) !== t.raw.refreshToken)
      }).pipe(Effect.provide(flowLayer(fake, { tokens: { [ID]: t.stored } })))
    }))

  it.effect("a token that lives 10 seconds is refreshed at most once a minute", () =>
    Effect.gen(function*() {
      const fake = yield* FakeOAuth.make({ expiresInSeconds: 10 })
      const t = seeded(fake, { expiresAt: 10_000 })
      yield* Effect.gen(function*() {
        yield* Authenticator.use((a) => a.authenticate(scriptedSession(fake).session))
        yield* TestClock.adjust(5_000) // half of what is left
        yield* awaitRefreshes(fake, 1)
        yield* TestClock.adjust(59_999)
        assert.strictEqual(refreshRequests(fake), 1, "not again within a minute")
        yield* TestClock.adjust(1)
        yield* awaitRefreshes(fake, 2)
        yield* TestClock.adjust(60_000)
        yield* awaitRefreshes(fake, 3)
        assert.strictEqual(refreshRequests(fake), 3)
      }).pipe(Effect.provide(flowLayer(fake, { tokens: { [ID]: t.stored } })))
    }))

  it("the refresh delay: the margin for long-lived tokens, half of what is left for short ones", () => {
    const margin = DAY
    assert.strictEqual(refreshDelayMillis(7 * DAY, margin), 6 * DAY)
    assert.strictEqual(refreshDelayMillis(3600_000, margin), 1800_000)
    assert.strictEqual(refreshDelayMillis(0, margin), 0)
    assert.strictEqual(refreshDelayMillis(-5, margin), 0)
  })

  it.live("one refresh in flight: two connections needing one share it, and a dropped one does not abort it", () =>
    Effect.gen(function*() {
      const fake = yield* FakeOAuth.make()
      const t = seeded(fake)
      fake.expireAccessTokens()
      fake.script("refresh_token", { _tag: "Slow", delayMillis: 150 })
      yield* Effect.gen(function*() {
        const auth = yield* Authenticator
        // the first connection drops while its refresh is on the way
        const dropped = yield* Effect.forkChild(auth.authenticate(scriptedSession(fake).session))
        yield* until("the refresh on the way", Effect.sync(() => fake.requestCount("refresh_token") > 0))
        yield* Fiber.interrupt(dropped)
        const second = scriptedSession(fake)
        yield* auth.authenticate(second.session)
        assert.strictEqual(fake.requestCount("refresh_token"), 1, "one refresh, shared")
        assert.deepStrictEqual(second.cmds(), ["AUTHENTICATE", "AUTHENTICATE"])
        const stored = yield* storedToken
        assert.isTrue(Option.isSome(stored) && Redacted.value(stored.value.refreshToken) !== t.raw.refreshToken)
      }).pipe(Effect.provide(flowLayer(fake, { tokens: { [ID]: t.stored } })), Effect.provide(quietLogs))
    }))
})

describe("OAuthFlow: a Discord-side scope outage", () => {
  const OUTAGE = { scopes: ["rpc", "rpc.voice.write"] }

  it.effect("invalid_scope for scopes granted before: Discord's side, tokens kept, asked again only after a pause", () =>
    Effect.gen(function*() {
      const fake = yield* FakeOAuth.make()
      const t = seeded(fake)
      fake.expireAccessTokens()
      fake.setOutage({ _tag: "InvalidGrant" }, "refresh_token") // the stored grant is gone: AUTHORIZE is needed
      fake.setScopeOutage(OUTAGE)
      yield* Effect.gen(function*() {
        const auth = yield* Authenticator
        const s1 = scriptedSession(fake)
        const e1 = yield* auth.authenticate(s1.session).pipe(Effect.flip)
        assert.deepStrictEqual(s1.cmds(), ["AUTHENTICATE", "AUTHORIZE"])
        assert.isTrue(e1.retry)
        assert.include(e1.message, "Discord's side")
        assert.notInclude(e1.message, "OWN")
        assert.notInclude(e1.message, "developers")
        assert.include(e1.hint ?? "", "by itself")
        const kept = yield* storedToken
        assert.isTrue(Option.isSome(kept) && Redacted.value(kept.value.refreshToken) === t.raw.refreshToken)

        // the next connection within the pause does not ask Discord again
        const s2 = scriptedSession(fake)
        const e2 = yield* auth.authenticate(s2.session).pipe(Effect.flip)
        assert.notInclude(s2.cmds(), "AUTHORIZE")
        assert.isTrue(e2.retry)

        // Discord recovers; after the pause the authorization goes through
        fake.setScopeOutage(undefined)
        yield* TestClock.adjust(60_000)
        const s3 = scriptedSession(fake)
        yield* auth.authenticate(s3.session)
        assert.deepStrictEqual(s3.cmds().slice(-2), ["AUTHORIZE", "AUTHENTICATE"])
      }).pipe(Effect.provide(flowLayer(fake, { tokens: { [ID]: t.stored } })))
    }))

  it.effect("a refused command during the outage: the stored token keeps voice working, no reconnect loop", () =>
    Effect.gen(function*() {
      const fake = yield* FakeOAuth.make()
      const t = seeded(fake)
      fake.setScopeOutage(OUTAGE)
      yield* Effect.gen(function*() {
        const auth = yield* Authenticator
        assert.isTrue(yield* auth.scopeRejected({ cmd: "SET_VOICE_SETTINGS" }))
        const s1 = scriptedSession(fake)
        const result = yield* auth.authenticate(s1.session)
        assert.deepStrictEqual(s1.cmds(), ["AUTHORIZE", "AUTHENTICATE"])
        assert.strictEqual(s1.calls[1]!.args.access_token, t.raw.accessToken)
        assert.deepStrictEqual(result?.scopes, BASE)
        assert.isFalse(yield* auth.scopeRejected({ cmd: "SET_VOICE_SETTINGS" }), "not again during the pause")
        assert.isTrue(Option.isSome(yield* storedToken))
      }).pipe(Effect.provide(flowLayer(fake, { tokens: { [ID]: t.stored } })))
    }))

  it.effect("the token endpoint refusing a refresh with invalid_scope: Discord's side, retried, tokens kept", () =>
    Effect.gen(function*() {
      const fake = yield* FakeOAuth.make()
      const t = seeded(fake)
      fake.expireAccessTokens()
      fake.setScopeOutage({ ...OUTAGE, tokenEndpoint: true })
      yield* Effect.gen(function*() {
        const auth = yield* Authenticator
        const e = yield* auth.authenticate(scriptedSession(fake).session).pipe(Effect.flip)
        assert.isTrue(e.retry)
        assert.include(e.message, "Discord's side")
        assert.notInclude(e.message, "OWN")
        const kept = yield* storedToken
        assert.isTrue(Option.isSome(kept) && Redacted.value(kept.value.refreshToken) === t.raw.refreshToken)
        fake.setScopeOutage(undefined)
        yield* auth.authenticate(scriptedSession(fake).session)
        assert.deepStrictEqual(fake.requests().map((r) => r.grantType), ["refresh_token", "refresh_token"])
      }).pipe(Effect.provide(flowLayer(fake, { tokens: { [ID]: t.stored } })))
    }))
})

describe("OAuthFlow end to end: one consent prompt per attempt, hints that name the cause", () => {
  const collectStates = Effect.gen(function*() {
    const rpc = yield* DiscordRpc
    const seen: Array<ConnectionState> = []
    yield* rpc.stateChanges.pipe(Stream.runForEach((s) => Effect.sync(() => void seen.push(s))), Effect.forkScoped)
    return seen
  })
  const untilRequests = (oauth: FakeOAuthServer, grantType: "authorization_code" | "refresh_token", count: number) =>
    Effect.gen(function*() {
      yield* until(`${count} ${grantType} requests`, Effect.sync(() => oauth.requestCount(grantType) >= count))
    })

  it.live("after a revocation, three HTTP 500s on the code exchange: the consent dialog shows once", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const oauth = yield* FakeOAuth.make({ clients: { [ID]: SECRET } })
      const discord = yield* FakeDiscord.make({ authority: oauth })
      yield* Effect.gen(function*() {
        yield* nextState("Ready")
        assert.strictEqual(oauth.consentPrompts(), 1)
        oauth.revokeAll()
        oauth.script("authorization_code", { _tag: "ServerError" }, { _tag: "ServerError" }, { _tag: "ServerError" })
        yield* discord.revokeToken()
        yield* nextState("Disconnected", (s) => s._tag === "Disconnected" && s.reason.closeCode === 4003)
        yield* nextState("Ready")
        assert.strictEqual(oauth.requestCount("authorization_code"), 5, "first run, three failures, the retry that worked")
        assert.strictEqual(oauth.consentPrompts(), 2, "one dialog for the first run, one after the revocation")
        assert.strictEqual(oauth.abandonedCodes(), 0)
        assert.strictEqual((yield* authorizeFrames(discord)).length, 2)
      }).pipe(Effect.provide(rpcLayer(discord, oauth, NodePath.join(dir, "tokens.json"))), Effect.provide(quietLogs))
    }))

  it.live("the token endpoint unreachable after a revocation: one dialog; the kept code is exchanged once the network is back", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const oauth = yield* FakeOAuth.make({ clients: { [ID]: SECRET } })
      const discord = yield* FakeDiscord.make({ authority: oauth })
      yield* Effect.gen(function*() {
        const states = yield* collectStates
        yield* nextState("Ready")
        oauth.revokeAll()
        oauth.setOutage({ _tag: "Unreachable" })
        yield* discord.revokeToken()
        yield* untilRequests(oauth, "authorization_code", 1 + 8) // several failed tries
        const failed = states.filter((s) => s._tag === "Disconnected" && s.reason._tag === "AuthenticationFailed")
        assert.isNotEmpty(failed)
        for (const s of failed) {
          if (s._tag !== "Disconnected") continue
          assert.notInclude(s.reason.hint ?? "", "deckcord auth", "a network failure needs nobody to run anything")
          assert.include(s.reason.hint ?? "", "by itself")
          // nor do the keys ask anyone to sign in
          const keys = unavailability({ connection: s, synced: false } as VoiceModel, true)
          assert.strictEqual(keys?.short, "retrying")
        }
        oauth.setOutage(undefined)
        yield* nextState("Ready")
        assert.strictEqual(oauth.consentPrompts(), 2)
        assert.strictEqual(oauth.codesIssued(), 2)
        assert.strictEqual(oauth.abandonedCodes(), 0)
      }).pipe(Effect.provide(rpcLayer(discord, oauth, NodePath.join(dir, "tokens.json"))), Effect.provide(quietLogs))
    }))

  it.live("an AUTHENTICATE that times out: the hint says deckcord retries by itself, and it does", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const oauth = yield* FakeOAuth.make({ clients: { [ID]: SECRET } })
      const discord = yield* FakeDiscord.make({ authority: oauth })
      yield* discord.withholdReplies("AUTHENTICATE")
      const layer = DiscordRpc.layer({ clientId: ID, reconnect: FAST_RECONNECT, requestTimeout: 200 }).pipe(
        Layer.provide(DiscordIpc.layerWith({ socketPaths: [discord.socketPath] })),
        Layer.provide(OAuthFlow.layer),
        Layer.provideMerge(
          Layer.mergeAll(
            Settings.layerStatic(config()),
            TokenStore.layerWith({ tokenPath: NodePath.join(dir, "tokens.json") }).pipe(Layer.provide(NodeFileSystem.layer)),
            OAuth.layerWith({ baseUrl: oauth.baseUrl })
          )
        )
      )
      yield* Effect.gen(function*() {
        const failed = yield* nextState("Disconnected", (s) => s._tag === "Disconnected" && s.reason._tag === "AuthenticationFailed")
        if (failed._tag !== "Disconnected") return assert.fail("expected a failure")
        assert.include(failed.reason.message, "AUTHENTICATE")
        assert.notInclude(failed.reason.hint ?? "", "deckcord auth")
        assert.include(failed.reason.hint ?? "", "by itself")
        yield* discord.withholdReplies(undefined)
        yield* nextState("Ready")
        assert.strictEqual(oauth.consentPrompts(), 1, "the code exchanged before the timeout is not asked for again")
      }).pipe(Effect.provide(layer), Effect.provide(quietLogs))
    }))

  it.live("a camera key added while the token endpoint is unreachable: no scope error, no giving up", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const lines: Array<string> = []
      const logger = Logger.layer([Logger.map(Logger.formatJson, (l) => void lines.push(l))])
      const oauth = yield* FakeOAuth.make({ clients: { [ID]: SECRET } })
      const discord = yield* FakeDiscord.make({ authority: oauth })
      yield* Effect.gen(function*() {
        const rpc = yield* DiscordRpc
        const states = yield* collectStates
        yield* nextState("Ready")
        oauth.setOutage({ _tag: "Unreachable" })
        const exchangesBefore = oauth.requestCount("authorization_code")
        const refused = yield* rpc.toggleVideo().pipe(Effect.flip)
        assert.strictEqual(refused._tag === "RpcCommandError" ? refused.code : undefined, 4006)
        yield* untilRequests(oauth, "authorization_code", exchangesBefore + 8)
        oauth.setOutage(undefined)
        yield* nextState("Ready", (s) => s._tag === "Ready" && (s.authenticated?.scopes ?? []).includes("rpc.video.write"))
        yield* rpc.toggleVideo()
        const reasons = states.flatMap((s) => (s._tag === "Disconnected" ? [`${s.reason.message} ${s.reason.hint ?? ""}`] : []))
        for (const text of [...reasons, ...lines]) {
          assert.notInclude(text, "invalid_scope")
          assert.notInclude(text, "OWN")
        }
        assert.strictEqual(oauth.consentPrompts(), 2, "first run, then the camera scopes once")
        assert.isFalse(states.some((s) => s._tag === "Disconnected" && s.reason._tag === "AuthenticationFailed" &&
          (s.reason.hint ?? "").includes("deckcord auth")))
      }).pipe(
        Effect.provide(rpcLayer(discord, oauth, NodePath.join(dir, "tokens.json"))),
        Effect.provide(logger)
      )
    }))
})

describe("OAuthFlow: a code exchange that fails, under any interleaving", () => {
  /** The flow with the first code exchange held until `release`; `started` says it is held, `answered` that it is over. */
  const heldExchangeLayer = (fake: FakeOAuthServer) => {
    const started = Deferred.makeUnsafe<void>()
    const release = Deferred.makeUnsafe<void>()
    const answered = Deferred.makeUnsafe<void>()
    const oauth = Layer.effect(
      OAuth,
      Effect.gen(function*() {
        const real = yield* OAuth
        let held = false
        return OAuth.of({
          refresh: real.refresh,
          exchangeCode: (creds, code) =>
            Effect.suspend(() => {
              if (held) return real.exchangeCode(creds, code)
              held = true
              return Deferred.succeed(started, undefined).pipe(
                Effect.andThen(Deferred.await(release)),
                Effect.andThen(real.exchangeCode(creds, code)),
                // told from a fiber of its own, which runs once the flow has dealt with the answer
                Effect.ensuring(Effect.forkDetach(Deferred.succeed(answered, undefined)))
              )
            })
        })
      })
    ).pipe(Layer.provide(OAuth.layerWith({ baseUrl: fake.baseUrl })))
    const layer = OAuthFlow.layer.pipe(
      Layer.provideMerge(Layer.mergeAll(Settings.layerStatic(config()), TokenStore.layerMemory({}), oauth))
    )
    return { layer, started, release, answered }
  }

  type Session = ReturnType<typeof scriptedSession>
  const authorizes = (sessions: ReadonlyArray<Session>) => sessions.flatMap((s) => s.cmds()).filter((c) => c === "AUTHORIZE").length

  /** New connections one after another, as DiscordRpc's supervisor makes them, until one is authenticated. */
  const connectUntilAuthenticated = (fake: FakeOAuthServer, sessions: Array<Session>) =>
    Effect.gen(function*() {
      const auth = yield* Authenticator
      for (let i = 0; i < 4; i++) {
        const s = scriptedSession(fake)
        sessions.push(s)
        const exit = yield* Effect.exit(auth.authenticate(s.session))
        if (Exit.isSuccess(exit)) return
        const e = Option.getOrThrow(Exit.findErrorOption(exit))
        assert.isTrue(e.retry, `connection ${sessions.length} waits for the user: ${e.message}`)
      }
      assert.fail("not authenticated after 4 connections")
    })

  /** What holds whichever connection heard of the rejection: one new prompt, no waiting for the user. */
  const oneNewAttempt = (fake: FakeOAuthServer, sessions: ReadonlyArray<Session>) => {
    assert.strictEqual(authorizes(sessions), 2, "the rejected code's prompt and exactly one new one")
    assert.strictEqual(fake.consentPrompts(), 2)
    assert.strictEqual(fake.requestCount("authorization_code"), 2, "the dead code is not sent again")
    assert.strictEqual(fake.abandonedCodes(), 0)
  }

  it.effect("a malformed token reply is retried by itself with the same code: no new prompt, nobody asked", () =>
    Effect.gen(function*() {
      const fake = yield* FakeOAuth.make({ clients: { [ID]: SECRET } })
      fake.script("authorization_code", { _tag: "Malformed" })
      yield* Effect.gen(function*() {
        const auth = yield* Authenticator
        const first = scriptedSession(fake)
        const e = yield* auth.authenticate(first.session).pipe(Effect.flip)
        assert.isTrue(e.retry, e.message)
        assert.include(e.message, "not a token response")
        assert.include(e.message, "keeps the code and retries by itself")
        assert.strictEqual(authenticationHint(e), RETRIES_BY_ITSELF_HINT)
        // the next connection (after DiscordRpc's backoff) finishes the same attempt
        const second = scriptedSession(fake)
        yield* auth.authenticate(second.session)
        assert.deepStrictEqual(second.cmds(), ["AUTHENTICATE"])
        const [tried, retried] = fake.requests()
        assert.strictEqual(retried?.form.code, tried?.form.code, "the same code, exchanged once it could be read")
        assert.strictEqual(fake.consentPrompts(), 1)
        assert.isTrue(Option.isSome(yield* storedToken))
      }).pipe(Effect.provide(flowLayer(fake)), Effect.provide(quietLogs))
    }))

  it.effect("a rejected code (invalid_grant), heard by the connection that asked: one new attempt by itself", () =>
    Effect.gen(function*() {
      const fake = yield* FakeOAuth.make({ clients: { [ID]: SECRET } })
      fake.script("authorization_code", { _tag: "InvalidGrant" })
      yield* Effect.gen(function*() {
        const auth = yield* Authenticator
        const first = scriptedSession(fake)
        const e = yield* auth.authenticate(first.session).pipe(Effect.flip)
        assert.isTrue(e.retry, e.message)
        assert.include(e.message, "invalid_grant")
        assert.include(e.message, "click Authorize")
        assert.include(authenticationHint(e), "click Authorize")
        assert.notInclude(authenticationHint(e), "deckcord auth")
        const sessions = [first]
        yield* connectUntilAuthenticated(fake, sessions)
        oneNewAttempt(fake, sessions)
      }).pipe(Effect.provide(flowLayer(fake)), Effect.provide(quietLogs))
    }))

  it.effect("a rejected code whose connection dropped mid-exchange, the next one joining it: one new attempt", () =>
    Effect.gen(function*() {
      const fake = yield* FakeOAuth.make({ clients: { [ID]: SECRET } })
      fake.script("authorization_code", { _tag: "InvalidGrant" })
      const held = heldExchangeLayer(fake)
      yield* Effect.gen(function*() {
        const auth = yield* Authenticator
        const first = scriptedSession(fake)
        const dropped = yield* Effect.forkChild(auth.authenticate(first.session))
        yield* Deferred.await(held.started)
        yield* Fiber.interrupt(dropped)
        // the next connection finds the exchange in flight and waits for it
        const second = scriptedSession(fake)
        const joined = yield* Effect.forkChild(Effect.exit(auth.authenticate(second.session)))
        yield* Effect.yieldNow
        yield* Deferred.succeed(held.release, undefined)
        const e = Option.getOrThrow(Exit.findErrorOption(yield* Fiber.join(joined)))
        assert.deepStrictEqual(second.cmds(), [], "it joined the exchange in flight instead of prompting")
        assert.isTrue(e.retry, e.message)
        assert.include(authenticationHint(e), "click Authorize")
        const sessions = [first, second]
        yield* connectUntilAuthenticated(fake, sessions)
        oneNewAttempt(fake, sessions)
      }).pipe(Effect.provide(held.layer), Effect.provide(quietLogs))
    }))

  it.effect("a rejected code whose connection dropped mid-exchange, nobody waiting: one new attempt", () =>
    Effect.gen(function*() {
      const fake = yield* FakeOAuth.make({ clients: { [ID]: SECRET } })
      fake.script("authorization_code", { _tag: "InvalidGrant" })
      const held = heldExchangeLayer(fake)
      yield* Effect.gen(function*() {
        const auth = yield* Authenticator
        const first = scriptedSession(fake)
        const dropped = yield* Effect.forkChild(auth.authenticate(first.session))
        yield* Deferred.await(held.started)
        yield* Fiber.interrupt(dropped)
        yield* Deferred.succeed(held.release, undefined)
        // the answer arrives with no connection to hear it
        yield* Deferred.await(held.answered)
        const sessions = [first]
        yield* connectUntilAuthenticated(fake, sessions)
        assert.deepStrictEqual(sessions[1]?.cmds(), ["AUTHORIZE", "AUTHENTICATE"], "the next connection found no code to wait for")
        oneNewAttempt(fake, sessions)
      }).pipe(Effect.provide(held.layer), Effect.provide(quietLogs))
    }))

  it.effect("two rejected codes in a row: one new attempt, then it waits for the user, never a loop of prompts", () =>
    Effect.gen(function*() {
      const fake = yield* FakeOAuth.make({ clients: { [ID]: SECRET } })
      fake.script("authorization_code", { _tag: "InvalidGrant" }, { _tag: "InvalidGrant" })
      yield* Effect.gen(function*() {
        const auth = yield* Authenticator
        const first = yield* auth.authenticate(scriptedSession(fake).session).pipe(Effect.flip)
        assert.isTrue(first.retry, first.message)
        const again = scriptedSession(fake)
        const second = yield* auth.authenticate(again.session).pipe(Effect.flip)
        assert.deepStrictEqual(again.cmds(), ["AUTHORIZE"])
        assert.isFalse(second.retry, "a second rejected code in a row waits for the user")
        assert.include(second.message, "invalid_grant")
        assert.include(authenticationHint(second), "status key")
        // the user asks again (status key, `deckcord auth`): one prompt, and it works
        const asked = scriptedSession(fake)
        yield* auth.authenticate(asked.session)
        assert.deepStrictEqual(asked.cmds(), ["AUTHORIZE", "AUTHENTICATE"])
        assert.strictEqual(fake.consentPrompts(), 3)
      }).pipe(Effect.provide(flowLayer(fake)), Effect.provide(quietLogs))
    }))

  /** After a revocation, `behavior` answers the code exchange; the states and AUTHORIZE frames on the way back to Ready. */
  const afterRevocation = (behavior: FakeTokenBehavior) =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const oauth = yield* FakeOAuth.make({ clients: { [ID]: SECRET } })
      const discord = yield* FakeDiscord.make({ authority: oauth })
      return yield* Effect.gen(function*() {
        const rpc = yield* DiscordRpc
        const states: Array<ConnectionState> = []
        yield* rpc.stateChanges.pipe(Stream.runForEach((s) => Effect.sync(() => void states.push(s))), Effect.forkScoped)
        yield* nextState("Ready")
        oauth.revokeAll()
        oauth.script("authorization_code", behavior)
        yield* discord.revokeToken()
        yield* nextState("Disconnected", (s) => s._tag === "Disconnected" && s.reason.closeCode === 4003)
        const from = states.length
        yield* nextState("Ready")
        const failed = states.slice(from).flatMap((s) =>
          s._tag === "Disconnected" && s.reason._tag === "AuthenticationFailed" ? [s] : []
        )
        return { oauth, failed, authorizes: (yield* authorizeFrames(discord)).length - 1 }
      }).pipe(Effect.provide(rpcLayer(discord, oauth, NodePath.join(dir, "tokens.json"))), Effect.provide(quietLogs))
    })

  it.live("end to end, a malformed token reply: retried with backoff and the same code, one dialog", () =>
    Effect.gen(function*() {
      const { oauth, failed, authorizes } = yield* afterRevocation({ _tag: "Malformed" })
      assert.strictEqual(failed.length, 1)
      assert.isTrue(failed[0]!.reason.retrying)
      assert.isAbove(failed[0]!.retryInMillis ?? 0, 0, "after the failure backoff")
      assert.include(failed[0]!.reason.hint ?? "", "by itself")
      assert.strictEqual(authorizes, 1, "no new prompt")
      assert.strictEqual(oauth.requestCount("authorization_code"), 3, "first run, the unreadable reply, the retry")
    }))

  it.live("end to end, a rejected code: exactly one new prompt, by itself", () =>
    Effect.gen(function*() {
      const { oauth, failed, authorizes } = yield* afterRevocation({ _tag: "InvalidGrant" })
      assert.strictEqual(failed.length, 1)
      assert.isTrue(failed[0]!.reason.retrying)
      assert.include(failed[0]!.reason.hint ?? "", "click Authorize")
      assert.strictEqual(authorizes, 2, "the rejected code's prompt and one new one")
      assert.strictEqual(oauth.abandonedCodes(), 0)
    }))

  it.effect("a prompt nobody answered is not shown again unasked; the message says how to be asked again", () =>
    Effect.gen(function*() {
      const fake = yield* FakeOAuth.make()
      yield* Effect.gen(function*() {
        const auth = yield* Authenticator
        const e = yield* auth.authenticate(scriptedSession(fake, [{ _tag: "Timeout" }]).session).pipe(Effect.flip)
        assert.isFalse(e.retry)
        assert.include(e.message, "nobody answered")
        assert.include(e.message, "status key")
        assert.include(e.message, "click Authorize")
        assert.include(authenticationHint(e), "status key")
        assert.include(authenticationHint(e), "deckcord auth")
        assert.strictEqual(fake.requestCount(), 0)
      }).pipe(Effect.provide(flowLayer(fake)), Effect.provide(quietLogs))
    }))
})
