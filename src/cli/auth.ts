/**
 * `deckcord auth`: walk a new user through setting up their own Discord application, store
 * its credentials, authorize deckcord in Discord, and show who is authorized with which
 * scopes. Every way it can fail ends with its own explanation and exit code; nothing waits
 * forever.
 *
 * @since 0.1.0
 */
import { Console, Duration, Effect, Layer, Option, Redacted, Runtime, Schema, Stream, type Terminal } from "effect"
import { Command, Flag, GlobalFlag, Prompt } from "effect/cli"
import { CloseCode } from "../protocol/RpcError.ts"
import { type ConfigError, isClientId } from "../config/Config.ts"
import { DiscordIpc } from "../discord/DiscordIpc.ts"
import { type ConnectionState, DiscordRpc } from "../discord/DiscordRpc.ts"
import { OAuth } from "../auth/OAuth.ts"
import { OAuthFlow } from "../auth/OAuthFlow.ts"
import { checkLayout } from "../control/Layout.ts"
import { layoutScopePolicy } from "../control/Scopes.ts"
import { Settings, type SettingsFileError } from "../config/Settings.ts"
import { TokenStore } from "../auth/TokenStore.ts"
import { commandName, localizeCommands } from "./invocation.ts"
import { wizardLoggingLayer } from "./logging.ts"

/**
 * The whole command may take this long: the handshake can be throttled for ~30 s
 * (docs/discord-rpc.md#connection-throttle) and AUTHORIZE waits up to 5 minutes for a click; past that nobody is coming.
 */
export const AUTH_COMMAND_TIMEOUT = Duration.minutes(7)

/** Exit codes of `deckcord auth`, for scripts. @category models */
export const AuthExitCode = {
  /** A flag or the config file is invalid, or input is needed but there is no terminal. */
  InvalidInput: 2,
  /** Discord is not running, only arRPC/Vesktop answered, or nobody is logged in. */
  DiscordUnavailable: 3,
  /** Discord rejected the application id (close 4000). */
  InvalidClientId: 4,
  /** Authorization failed: cancelled, invalid_scope, wrong client secret, … */
  AuthorizationFailed: 5,
  /** Nothing decided within AUTH_COMMAND_TIMEOUT. */
  TimedOut: 6,
  /** Anything else (e.g. a settings file could not be written). */
  Other: 1
} as const

/** `deckcord auth` failed; the explanation was already printed. @category errors */
export class AuthCommandError extends Schema.TaggedError<AuthCommandError>()("AuthCommandError", {
  message: Schema.String,
  exitCode: Schema.Number
}) {
  override get [Runtime.errorExitCode](): number {
    return this.exitCode
  }
  // printed by the command itself, as plain text; do not log it again with a stack
  override readonly [Runtime.errorReported] = false
}

const failWith = (exitCode: number, message: string) =>
  Console.error(`\n✗ ${localizeCommands(message, commandName())}`).pipe(
    Effect.andThen(Effect.fail(new AuthCommandError({ message, exitCode })))
  )

/** What a new user has to do in the Developer Portal (docs/discord-rpc.md#your-own-application). */
export const SETUP_GUIDE = `deckcord talks to Discord as an application that YOU own (Discord grants the rpc
scopes only to an application's owner). One-time setup, about two minutes:

  1. Open https://discord.com/developers/applications (log in with the account you use
     in Discord) and click "New Application". Any name, e.g. "My Deck".
  2. On "General Information", copy the APPLICATION ID.
  3. Open "OAuth2": click "Reset Secret" and copy the CLIENT SECRET.
  4. Still under "OAuth2" → "Redirects", add   http://localhost   and save
     (any URL works; without one Discord refuses to authorize).

Then paste the two values below. They are stored in the config file, readable only by you.
`

