/**
 * Settings on disk, read once and kept in memory: the config file (with live reload), and the
 * file helpers the token store (auth/TokenStore.ts) shares: atomic private writes, paths.
 *
 * - `Settings`: the config, decoded once per file version. Edits are picked up by watching
 *   the directory (atomic saves replace the file, so a watch on the file goes stale); an
 *   invalid edit is logged with its precise error and the last good config stays.
 *
 * @since 0.1.0
 */
import * as Os from "node:os"
import * as NodePath from "node:path"
import {
  Context,
  Duration,
  Effect,
  FileSystem,
  Layer,
  Option,
  Redacted,
  Ref,
  Result,
  Schema,
  Semaphore,
  Stream,
  SubscriptionRef
} from "effect"
import {
  type ConfigCheck,
  ConfigError,
  configFilePath,
  type DeckcordConfig,
  type DecodedConfig,
  decodeConfig,
  defaultConfig,
  isClientId,
  type PathEnv,
  tokenFilePath,
  unknownKeysWarning
} from "./Config.ts"

// ---------------------------------------------------------------------------------------------
// errors
// ---------------------------------------------------------------------------------------------

/**
 * A settings file could not be read or written; `message` says which and why, `hint` what to
 * do about it. @category errors
 */
export class SettingsFileError extends Schema.TaggedError<SettingsFileError>()("SettingsFileError", {
  file: Schema.String,
  message: Schema.String,
  hint: Schema.String
}) {}

export const describePlatformError = (e: { readonly message: string; readonly reason?: unknown }): string => {
  const reason = e.reason as { readonly _tag?: string; readonly description?: string } | undefined
  return reason?._tag !== undefined ? `${reason._tag}${reason.description ? `: ${reason.description}` : ""}` : e.message
}

const reasonTag = (e: { readonly reason?: unknown }): string | undefined =>
  (e.reason as { readonly _tag?: string } | undefined)?._tag

/**
 * A file problem in words, with its fix: "PermissionDenied" alone tells a new user nothing.
 * `isDirectory`: the path itself turned out to be a directory.
 *
 * @category errors
 */
export const explainFileProblem = (
  file: string,
  action: "read" | "write",
  problem: { readonly tag: string | undefined; readonly detail: string; readonly isDirectory: boolean }
): { readonly message: string; readonly hint: string } => {
  const dir = NodePath.dirname(file)
  if (problem.isDirectory) {
    return {
      message: `${file} is a directory, not a file`,
      hint: `move that directory away, or point --config (or $DECKCORD_CONFIG) at a file such as ${NodePath.join(file, "config.json")}`
    }
  }
  switch (problem.tag) {
    case "PermissionDenied":
      return {
        message: `cannot ${action} ${file}: permission denied`,
        hint: `deckcord must be able to read and write ${dir} and the files in it as your user: ` +
          `check with \`ls -ld ${dir} ${file}\`, then e.g. \`chown -R "$USER" ${dir} && chmod 700 ${dir}\``
      }
    case "BadResource":
      return {
        message: `cannot ${action} ${file}: a part of that path is not a directory`,
        hint: `check the path (\`ls -ld ${dir}\`), or point --config (or $DECKCORD_CONFIG) elsewhere`
      }
    default:
      return { message: `could not ${action} ${file}: ${problem.detail}`, hint: `check ${dir} and the disk` }
  }
}

const fileError = (
  fs: FileSystem.FileSystem,
  file: string,
  action: "read" | "write",
  e: { readonly message: string; readonly reason?: unknown }
): Effect.Effect<SettingsFileError> =>
  fs.stat(file).pipe(
    Effect.map((info) => info.type === "Directory"),
    Effect.orElseSucceed(() => false),
    Effect.map((isDirectory) =>
      new SettingsFileError({
        file,
        ...explainFileProblem(file, action, { tag: reasonTag(e), detail: describePlatformError(e), isDirectory })
      })
    )
  )

// ---------------------------------------------------------------------------------------------
// atomic writes
// ---------------------------------------------------------------------------------------------

