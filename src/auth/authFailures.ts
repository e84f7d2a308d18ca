/**
 * How the OAuth flow's failures read: each way authorization can fail, as an
 * `AuthenticationError` that says what happened, whether deckcord retries by itself, and
 * what the user can do (docs/discord-rpc.md#authorize, docs/discord-rpc.md#your-own-application).
 *
 * @since 0.2.0
 */
import { Duration, Effect, Schema } from "effect"
import { RpcErrorCode } from "../protocol/RpcError.ts"
import { AuthenticationError } from "../discord/Authenticator.ts"
import { redactTokens, type RpcRequestError } from "../discord/RpcErrors.ts"
import { isTransientOAuthError, type OAuthError } from "./OAuth.ts"

/** How the Developer-Portal reality reads for someone who hit `invalid_scope` (docs/discord-rpc.md#your-own-application). */
export const INVALID_SCOPE_HELP =
  "Discord refused the requested scopes (invalid_scope). Discord grants the rpc scopes only to the " +
  "application's owner (and its listed testers) unless Discord approved the app: create your OWN " +
  "application at https://discord.com/developers/applications with the Discord account you use, put " +
  "its Application ID and Client Secret in the config (`deckcord auth` does it), and add a redirect URI " +
  "such as http://localhost under OAuth2 → Redirects. If that is all true, Discord may be having an " +
  "incident with RPC authorization; try again later."

/** The same refusal for scopes Discord granted this application before (docs/discord-rpc.md#your-own-application: Dec 2022, Apr 2025). */
export const SCOPE_OUTAGE_HELP =
  "Discord refused scopes it has granted this application before (invalid_scope). That is most likely " +
  "an incident on Discord's side: it refused the rpc scopes to everyone in Dec 2022 and Apr 2025. Nothing " +
  "to change in the Developer Portal; deckcord keeps the stored authorization and asks again by itself"

export const SCOPE_OUTAGE_HINT = "probably an incident on Discord's side; deckcord keeps the authorization and retries by itself"

/** For a failure that waits for the user: how to be asked again. */
export const ASK_AGAIN_HINT = "press the status key (or run `deckcord auth`), then click Authorize in Discord"

/** For a rejected code whose replacement deckcord asks for by itself. */
export const NEW_PROMPT_HINT = "nothing to run: click Authorize when Discord shows its prompt again"

export const REDIRECT_HELP =
  "the Discord application has no redirect URI: in the Developer Portal open your application → " +
  "OAuth2 → Redirects, add http://localhost, save, and run `deckcord auth` again"

export const missingScopes = (granted: ReadonlyArray<string>, needed: ReadonlyArray<string>) =>
  needed.filter((s) => !granted.includes(s))

export const sameScopes = (a: ReadonlyArray<string>, b: ReadonlyArray<string>) =>
  a.length === b.length && a.every((s) => b.includes(s))

export const fail = (message: string, retry: boolean, hint?: string) =>
  Effect.fail(new AuthenticationError({ message: redactTokens(message), retry, ...(hint === undefined ? {} : { hint }) }))

/** A failure of the token endpoint, as an authentication outcome. */
export const fromOAuthError = (e: OAuthError, doing: string) => {
  if (e._tag === "OAuthInvalidScope") return fail(`${doing}: ${e.message}. ${SCOPE_OUTAGE_HELP}`, true, SCOPE_OUTAGE_HINT)
  if (isTransientOAuthError(e)) return fail(`${doing}: ${e.message}; deckcord retries by itself`, true)
  return fail(`${doing}: ${e.message}`, false)
}

/** A failure of a request on the connection (AUTHENTICATE after a fresh grant, …). */
export const fromRequestError = (e: RpcRequestError, doing: string) =>
  e._tag !== "RpcCommandError" || e.code === RpcErrorCode.INVALID_COMMAND
    ? fail(`${doing}: ${e.message}; deckcord retries by itself`, true)
    : fail(`${doing}: ${e.message}`, false)

export const isInvalidScope = (e: RpcRequestError) =>
  e._tag === "RpcCommandError" && e.code === RpcErrorCode.OAUTH2_ERROR && /invalid_scope/i.test(e.detail)

/** Why AUTHORIZE failed, phrased for a person (docs/discord-rpc.md#authorize, docs/discord-rpc.md#your-own-application). */
export const authorizeFailure = (e: RpcRequestError, timeout: Duration.Duration) => {
  switch (e._tag) {
    case "RpcTimeoutError":
      // not shown again unasked: a prompt nobody is there to answer would only pile up
      return fail(
        `nobody answered Discord's authorization prompt within ${Duration.format(timeout)}, and deckcord does ` +
          "not show it again by itself: press the status key, restart deckcord or run `deckcord auth` to be " +
          "asked again, then click Authorize in Discord",
        false,
        ASK_AGAIN_HINT
      )
    case "RpcCommandError": {
      if (e.code === RpcErrorCode.INVALID_COMMAND) {
        // "Already authing": another AUTHORIZE is in flight; a fresh connection sorts it out
        return fail(`Discord refused AUTHORIZE (${e.detail}); reconnecting`, true)
      }
      if (e.code === RpcErrorCode.OAUTH2_ERROR) {
        if (/access_denied/i.test(e.detail)) {
          return fail("the authorization was cancelled in Discord; run `deckcord auth` when you want to authorize deckcord", false)
        }
        if (/invalid_scope/i.test(e.detail)) return fail(`${INVALID_SCOPE_HELP} (Discord said: ${e.detail})`, false)
        if (/redirect/i.test(e.detail)) return fail(`${REDIRECT_HELP} (Discord said: ${e.detail})`, false)
      }
      return fail(`Discord refused the authorization: ${e.message}`, false)
    }
    default:
      return fail(`authorization was interrupted: ${e.message}; deckcord retries by itself`, true)
  }
}

/** Discord refused, with invalid_scope, scopes it granted before: see `SCOPE_OUTAGE_HELP`. */
export class ScopeOutage extends Schema.TaggedError<ScopeOutage>()("ScopeOutage", {
  message: Schema.String
}) {}

export const fromScopeOutage = (e: ScopeOutage) => fail(e.message, true, SCOPE_OUTAGE_HINT)