/** @category models */
export interface AuthOptions {
  readonly clientId: Option.Option<string>
  readonly clientSecret: Option.Option<Redacted.Redacted<string>>
  /** Forget the stored tokens first, so Discord shows the Authorize prompt again. */
  readonly reauthorize: boolean
  /** Whether prompts are possible (default: stdin is a TTY). */
  readonly interactive?: boolean
}

const explainDisconnect = (state: Extract<ConnectionState, { _tag: "Disconnected" }>, clientId: string) => {
  const { reason } = state
  switch (reason._tag) {
    case "NoDiscord":
      return failWith(
        AuthExitCode.DiscordUnavailable,
        `${reason.message}\n  Start the Discord desktop app, log in, and run \`deckcord auth\` again. ` +
          "The browser version of Discord has no local RPC. For Flatpak or Snap Discord, see Troubleshooting in the README."
      )
    case "ArRpcOnly":
      return failWith(
        AuthExitCode.DiscordUnavailable,
        `${reason.message}\n  arRPC and Vesktop only show Rich Presence; they cannot mute, deafen or switch channels. ` +
          "Run the official Discord desktop client (Stable, PTB or Canary)."
      )
    case "HandshakeFailed":
      if (reason.closeCode === CloseCode.INVALID_CLIENTID) {
        return failWith(
          AuthExitCode.InvalidClientId,
          `Discord rejected the application id ${clientId} (close code 4000).\n  Copy the APPLICATION ID from ` +
            "the application's General Information page in the Developer Portal (not the public key, not your user id) " +
            "and run `deckcord auth --client-id <id>`. If the id is right, Discord could not reach its API: try again in a minute."
        )
      }
      return failWith(AuthExitCode.DiscordUnavailable, `${reason.message}${reason.hint ? `\n  ${reason.hint}` : ""}`)
    case "AuthenticationFailed":
      return failWith(AuthExitCode.AuthorizationFailed, `authorization failed: ${reason.message}`)
    default:
      return failWith(
        reason.closeCode === CloseCode.CLOSE_NORMAL ? AuthExitCode.DiscordUnavailable : AuthExitCode.Other,
        `${reason.message}${reason.hint ? `\n  ${reason.hint}` : ""}`
      )
  }
}

/**
 * Ask for the Application ID without echoing what is typed: the two values look alike in the
 * portal, and a Client Secret pasted here must not stay on the screen (or in a terminal
 * log). A valid id is shown back once it is accepted; anything else is never shown.
 */
const promptApplicationId = (stored: string | undefined): Effect.Effect<string, Terminal.QuitError, Prompt.Environment> =>
  Prompt.run(Prompt.Password({
    message: stored === undefined ? "Application ID" : `Application ID (Enter keeps ${stored})`
  })).pipe(
    Effect.flatMap((entered) => {
      const typed = Redacted.value(entered).trim()
      const id = typed === "" && stored !== undefined ? stored : typed
      // a fresh prompt for the next try: a hidden field cannot be corrected by eye
      return isClientId(id)
        ? Console.log(`Application ID: ${id}`).pipe(Effect.as(id))
        : Console.error(
          "  not an Application ID (17 to 20 digits, from General Information → Application ID); " +
            "what you typed is not shown, in case it was the Client Secret"
        ).pipe(Effect.andThen(promptApplicationId(stored)))
    })
  )

/** Connect with the OAuth flow and wait for the first decisive state. */
const connectAndAuthorize = (clientId: string, socketPath: string | undefined) =>
  Effect.gen(function*() {
    const rpc = yield* DiscordRpc
    // an authorization deckcord finishes by itself (token endpoint down for a while) is not an outcome yet
    const retrying = (s: ConnectionState) => s._tag === "Disconnected" && s.reason.retrying === true
    return yield* rpc.stateChanges.pipe(
      Stream.tap((s) => (retrying(s) && s._tag === "Disconnected" ? Console.log(`  ${s.reason.message}`) : Effect.void)),
      Stream.filter((s) =>
        s._tag === "Ready" || (s._tag === "Disconnected" && s.reason._tag !== "NotStarted" && !retrying(s))
      ),
      Stream.runHead
    )
  }).pipe(
    Effect.provide(
      DiscordRpc.layer({ clientId }).pipe(
        Layer.provide(DiscordIpc.layerWith(socketPath === undefined ? {} : { socketPaths: [socketPath] })),
        Layer.provide(OAuthFlow.layer.pipe(Layer.provide(layoutScopePolicy())))
      )
    )
  )

