/**
 * The token endpoint failing and recovering: Discord rejects the access token (4009), the
 * refresh hits 5xx / 429 a few times, then works. Each failure must be a retryable
 * AuthenticationError that the supervisor retries by reconnecting — never a prompt to the
 * user, never a give-up — and the client ends Ready with the rotated tokens stored.
 * After a revocation the code exchange fails the same ways: one consent dialog per
 * revocation, the code kept and exchanged once the endpoint answers.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Option, Redacted, References } from "effect"
import { DiscordIpc, DiscordRpc, OAuth, OAuthFlow, Settings, TokenStore } from "../../src/index.ts"
import { FakeDiscord, FakeOAuth, type FakeTokenBehavior } from "../../src/testing/index.ts"
import { FAST, recordStates } from "./harness.ts"
import { recordSoak } from "./record.ts"

const ID = "112233445566778899"
const SECRET = "soak-client-secret-value"
const SCOPES = ["rpc", "identify", "rpc.voice.read", "rpc.voice.write"]
const DAY = 24 * 3600_000
/** Rounds of "token rejected, endpoint down for a while, endpoint back". */
const ROUNDS = 10
/** What the endpoint answers before it recovers, per round. */
const OUTAGE: ReadonlyArray<FakeTokenBehavior> = [
  { _tag: "ServerError" },
  { _tag: "ServerError", status: 503 },
  { _tag: "RateLimited", retryAfterSeconds: 0 }
]