/** Secrets live in these files: owner read/write only. */
export const SECRET_FILE_MODE = 0o600
/** deckcord's own directories: owner only, so nobody lists or swaps our files. */
export const PRIVATE_DIR_MODE = 0o700

let tempCounter = 0

/**
 * Replace `file` with `text` so that a crash at any point leaves either the old or the new
 * file, never a torn one: write a temp file in the same directory (same filesystem, so the
 * rename is atomic), fsync it, chmod it, rename it over the target.
 *
 * @category atomic writes
 */
export const writeFileAtomic = (
  fs: FileSystem.FileSystem,
  file: string,
  text: string,
  options: { readonly mode: number; readonly dirMode?: number }
): Effect.Effect<void, SettingsFileError> =>
  Effect.gen(function*() {
    const dir = NodePath.dirname(file)
    const tmp = NodePath.join(dir, `.${NodePath.basename(file)}.${process.pid}.${++tempCounter}.tmp`)
    yield* fs.makeDirectory(dir, { recursive: true, mode: options.dirMode ?? PRIVATE_DIR_MODE })
    if (options.dirMode !== undefined) yield* fs.chmod(dir, options.dirMode)
    yield* Effect.gen(function*() {
      const handle = yield* fs.open(tmp, { flag: "w", mode: options.mode })
      yield* handle.writeAll(new TextEncoder().encode(text))
      yield* handle.sync
    }).pipe(Effect.scoped)
    // the mode given at creation is reduced by the umask; enforce it
    yield* fs.chmod(tmp, options.mode)
    yield* fs.rename(tmp, file).pipe(
      Effect.onError(() => fs.remove(tmp, { force: true }).pipe(Effect.ignore({ log: true })))
    )
  }).pipe(
    Effect.catch((e) => Effect.flatMap(fileError(fs, file, "write", e), Effect.fail))
  )

export const readIfExists = (fs: FileSystem.FileSystem, file: string): Effect.Effect<string | undefined, SettingsFileError> =>
  fs.readFileString(file).pipe(
    Effect.catchReason("PlatformError", "NotFound", () => Effect.succeed(undefined)),
    Effect.catch((e) => Effect.flatMap(fileError(fs, file, "read", e), Effect.fail))
  )

/**
 * The warning for a config that holds the client secret but that other users can read
 * (an editor or `cp` made it 0644), or undefined when it is private.
 *
 * @category atomic writes
 */
export const secretModeWarning = (file: string, mode: number, holdsSecret: boolean): string | undefined =>
  holdsSecret && (mode & 0o077) !== 0
    ? `${file} holds the client secret but other users can read it (mode ${(mode & 0o777).toString(8).padStart(4, "0")}); ` +
      `make it private: chmod 600 ${file}`
    : undefined

// ---------------------------------------------------------------------------------------------
// Settings (the config file)
// ---------------------------------------------------------------------------------------------

/**
 * Editors save in bursts (truncate, write, rename, chmod): wait for quiet before reading,
 * so one save is one reload.
 */
export const CONFIG_RELOAD_DEBOUNCE = Duration.millis(150)

/**
 * While the config directory is gone (removed, about to be recreated) there is nothing to
 * watch: look for it this often.
 */
export const CONFIG_DIR_POLL = Duration.seconds(1)

/** Where the settings files are; every field defaults from the environment. @category models */
export interface SettingsOptions {
  /** The config file (the CLI's `--config`); else `$DECKCORD_CONFIG`, else the XDG default. */
  readonly configPath?: string | undefined
  /** The token file; else `$XDG_STATE_HOME/deckcord/tokens.json`. */
  readonly tokenPath?: string | undefined
  readonly env?: PathEnv
  readonly homedir?: string
  /**
   * The JSON Schema to name as `$schema` when `saveCredentials` writes a file that names
   * none yet, so editors check and complete the file (`deckcord auth` passes the shipped one).
   */
  readonly schemaUrl?: string | undefined
  /**
   * What the schema leaves opaque, checked at every load (the daemon passes the layout's
   * check): a file it finds problems in refuses to start, and an edit it finds problems in
   * is not applied. Without one the layout is taken as it is.
   */
  readonly check?: ConfigCheck | undefined
}