/**
 * The auth walkthrough as an effect (needs `Settings`, `TokenStore`, `OAuth`, and a terminal
 * for prompts). `authCommand` runs it with the default layers.
 */
export const runAuth = (options: AuthOptions) =>
  Effect.gen(function*() {
    const settings = yield* Settings
    const tokens = yield* TokenStore
    const current = yield* settings.config
    const interactive = options.interactive ?? process.stdin.isTTY === true
    // Without a terminal, what is already stored stands in for what is not given (so a
    // script can run `auth --reauthorize`); the secret only for the application it belongs to.
    const storedId = interactive ? undefined : current.clientId
    const givenId = Option.isSome(options.clientId) ? options.clientId.value.trim() : storedId
    const storedSecret = !interactive && current.clientId !== undefined && current.clientId === givenId
      ? current.clientSecret
      : undefined
    const givenSecret = Option.isSome(options.clientSecret) ? options.clientSecret.value : storedSecret
    const needsInput = givenId === undefined || givenSecret === undefined

    if (needsInput && !interactive) {
      return yield* failWith(
        AuthExitCode.InvalidInput,
        "no terminal to ask for the credentials: pass --client-id <Application ID> and --client-secret <Client Secret>"
      )
    }
    if (needsInput) yield* Console.log(SETUP_GUIDE)

    const clientId = givenId ?? (yield* promptApplicationId(current.clientId))
    if (!isClientId(clientId)) {
      return yield* failWith(
        AuthExitCode.InvalidInput,
        `"${clientId}" is not a Discord Application ID (17 to 20 digits): copy it from the Developer Portal, ` +
          "your application → General Information → Application ID"
      )
    }

    // Enter keeps the stored secret when the application did not change
    const canKeep = current.clientSecret !== undefined && current.clientId === clientId
    const clientSecret = givenSecret !== undefined
      ? givenSecret
      : yield* Prompt.run(Prompt.Password({
        message: canKeep ? "Client Secret (Enter keeps the stored one)" : "Client Secret",
        validate: (value: string) =>
          value.trim().length > 0 || canKeep
            ? Effect.succeed(value.trim())
            : Effect.fail("paste the Client Secret from OAuth2 → Client Secret (Reset Secret shows it once)")
      })).pipe(
        Effect.map((entered) =>
          Redacted.value(entered).length === 0 && canKeep && current.clientSecret !== undefined
            ? current.clientSecret
            : entered
        )
      )
    if (Redacted.value(clientSecret).trim().length === 0) {
      return yield* failWith(AuthExitCode.InvalidInput, "the Client Secret is empty")
    }

    yield* settings.saveCredentials(clientId, clientSecret)
    yield* Console.log(`Saved the application id and secret to ${settings.file} (mode 0600).`)
    if (options.reauthorize) yield* tokens.remove(clientId)

    yield* Console.log("Connecting to Discord… if Discord shows an authorization prompt, click Authorize.")
    const outcome = yield* connectAndAuthorize(clientId, current.socketPath).pipe(
      Effect.timeoutOrElse({
        duration: AUTH_COMMAND_TIMEOUT,
        orElse: () =>
          failWith(
            AuthExitCode.TimedOut,
            `nothing happened within ${Duration.format(AUTH_COMMAND_TIMEOUT)}; is Discord running and logged in? ` +
              "Run `deckcord auth` again and click Authorize in Discord."
          )
      })
    )
    if (Option.isNone(outcome)) return yield* failWith(AuthExitCode.Other, "the Discord connection ended unexpectedly")
    const state = outcome.value
    if (state._tag !== "Ready") {
      return yield* state._tag === "Disconnected"
        ? explainDisconnect(state, clientId)
        : failWith(AuthExitCode.Other, "the Discord connection ended unexpectedly")
    }
    const user = state.authenticated?.user ?? state.user
    const name = user?.global_name ?? user?.username ?? "unknown user"
    const app = state.authenticated?.application
    yield* Console.log(
      [
        "",
        `✓ Authorized as ${name}${user?.username && user.username !== name ? ` (@${user.username})` : ""}` +
        `${user ? `, id ${user.id}` : ""}`,
        `  application: ${app?.name ? `${app.name} ` : ""}${clientId}`,
        `  scopes: ${(state.authenticated?.scopes ?? []).join(" ") || "(none reported)"}`,
        `  tokens stored in ${tokens.file}; deckcord refreshes them by itself from now on.`
      ].join("\n")
    )
  }).pipe(reportSettingsErrors)

