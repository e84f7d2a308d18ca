/**
 * The token store: OAuth tokens per client id, kept apart from the config so the config can be
 * shared or versioned. Read once, kept in memory, written atomically (temp file, fsync,
 * rename) with mode 0600 through the same helpers as the config file.
 *
 * @since 0.1.0
 */
import { Context, Effect, FileSystem, Layer, Option, Ref, Result, Schema, Semaphore } from "effect"
import {
  describePlatformError,
  PRIVATE_DIR_MODE,
  readIfExists,
  resolvePaths,
  SECRET_FILE_MODE,
  SettingsFileError,
  type SettingsOptions,
  writeFileAtomic
} from "../config/Settings.ts"
import type { TokenGrant } from "./OAuth.ts"

/** OAuth tokens of one application, as held in memory: exactly what the endpoint granted. @category models */
export type StoredToken = TokenGrant

const TokenEntry = Schema.Struct({
  accessToken: Schema.RedactedFromValue(Schema.String),
  refreshToken: Schema.RedactedFromValue(Schema.String),
  expiresAt: Schema.Number,
  scopes: Schema.Array(Schema.String)
})

/** tokens.json: versioned so a later format can migrate it. */
const TokenFile = Schema.fromJsonString(
  Schema.Struct({
    version: Schema.Literal(1),
    tokens: Schema.Record(Schema.String, TokenEntry)
  })
)
const decodeTokenFile = Schema.decodeUnknownResult(TokenFile)
const encodeTokenFile = Schema.encodeSync(TokenFile)

export class TokenStore extends Context.Service<TokenStore, {
  readonly file: string
  /** The stored tokens of an application (from memory). */
  readonly get: (clientId: string) => Effect.Effect<Option.Option<StoredToken>>
  /** Store (replace) an application's tokens, in memory and on disk. */
  readonly set: (clientId: string, token: StoredToken) => Effect.Effect<void, SettingsFileError>
  /** Forget an application's tokens (revoked, or the user asked). */
  readonly remove: (clientId: string) => Effect.Effect<void, SettingsFileError>
  /**
   * Read the file again: another process (`deckcord auth` while the daemon runs) may have
   * stored tokens. Called once per connection, never per use; an unreadable file keeps memory.
   */
  readonly reload: Effect.Effect<void>
}>()("deckcord/TokenStore") {
  /**
   * Load the token file once (missing = empty; unreadable content = empty, with a warning,
   * since tokens can always be obtained again) and keep it in memory.
   */
  static readonly layerWith = (
    options: SettingsOptions = {}
  ): Layer.Layer<TokenStore, SettingsFileError, FileSystem.FileSystem> =>
    // suspended like Settings.layerWith: the environment is read when the layer is built
    Layer.effect(TokenStore, Effect.suspend(() => makeTokenStore(resolvePaths(options).tokenPath)))

  static readonly layer: Layer.Layer<TokenStore, SettingsFileError, FileSystem.FileSystem> = TokenStore.layerWith()

  /** Tokens in memory only (tests, embedding). */
  static readonly layerMemory = (initial: Readonly<Record<string, StoredToken>> = {}): Layer.Layer<TokenStore> =>
    Layer.effect(
      TokenStore,
      Effect.gen(function*() {
        const ref = yield* Ref.make<ReadonlyMap<string, StoredToken>>(new Map(Object.entries(initial)))
        return TokenStore.of({
          file: "<memory>",
          reload: Effect.void,
          get: (id) => Ref.get(ref).pipe(Effect.map((m) => Option.fromNullishOr(m.get(id)))),
          set: (id, token) => Ref.update(ref, (m) => new Map(m).set(id, token)),
          remove: (id) =>
            Ref.update(ref, (m) => {
              const next = new Map(m)
              next.delete(id)
              return next
            })
        })
      })
    )
}

function makeTokenStore(file: string) {
  return Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const text = yield* readIfExists(fs, file)
    let initial: ReadonlyMap<string, StoredToken> = new Map()
    if (text !== undefined) {
      const decoded = decodeTokenFile(text)
      if (Result.isSuccess(decoded)) {
        initial = new Map(Object.entries(decoded.success.tokens))
        // an older or hand-made file may be readable by others: tighten it
        yield* fs.chmod(file, SECRET_FILE_MODE).pipe(
          Effect.catch((e) => Effect.logWarning(`cannot restrict ${file} to mode 0600: ${describePlatformError(e)}`))
        )
      } else {
        // the issue text describes the shape, never the values, so no secret leaks here
        yield* Effect.logWarning(
          `${file} is not a valid token file (${decoded.failure.message.split("\n")[0]}); ` +
            "ignoring it: deckcord will authorize again and overwrite it"
        )
      }
    }
    const tokens = yield* Ref.make(initial)
    const writeLock = yield* Semaphore.make(1)

    const persist = (update: (m: ReadonlyMap<string, StoredToken>) => ReadonlyMap<string, StoredToken>) =>
      Effect.gen(function*() {
        const next = update(yield* Ref.get(tokens))
        const body = encodeTokenFile({ version: 1, tokens: Object.fromEntries(next) })
        // disk first: memory never claims what a restart would not find
        yield* writeFileAtomic(fs, file, body + "\n", { mode: SECRET_FILE_MODE, dirMode: PRIVATE_DIR_MODE })
        yield* Ref.set(tokens, next)
      }).pipe(writeLock.withPermits(1))

    const reload = readIfExists(fs, file).pipe(
      Effect.flatMap((latest) => {
        if (latest === undefined) return Effect.void
        const decoded = decodeTokenFile(latest)
        return Result.isSuccess(decoded) ? Ref.set(tokens, new Map(Object.entries(decoded.success.tokens))) : Effect.void
      }),
      Effect.catch((e) => Effect.logWarning(`cannot read ${file}: ${describePlatformError(e)}`)),
      writeLock.withPermits(1)
    )

    return TokenStore.of({
      file,
      reload,
      get: (clientId) => Ref.get(tokens).pipe(Effect.map((m) => Option.fromNullishOr(m.get(clientId)))),
      set: (clientId, token) => persist((m) => new Map(m).set(clientId, token)),
      remove: (clientId) =>
        persist((m) => {
          const next = new Map(m)
          next.delete(clientId)
          return next
        })
    })
  })
}
