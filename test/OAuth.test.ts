import { assert, describe, it } from "@effect/vitest"
import { Clock, Effect, Fiber, Layer, Redacted } from "effect"
import { HttpClient } from "effect/http"
import { TestClock } from "effect/testing"
import * as Net from "node:net"
import { isTransientOAuthError, keepAliveHttpClient, OAuth, type OAuthCredentials } from "../src/index.ts"
import { FakeOAuth, type FakeOAuthServer } from "../src/testing/index.ts"

const ID = "112233445566778899"
const SECRET = "client-secret-value-123"
const creds: OAuthCredentials = { clientId: ID, clientSecret: Redacted.make(SECRET) }
const SCOPES = ["rpc", "identify", "rpc.voice.read", "rpc.voice.write"]

const withOAuth = <A, E>(fake: FakeOAuthServer, effect: Effect.Effect<A, E, OAuth>) =>
  effect.pipe(Effect.provide(OAuth.layerWith({ baseUrl: fake.baseUrl })))

/** Real time passes (the fake answers over real sockets) while a test runs on the TestClock. */
const liveSleep = (ms: number) => TestClock.withLive(Effect.sleep(ms))

const waitForRequests = (fake: FakeOAuthServer, n: number) =>
  Effect.gen(function*() {
    for (let i = 0; i < 400 && fake.requests().length < n; i++) yield* liveSleep(10)
    assert.isAtLeast(fake.requests().length, n, `the fake should have received ${n} request(s)`)
  })