describe("soak: token endpoint failing and recovering", () => {
  it.live("every outage ends Ready again with rotated tokens, without prompting the user", () =>
    Effect.gen(function*() {
      const oauth = yield* FakeOAuth.make({ clients: { [ID]: SECRET } })
      const discord = yield* FakeDiscord.make({ authority: oauth })
      const minted = oauth.mintTokens(ID, SCOPES)
      const layer = DiscordRpc.layer({ clientId: ID, reconnect: FAST }).pipe(
        Layer.provide(DiscordIpc.layerWith({ socketPaths: [discord.socketPath] })),
        Layer.provide(OAuthFlow.layer),
        Layer.provideMerge(
          Layer.mergeAll(
            Settings.layerStatic({ clientId: ID, clientSecret: Redacted.make(SECRET) }),
            TokenStore.layerMemory({
              [ID]: {
                accessToken: Redacted.make(minted.accessToken),
                refreshToken: Redacted.make(minted.refreshToken),
                expiresAt: Date.now() + 7 * DAY,
                scopes: SCOPES
              }
            }),
            OAuth.layerWith({ baseUrl: oauth.baseUrl })
          )
        ),
        Layer.provide(Layer.succeed(References.MinimumLogLevel, "Error"))
      )

      yield* Effect.gen(function*() {
        const rpc = yield* DiscordRpc
        const states = yield* recordStates(rpc)
        yield* states.awaitCount("Ready", 0)
        let refreshFailures = 0
        let recovered = 0
        for (let round = 0; round < ROUNDS; round++) {
          const readyBefore = states.count("Ready")
          const refreshesBefore = oauth.requests().filter((r) => r.grantType === "refresh_token").length
          oauth.expireAccessTokens() // the next AUTHENTICATE gets 4009
          oauth.script("refresh_token", ...OUTAGE)
          yield* rpc.reconnect
          yield* states.awaitCount("Ready", readyBefore, `Ready after outage ${round + 1}`)
          const refreshes = oauth.requests().filter((r) => r.grantType === "refresh_token").length - refreshesBefore
          // every scripted failure was met and retried, then one refresh succeeded
          assert.strictEqual(refreshes, OUTAGE.length + 1, `round ${round + 1}: refresh attempts`)
          refreshFailures += refreshes - 1
          assert.isObject(yield* rpc.getVoiceSettings)
          recovered++
        }
        const failed = states.states.filter((s) => s._tag === "Disconnected" && s.reason._tag === "AuthenticationFailed")
        const authorizes = (yield* discord.framesReceived()).filter((f) => (f.payload as { cmd?: string } | null)?.cmd === "AUTHORIZE")
        assert.strictEqual(authorizes.length, 0, "a token-endpoint outage never prompts the user")
        const stored = yield* TokenStore.use((s) => s.get(ID))
        assert.isTrue(Option.isSome(stored))
        if (Option.isSome(stored)) assert.notStrictEqual(Redacted.value(stored.value.refreshToken), minted.refreshToken)
        recordSoak("oauth", {
          order: 60,
          fault: "token endpoint failing and recovering",
          injected: `${ROUNDS} rounds of: access token rejected (4009), then the refresh answered ${
            OUTAGE.map((b) => (b._tag === "ServerError" ? String(b.status ?? 500) : b._tag === "RateLimited" ? "429" : b._tag)).join(", ")
          } before succeeding`,
          outcome: `${refreshFailures} failed refresh requests; ${failed.length} retryable AuthenticationFailed states, ` +
            `each followed by a reconnect (a 429 may be retried inside OAuth first); ${recovered} of ${ROUNDS} rounds ended ` +
            "Ready with rotated tokens stored; 0 AUTHORIZE prompts",
          lost: ROUNDS - recovered
        })
      }).pipe(Effect.provide(layer))
    }))

  it.live("revocations while the code exchange fails: one consent dialog each, no code thrown away", () =>
    Effect.gen(function*() {
      const oauth = yield* FakeOAuth.make({ clients: { [ID]: SECRET } })
      const discord = yield* FakeDiscord.make({ authority: oauth })
      const EXCHANGE_OUTAGE: ReadonlyArray<FakeTokenBehavior> = [
        { _tag: "ServerError" },
        { _tag: "Unreachable" },
        { _tag: "Unreachable" }, // the client retries a cut connection once at once
        { _tag: "ServerError", status: 502 },
        { _tag: "RateLimited", retryAfterSeconds: 30 } // too long to wait out in place: a reconnect
      ]
      const layer = DiscordRpc.layer({ clientId: ID, reconnect: FAST }).pipe(
        Layer.provide(DiscordIpc.layerWith({ socketPaths: [discord.socketPath] })),
        Layer.provide(OAuthFlow.layer),
        Layer.provideMerge(
          Layer.mergeAll(
            Settings.layerStatic({ clientId: ID, clientSecret: Redacted.make(SECRET) }),
            TokenStore.layerMemory(),
            OAuth.layerWith({ baseUrl: oauth.baseUrl })
          )
        ),
        Layer.provide(Layer.succeed(References.MinimumLogLevel, "Error"))
      )
      yield* Effect.gen(function*() {
        const rpc = yield* DiscordRpc
        const states = yield* recordStates(rpc)
        yield* states.awaitCount("Ready", 0)
        let recovered = 0
        for (let round = 0; round < ROUNDS; round++) {
          const readyBefore = states.count("Ready")
          const promptsBefore = oauth.consentPrompts()
          const exchangesBefore = oauth.requestCount("authorization_code")
          oauth.revokeAll()
          oauth.script("authorization_code", ...EXCHANGE_OUTAGE)
          yield* discord.revokeToken()
          yield* states.awaitCount("Ready", readyBefore, `Ready after revocation ${round + 1}`)
          assert.strictEqual(oauth.consentPrompts() - promptsBefore, 1, `round ${round + 1}: consent dialogs`)
          assert.strictEqual(
            oauth.requestCount("authorization_code") - exchangesBefore,
            EXCHANGE_OUTAGE.length + 1,
            `round ${round + 1}: exchanges`
          )
          assert.isObject(yield* rpc.getVoiceSettings)
          recovered++
        }
        const hints = states.states.flatMap((s) => (s._tag === "Disconnected" && s.reason._tag === "AuthenticationFailed" ? [s.reason.hint ?? ""] : []))
        assert.isFalse(hints.some((h) => h.includes("deckcord auth")), "a failing token endpoint never sends the user to `deckcord auth`")
        assert.strictEqual(oauth.abandonedCodes(), 0)
        recordSoak("oauth-consent", {
          order: 61,
          fault: "revocation while the code exchange fails",
          injected: `${ROUNDS} rounds of: authorization revoked (close 4003), then the code exchange answered 500, ` +
            "cut connection (twice), 502, 429 (retry after 30 s) before succeeding",
          outcome: `${oauth.consentPrompts() - 1} consent dialogs for ${ROUNDS} revocations; ${hints.length} retryable ` +
            `AuthenticationFailed states, none pointing to \`deckcord auth\`; ${recovered} of ${ROUNDS} rounds ended Ready; ` +
            `${oauth.abandonedCodes()} codes abandoned`,
          lost: ROUNDS - recovered + oauth.abandonedCodes()
        })
      }).pipe(Effect.provide(layer))
    }))
})
