import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Logger, Option, Redacted } from "effect"
import { TestClock } from "effect/testing"
import { type AuthSession, Authenticator } from "../src/services/Authenticator.ts"
import type { DeckcordConfig } from "../src/services/Config.ts"
import { OAuth } from "../src/services/OAuth.ts"
import { OAuthFlow } from "../src/services/OAuthFlow.ts"
import { redactTokens, RpcCommandError, type RpcRequestError, RpcTimeoutError } from "../src/services/RpcErrors.ts"
import { Settings, type StoredToken, TokenStore } from "../src/services/Settings.ts"
import { FakeOAuth, type FakeOAuthServer } from "../src/testing/FakeOAuth.ts"

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
        calls.push({ cmd, args, timeoutMillis: options?.timeoutMillis })
        if (cmd === "AUTHORIZE") {
          const behavior = authorize.shift() ?? { _tag: "Approve" }
          const oauthError = (detail: string) => Effect.fail(new RpcCommandError({ cmd, code: 5000, detail }))
          switch (behavior._tag) {
            case "Approve":
              return Effect.succeed({ code: fake.issueCode(ID, behavior.grant ?? (args.scopes as ReadonlyArray<string>)) })
            case "Deny":
              return oauthError("OAuth2 Error: access_denied: The resource owner or authorization server denied the request")
            case "InvalidScope":
              return oauthError("OAuth2 Error: invalid_scope: The requested scope is invalid, unknown, or malformed.")
            case "NoRedirect":
              return oauthError("OAuth2 Error: invalid_request: Missing \"redirect_uri\" in request.")
            case "Timeout":
              return Effect.fail(new RpcTimeoutError({ cmd, timeoutMillis: options?.timeoutMillis ?? 0 }))
          }
        }
        if (cmd === "AUTHENTICATE") {
          const token = String(args.access_token)
          const check = fake.checkAccessToken(ID, token)
          if (!check.ok) {
            // Discord echoes the token (spec §4.4); DiscordRpc redacts it into `detail`
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
  options: { readonly config?: Partial<DeckcordConfig>; readonly tokens?: Record<string, StoredToken> } = {}
) =>
  OAuthFlow.layer.pipe(
    Layer.provideMerge(
      Layer.mergeAll(
        Settings.layerStatic(options.config ?? config()),
        TokenStore.layerMemory(options.tokens ?? {}),
        OAuth.layerWith({ baseUrl: fake.baseUrl })
      )
    )
  )

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

  it.effect("a token within the refresh margin is refreshed before AUTHENTICATE; the rotated refresh token is persisted", () =>
    Effect.gen(function*() {
      const fake = yield* FakeOAuth.make()
      const t = seeded(fake, { expiresAt: 2 * 3600_000 }) // 2 hours left
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
      yield* Effect.gen(function*() {
        yield* Authenticator.use((a) => a.authenticate(scriptedSession(fake).session))
        assert.strictEqual(fake.requests().length, 0)
        yield* TestClock.adjust(2 * DAY - 1000)
        assert.strictEqual(fake.requests().length, 0)
        yield* TestClock.adjust(1000)
        for (let i = 0; i < 200 && fake.requests().length === 0; i++) yield* TestClock.withLive(Effect.sleep(10))
        assert.deepStrictEqual(fake.requests().map((r) => r.grantType), ["refresh_token"])
        for (let i = 0; i < 200; i++) {
          const s = yield* storedToken
          if (Option.isSome(s) && Redacted.value(s.value.refreshToken) !== t.raw.refreshToken) return
          yield* TestClock.withLive(Effect.sleep(10))
        }
        assert.fail("the refreshed token was not stored")
      }).pipe(Effect.provide(flowLayer(fake, { tokens: { [ID]: t.stored } })))
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