describe("OAuth", () => {
  it.effect("exchanges a code with a form POST, client credentials in the form, no redirect_uri", () =>
    Effect.gen(function*() {
      const fake = yield* FakeOAuth.make({ clients: { [ID]: SECRET } })
      const code = fake.issueCode(ID, SCOPES)
      const grant = yield* withOAuth(fake, OAuth.use((o) => o.exchangeCode(creds, Redacted.make(code))))
      const [request] = fake.requests()
      assert.strictEqual(request?.path, "/api/oauth2/token")
      assert.strictEqual(request?.contentType, "application/x-www-form-urlencoded")
      assert.deepStrictEqual(request?.form, { grant_type: "authorization_code", code, client_id: ID, client_secret: SECRET })
      assert.deepStrictEqual(grant.scopes, SCOPES)
      // expires_in is seconds: 604800 s from the (test) clock's now, not 604.8 s
      assert.strictEqual(grant.expiresAt, (yield* Clock.currentTimeMillis) + 604_800_000)
      assert.isTrue(fake.checkAccessToken(ID, Redacted.value(grant.accessToken)).ok)
    }))

  it.effect("refresh rotates the refresh token; the old one then fails with invalid_grant", () =>
    Effect.gen(function*() {
      const fake = yield* FakeOAuth.make({ clients: { [ID]: SECRET } })
      const seeded = fake.mintTokens(ID, SCOPES)
      const first = yield* withOAuth(fake, OAuth.use((o) => o.refresh(creds, Redacted.make(seeded.refreshToken))))
      assert.notStrictEqual(Redacted.value(first.refreshToken), seeded.refreshToken)
      assert.deepStrictEqual(fake.requests()[0]?.form, {
        grant_type: "refresh_token",
        refresh_token: seeded.refreshToken,
        client_id: ID,
        client_secret: SECRET
      })
      const error = yield* withOAuth(fake, OAuth.use((o) => o.refresh(creds, Redacted.make(seeded.refreshToken)))).pipe(Effect.flip)
      assert.strictEqual(error._tag, "OAuthInvalidGrant")
      assert.include(error.message, "refresh token")
      assert.include(error.message, "authorize again")
    }))

  it.effect("a wrong secret is invalid_client, with the fix in the message and no secret in it", () =>
    Effect.gen(function*() {
      const fake = yield* FakeOAuth.make({ clients: { [ID]: "the-right-secret" } })
      const code = fake.issueCode(ID, SCOPES)
      const error = yield* withOAuth(fake, OAuth.use((o) => o.exchangeCode(creds, Redacted.make(code)))).pipe(Effect.flip)
      assert.strictEqual(error._tag, "OAuthInvalidClient")
      assert.include(error.message, "deckcord auth")
      assert.include(error.message, "Client Secret")
      assert.notInclude(error.message, SECRET)
      assert.notInclude(JSON.stringify(error), SECRET)
    }))

  it.effect("scripted failures map to distinct typed errors", () =>
    Effect.gen(function*() {
      const fake = yield* FakeOAuth.make()
      fake.script("refresh_token", { _tag: "InvalidGrant" }, { _tag: "ServerError", status: 502 }, { _tag: "Malformed" })
      const refresh = withOAuth(fake, OAuth.use((o) => o.refresh(creds, Redacted.make("whatever-refresh"))))
      const e1 = yield* Effect.flip(refresh)
      const e2 = yield* Effect.flip(refresh)
      const e3 = yield* Effect.flip(refresh)
      assert.strictEqual(e1._tag, "OAuthInvalidGrant")
      assert.strictEqual(e2._tag, "OAuthServerError")
      assert.include(e2.message, "HTTP 502")
      assert.include(e2.message, "Discord's side")
      // a 200 that does not decode says nothing about the grant: worth another try, like a 5xx
      assert.strictEqual(e3._tag, "OAuthMalformedResponse")
      assert.include(e3.message, "not a token response")
      assert.isTrue(isTransientOAuthError(e3))
      assert.isFalse(isTransientOAuthError(e1))
    }))

  it.effect("429: waits Retry-After seconds (virtual time), then retries once", () =>
    Effect.gen(function*() {
      const fake = yield* FakeOAuth.make()
      const seeded = fake.mintTokens(ID, SCOPES)
      fake.script("refresh_token", { _tag: "RateLimited", retryAfterSeconds: 3 })
      // record on the (test) clock when each request leaves
      const sentAt: Array<number> = []
      const timedClient = Layer.effect(
        HttpClient.HttpClient,
        Effect.map(HttpClient.HttpClient, (client) =>
          client.pipe(HttpClient.tapRequest(() => Clock.currentTimeMillis.pipe(Effect.map((t) => void sentAt.push(t))))))
      ).pipe(Layer.provide(keepAliveHttpClient()))
      const fiber = yield* OAuth.use((o) => o.refresh(creds, Redacted.make(seeded.refreshToken))).pipe(
        Effect.provide(OAuth.layerOverHttpClient({ baseUrl: fake.baseUrl }).pipe(Layer.provide(timedClient))),
        Effect.forkChild
      )
      for (let i = 0; i < 200 && fiber.pollUnsafe() === undefined; i++) {
        yield* liveSleep(10)
        yield* TestClock.adjust("500 millis")
      }
      const grant = yield* Fiber.join(fiber)
      assert.strictEqual(fake.requests().length, 2)
      assert.strictEqual(sentAt.length, 2)
      assert.isAtLeast(sentAt[1]! - sentAt[0]!, 3000)
      assert.isTrue(fake.checkAccessToken(ID, Redacted.value(grant.accessToken)).ok)
    }))

  it.effect("429 with a long Retry-After is reported, not waited out", () =>
    Effect.gen(function*() {
      const fake = yield* FakeOAuth.make()
      fake.script("refresh_token", { _tag: "RateLimited", retryAfterSeconds: 600 })
      const error = yield* withOAuth(fake, OAuth.use((o) => o.refresh(creds, Redacted.make("some-refresh-token")))).pipe(Effect.flip)
      assert.strictEqual(error._tag, "OAuthRateLimited")
      if (error._tag === "OAuthRateLimited") assert.strictEqual(error.retryAfterSeconds, 600)
      assert.strictEqual(fake.requests().length, 1)
    }))

  it.effect("times out a request that does not answer", () =>
    Effect.gen(function*() {
      const fake = yield* FakeOAuth.make()
      fake.script("refresh_token", { _tag: "Slow", delayMillis: 60_000 })
      const fiber = yield* withOAuth(fake, OAuth.use((o) => o.refresh(creds, Redacted.make("some-refresh-token")))).pipe(
        Effect.flip,
        Effect.forkChild
      )
      yield* waitForRequests(fake, 1)
      yield* TestClock.adjust("15 seconds")
      const error = yield* Fiber.join(fiber)
      assert.strictEqual(error._tag, "OAuthTimeout")
      assert.include(error.message, "15000 ms")
    }))

  it.effect("a closed port is a network error", () =>
    Effect.gen(function*() {
      const port = yield* Effect.promise(
        () =>
          new Promise<number>((resolve) => {
            const s = Net.createServer().listen(0, "127.0.0.1", () => {
              const p = (s.address() as Net.AddressInfo).port
              s.close(() => resolve(p))
            })
          })
      )
      const error = yield* OAuth.use((o) => o.refresh(creds, Redacted.make("some-refresh-token"))).pipe(
        Effect.provide(OAuth.layerWith({ baseUrl: `http://127.0.0.1:${port}/api` })),
        Effect.flip
      )
      assert.strictEqual(error._tag, "OAuthNetworkError")
      assert.include(error.message, "ECONNREFUSED")
    }))

  it.effect("reuses one keep-alive TCP connection across requests", () =>
    Effect.gen(function*() {
      const fake = yield* FakeOAuth.make()
      const seeded = fake.mintTokens(ID, SCOPES)
      yield* withOAuth(
        fake,
        Effect.gen(function*() {
          const oauth = yield* OAuth
          const a = yield* oauth.refresh(creds, Redacted.make(seeded.refreshToken))
          const b = yield* oauth.refresh(creds, a.refreshToken)
          yield* oauth.refresh(creds, b.refreshToken)
        })
      )
      assert.strictEqual(fake.requests().length, 3)
      assert.strictEqual(fake.connectionCount(), 1)
      assert.deepStrictEqual(fake.requests().map((r) => r.connection), [1, 1, 1])
    }))

  it.effect("invalid_scope from the endpoint is its own error; an unreachable endpoint is a network error", () =>
    Effect.gen(function*() {
      const fake = yield* FakeOAuth.make()
      const seeded = fake.mintTokens(ID, SCOPES)
      fake.setScopeOutage({ scopes: ["rpc.voice.write"], tokenEndpoint: true })
      const refused = yield* withOAuth(fake, OAuth.use((o) => o.refresh(creds, Redacted.make(seeded.refreshToken)))).pipe(Effect.flip)
      assert.strictEqual(refused._tag, "OAuthInvalidScope")
      fake.setScopeOutage(undefined)
      fake.setOutage({ _tag: "Unreachable" })
      const cut = yield* withOAuth(fake, OAuth.use((o) => o.refresh(creds, Redacted.make(seeded.refreshToken)))).pipe(Effect.flip)
      assert.strictEqual(cut._tag, "OAuthNetworkError")
      assert.strictEqual(fake.requestCount("refresh_token"), 3, "the refused one, and the cut one retried once at once")
      fake.setOutage(undefined)
      const grant = yield* withOAuth(fake, OAuth.use((o) => o.refresh(creds, Redacted.make(seeded.refreshToken))))
      assert.deepStrictEqual(grant.scopes, SCOPES, "neither outage used up the refresh token")
    }))

  it.effect("FakeOAuth counts a consent dialog for prompt consent and for new scopes, not for prompt none within a grant", () =>
    Effect.gen(function*() {
      const fake = yield* FakeOAuth.make({ codeLifetimeSeconds: 0 })
      fake.issueCode(ID, SCOPES, { prompt: "consent" })
      fake.issueCode(ID, SCOPES, { prompt: "none" })
      assert.strictEqual(fake.consentPrompts(), 1)
      fake.issueCode(ID, [...SCOPES, "rpc.video.write"], { prompt: "none" })
      assert.strictEqual(fake.consentPrompts(), 2)
      assert.strictEqual(fake.codesIssued(), 3)
      assert.strictEqual(fake.abandonedCodes(), 2, "two codes were never exchanged before the next one")
      fake.revokeAll()
      const code = fake.issueCode(ID, SCOPES, { prompt: "none" })
      assert.strictEqual(fake.consentPrompts(), 3, "a revocation forgets the consent")
      // a code past its lifetime (0 s here) is refused like a used one
      const expired = yield* withOAuth(fake, OAuth.use((o) => o.exchangeCode(creds, Redacted.make(code)))).pipe(Effect.flip)
      assert.strictEqual(expired._tag, "OAuthInvalidGrant")
    }))
})
