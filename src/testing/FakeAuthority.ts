/**
 * The contract between `FakeDiscord` (which runs AUTHORIZE and AUTHENTICATE) and
 * `FakeOAuth` (which exchanges codes for tokens): FakeDiscord asks the authority for a code
 * when the "user clicks Authorize", and asks it whether an access token is valid.
 * `FakeOAuth` implements it; `simpleAuthority` is the stand-alone default.
 *
 * @since 0.1.0
 */

export type AccessTokenCheck =
  | {
    readonly ok: true
    readonly scopes: ReadonlyArray<string>
    /** ISO date the token expires. */
    readonly expires: string
  }
  | { readonly ok: false }

/** What AUTHORIZE asked for, besides the application and scopes. */
export interface AuthorizeDetails {
  /** AUTHORIZE's `prompt` argument: "consent" always shows the dialog, "none" only when needed (docs/discord-rpc.md#authorize). */
  readonly prompt?: unknown
}

export interface FakeAuthority {
  /** Called by FakeDiscord when AUTHORIZE succeeds (the user clicked Authorize, or no dialog was needed). */
  readonly issueCode: (clientId: string, scopes: ReadonlyArray<string>, details?: AuthorizeDetails) => string
  /** Called by FakeDiscord on AUTHENTICATE. */
  readonly checkAccessToken: (clientId: string, token: string) => AccessTokenCheck
  /**
   * Called by FakeDiscord on AUTHORIZE before anything else is shown: an OAuth2 error message
   * to refuse it with (5000), as Discord answered everyone during its scope outages; undefined
   * lets it through.
   */
  readonly refuseAuthorize?: (clientId: string, scopes: ReadonlyArray<string>) => string | undefined
}

/**
 * An authority with no token endpoint: AUTHORIZE issues `code-N`, and AUTHENTICATE accepts
 * exactly the tokens given here (every scope granted), or `access-<code>` for issued codes.
 */
export const simpleAuthority = (
  validTokens: Readonly<Record<string, ReadonlyArray<string>>> = {}
): FakeAuthority => {
  let counter = 0
  const granted = new Map<string, ReadonlyArray<string>>(Object.entries(validTokens))
  return {
    issueCode: (_clientId, scopes) => {
      const code = `code-${++counter}`
      granted.set(`access-${code}`, scopes)
      return code
    },
    checkAccessToken: (_clientId, token) => {
      const scopes = granted.get(token)
      return scopes === undefined
        ? { ok: false }
        : { ok: true, scopes, expires: new Date(Date.now() + 7 * 24 * 3600_000).toISOString() }
    }
  }
}