/** Settings problems, explained (they can also come from building the settings layers). */
const reportSettingsErrors = <A, R>(
  effect: Effect.Effect<A, ConfigError | SettingsFileError | Terminal.QuitError | AuthCommandError, R>
): Effect.Effect<A, AuthCommandError, R> =>
  effect.pipe(
    Effect.catchTags({
      ConfigError: (e) =>
        failWith(AuthExitCode.InvalidInput, `${e.message}\n  fix the config file, then run \`deckcord auth\` again`),
      SettingsFileError: (e) => failWith(AuthExitCode.Other, `${e.message}\n  ${e.hint}`),
      QuitError: () => failWith(AuthExitCode.InvalidInput, "cancelled")
    })
  )

/**
 * The config's JSON Schema as shipped with this deckcord (`schema/` beside `src/` and
 * `dist/`), named as `$schema` in the config files `auth` writes.
 */
export const CONFIG_SCHEMA_URL = new URL("../../schema/config.schema.json", import.meta.url).href

/** The settings and OAuth layers `deckcord auth` uses, for a config path (or the default). */
export const authSettingsLayer = (configPath: string | undefined) =>
  Layer.mergeAll(Settings.layerWith({ configPath, schemaUrl: CONFIG_SCHEMA_URL, check: checkLayout }), TokenStore.layer, OAuth.layer)

/** `deckcord auth [--client-id ID] [--client-secret SECRET] [--reauthorize] [--config FILE]` */
export const authCommand = Command.make(
  "auth",
  {
    clientId: Flag.String("client-id").pipe(
      Flag.withDescription("the Application ID from the Discord Developer Portal (prompted if omitted)"),
      Flag.optional
    ),
    clientSecret: Flag.Redacted("client-secret").pipe(
      Flag.withDescription("the application's Client Secret (prompted if omitted; prefer the prompt: flags end up in shell history)"),
      Flag.optional
    ),
    reauthorize: Flag.Boolean("reauthorize").pipe(
      Flag.withDescription("forget the stored tokens and ask Discord for authorization again"),
      Flag.withDefault(false)
    ),
    config: Flag.String("config").pipe(
      Flag.withDescription("the config file (default $DECKCORD_CONFIG or ~/.config/deckcord/config.json)"),
      Flag.optional
    )
  },
  (flags) =>
    Effect.gen(function*() {
      // between prompts, log lines are short and only about problems, unless --log-level asks for more
      const level = yield* GlobalFlag.LogLevel
      return yield* runAuth({ clientId: flags.clientId, clientSecret: flags.clientSecret, reauthorize: flags.reauthorize }).pipe(
        Effect.provide(authSettingsLayer(Option.getOrUndefined(flags.config))),
        reportSettingsErrors,
        Effect.provide(wizardLoggingLayer(Option.isNone(level) ? "Warn" : undefined))
      )
    })
).pipe(
  Command.withDescription("set up deckcord's Discord application and authorize it in Discord")
)