export const resolvePaths = (options: SettingsOptions) => {
  const env = options.env ?? process.env
  const home = options.homedir ?? env.HOME ?? Os.homedir()
  return {
    configPath: configFilePath(env, home, options.configPath),
    tokenPath: options.tokenPath ?? tokenFilePath(env, home)
  }
}

export class Settings extends Context.Service<Settings, {
  /** The config file in use. */
  readonly file: string
  /** The current config (from memory; never reads the disk). */
  readonly config: Effect.Effect<DeckcordConfig>
  /** The current config, then every valid change. */
  readonly changes: Stream.Stream<DeckcordConfig>
  /**
   * Store the application's credentials in the config file (other keys are kept), written
   * atomically with mode 0600 because it holds the secret.
   */
  readonly saveCredentials: (
    clientId: string,
    clientSecret: Redacted.Redacted<string>
  ) => Effect.Effect<DeckcordConfig, SettingsFileError | ConfigError>
}>()("deckcord/Settings") {
  /**
   * Load the config file (missing = defaults) and follow its changes. Fails with a
   * `ConfigError` when the file is invalid: the daemon refuses to start rather than guess.
   */
  static readonly layerWith = (
    options: SettingsOptions = {}
  ): Layer.Layer<Settings, ConfigError | SettingsFileError, FileSystem.FileSystem> =>
    // suspended: the paths come from the environment when the layer is built, not when this module loads
    Layer.effect(Settings, Effect.suspend(() => makeSettings(resolvePaths(options).configPath, options.schemaUrl, options.check)))

  /** `layerWith` with paths from the environment. */
  static readonly layer: Layer.Layer<Settings, ConfigError | SettingsFileError, FileSystem.FileSystem> = Settings
    .layerWith()

  /** A fixed config, no file (tests, embedding). */
  static readonly layerStatic = (config: Partial<DeckcordConfig> = {}): Layer.Layer<Settings> =>
    Layer.effect(
      Settings,
      Effect.gen(function*() {
        const ref = yield* SubscriptionRef.make<DeckcordConfig>({ ...defaultConfig, ...config })
        return Settings.of({
          file: "<static>",
          config: SubscriptionRef.get(ref),
          changes: SubscriptionRef.changes(ref),
          saveCredentials: (clientId, clientSecret) =>
            SubscriptionRef.updateAndGet(ref, (c): DeckcordConfig => ({ ...c, clientId, clientSecret }))
        })
      })
    )
}

function makeSettings(file: string, schemaUrl: string | undefined, check: ConfigCheck | undefined) {
  return Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const dir = NodePath.dirname(file)
    const name = NodePath.basename(file)

    const decodeText = (text: string | undefined): Result.Result<DecodedConfig, ConfigError> =>
      text === undefined ? Result.succeed({ config: defaultConfig, unknownKeys: [] }) : decodeConfig(file, text, check)
    const warnUnknown = (decoded: DecodedConfig) =>
      decoded.unknownKeys.length > 0 ? Effect.logWarning(unknownKeysWarning(file, decoded.unknownKeys)) : Effect.void

    // ---- first load: invalid = refuse to start ----
    const initialText = yield* readIfExists(fs, file)
    const initial = decodeText(initialText)
    if (Result.isFailure(initial)) return yield* initial.failure
    yield* warnUnknown(initial.success)
    if (initialText === undefined) yield* Effect.logInfo(`no config file at ${file}; using defaults`)
    else {
      const info = yield* fs.stat(file).pipe(Effect.option)
      const warning = Option.isSome(info)
        ? secretModeWarning(file, info.value.mode, initial.success.config.clientSecret !== undefined)
        : undefined
      if (warning !== undefined) yield* Effect.logWarning(warning)
    }
    const ref = yield* SubscriptionRef.make(initial.success.config)
    // the text of the version in force: decode once per file version
    const lastText = yield* Ref.make(initialText)

    const reload = Effect.gen(function*() {
      const text = yield* readIfExists(fs, file)
      if (text === (yield* Ref.get(lastText))) return
      yield* Ref.set(lastText, text)
      if (text === undefined) {
        return yield* Effect.logWarning(`${file} was removed; keeping the config loaded before`)
      }
      const next = decodeText(text)
      if (Result.isFailure(next)) {
        return yield* Effect.logError(`${next.failure.message}\n(keeping the last valid config until the file is fixed)`)
      }
      yield* warnUnknown(next.success)
      yield* SubscriptionRef.set(ref, next.success.config)
      yield* Effect.logInfo(`reloaded ${file}`)
    }).pipe(Effect.catchTag("SettingsFileError", (e) => Effect.logError(e.message)))

    // ---- live reload: watch the directory, not the file (atomic saves replace the inode) ----
    yield* fs.makeDirectory(dir, { recursive: true, mode: PRIVATE_DIR_MODE }).pipe(
      Effect.catch((e) => Effect.logWarning(`cannot create ${dir}: ${describePlatformError(e)}`))
    )
    const dirExists = fs.exists(dir).pipe(Effect.orElseSucceed(() => false))
    // A watch on a removed directory stays open and silent, even once a new directory of
    // that name appears: end it when the directory goes, so the loop below watches the new one.
    // An edit made before the watch is in place would go unseen: read the file once more
    // when the watch surely is (a watch is set up at once; the timer only starts with it).
    const lookAgain = Stream.fromEffect(Effect.as(Effect.sleep(CONFIG_RELOAD_DEBOUNCE), { path: name }))
    const watchUntilRemoved = fs.watch(dir).pipe(
      Stream.takeUntilEffect((event) =>
        NodePath.basename(event.path) === name ? Effect.succeed(false) : Effect.map(dirExists, (exists) => !exists)
      ),
      Stream.merge(lookAgain),
      Stream.filter((event) => NodePath.basename(event.path) === name),
      Stream.debounce(CONFIG_RELOAD_DEBOUNCE),
      Stream.runForEach(() => reload)
    )
    const follow = Effect.gen(function*() {
      while (true) {
        if (!(yield* dirExists)) {
          yield* Effect.logWarning(`${dir} is gone (removed?); keeping the loaded config, and applying ${name} once the directory is back`)
          while (!(yield* dirExists)) yield* Effect.sleep(CONFIG_DIR_POLL)
        }
        const watched = yield* Effect.result(watchUntilRemoved)
        if (Result.isFailure(watched) && (yield* dirExists)) {
          return yield* Effect.logWarning(
            `stopped watching ${dir} for config changes (${describePlatformError(watched.failure)}); restart deckcord to apply edits`
          )
        }
      }
    })
    yield* Effect.forkScoped(follow)

    const writeLock = yield* Semaphore.make(1)

    const saveCredentials = (clientId: string, clientSecret: Redacted.Redacted<string>) =>
      Effect.gen(function*() {
        if (!isClientId(clientId)) {
          return yield* new ConfigError({
            file,
            message: `${file}: at ["clientId"]: expected a Discord id (17–20 digits), got ${JSON.stringify(clientId)}`
          })
        }
        const text = yield* readIfExists(fs, file)
        let raw: Record<string, unknown> = {}
        if (text !== undefined) {
          // keep the user's other keys; refuse to overwrite a file we cannot parse
          const current = decodeText(text)
          if (Result.isFailure(current)) return yield* current.failure
          raw = JSON.parse(text) as Record<string, unknown>
        }
        const schema = raw["$schema"] === undefined && schemaUrl !== undefined ? { $schema: schemaUrl } : {}
        const nextText =
          JSON.stringify({ ...schema, ...raw, clientId, clientSecret: Redacted.value(clientSecret) }, null, 2) + "\n"
        const next = decodeText(nextText)
        if (Result.isFailure(next)) return yield* next.failure
        yield* writeFileAtomic(fs, file, nextText, { mode: SECRET_FILE_MODE })
        yield* Ref.set(lastText, nextText)
        yield* SubscriptionRef.set(ref, next.success.config)
        return next.success.config
      }).pipe(writeLock.withPermits(1))

    return Settings.of({
      file,
      config: SubscriptionRef.get(ref),
      changes: SubscriptionRef.changes(ref),
      saveCredentials
    })
  })
}
