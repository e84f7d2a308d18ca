/**
 * The config file as the layout editor sees it: read with a version (a hash of the bytes on
 * disk), saved only if the file is still that version, validated by the same decoder the
 * daemon uses and written with the same atomic 0600 write. The client secret never leaves
 * the server: reads drop it, saves keep the one on disk unless a new one is given.
 *
 * @since 0.1.0
 */
import { createHash } from "node:crypto"
import { Context, Effect, FileSystem, Layer, Redacted, Result, Schema, Semaphore } from "effect"
import { decodeConfig } from "../config/Config.ts"
import { checkLayout } from "../control/Layout.ts"
import { explainFileProblem, SECRET_FILE_MODE, Settings, SettingsFileError, writeFileAtomic } from "../config/Settings.ts"

/** What a read returns: the file's JSON without the secret, and the version to save against. */
export interface ConfigSnapshot {
  readonly file: string
  /** `sha256:<hex>` of the file's bytes, or `"absent"` when there is no file yet. */
  readonly version: string
  readonly exists: boolean
  /** The file's JSON object, without `clientSecret`; `{}` when absent or unreadable. */
  readonly config: Readonly<Record<string, unknown>>
  readonly hasSecret: boolean
  /** Problems with the file as it is on disk (hand-edited into an invalid state). */
  readonly problems: ReadonlyArray<ConfigProblem>
}

/** One problem, at a JSON path as the error messages write it (`["decks"]["*"]["keys"]["4"]`). */
export interface ConfigProblem {
  /** Empty for the file as a whole (e.g. not JSON). */
  readonly path: string
  readonly message: string
}

/** The file changed on disk since it was read; nothing was written. */
export class ConfigConflict extends Schema.TaggedError<ConfigConflict>()("ConfigConflict", {
  file: Schema.String,
  /** The version the client read. */
  expected: Schema.String,
  /** The version on disk now. */
  actual: Schema.String,
  message: Schema.String
}) {}

/** The config would not decode; nothing was written. */
export class ConfigInvalid extends Schema.TaggedError<ConfigInvalid>()("ConfigInvalid", {
  file: Schema.String,
  problems: Schema.Array(Schema.Struct({ path: Schema.String, message: Schema.String })),
  message: Schema.String
}) {}

/** The version of a file's text. */
export const versionOf = (text: string | undefined): string =>
  text === undefined ? "absent" : `sha256:${createHash("sha256").update(text).digest("hex")}`

const PATH = /^at ((?:\[(?:"(?:[^"\\]|\\.)*"|\d+)\])+): ([\s\S]*)$/

/** Split the decoder's message (one line per problem, each `<file>: at <path>: <what>`). */
export const problemsOf = (file: string, message: string): ReadonlyArray<ConfigProblem> =>
  message.split("\n").filter((line) => line.trim() !== "").map((line) => {
    const text = line.startsWith(`${file}: `) ? line.slice(file.length + 2) : line
    const match = PATH.exec(text)
    return match ? { path: match[1]!, message: match[2]! } : { path: "", message: text }
  })

const isRecord = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null && !Array.isArray(u)

const withoutSecret = (json: Record<string, unknown>): Record<string, unknown> => {
  const { clientSecret: _secret, ...rest } = json
  return rest
}

export class ConfigEditor extends Context.Service<ConfigEditor, {
  readonly file: string
  readonly read: Effect.Effect<ConfigSnapshot, SettingsFileError>
  /**
   * Replace the file with `config` if it is still at `version`. `clientSecret` in `config`
   * is ignored unless `secret` is given: the one on disk is kept.
   */
  readonly save: (
    version: string,
    config: Readonly<Record<string, unknown>>,
    secret?: Redacted.Redacted<string>
  ) => Effect.Effect<ConfigSnapshot, ConfigConflict | ConfigInvalid | SettingsFileError>
}>()("deckcord/web/ConfigEditor") {
  /** Edits the file `Settings` loaded; the daemon's watcher applies each save. */
  static readonly layer: Layer.Layer<ConfigEditor, never, Settings | FileSystem.FileSystem> = Layer.effect(
    ConfigEditor,
    Effect.gen(function*() {
      const settings = yield* Settings
      return yield* makeConfigEditor(settings.file)
    })
  )

  /** An editor of a given file (tests). */
  static readonly layerFile = (file: string): Layer.Layer<ConfigEditor, never, FileSystem.FileSystem> =>
    Layer.effect(ConfigEditor, makeConfigEditor(file))
}

const makeConfigEditor = (file: string) =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const lock = yield* Semaphore.make(1)

    const readText = fs.readFileString(file).pipe(
      Effect.map((text): string | undefined => text),
      Effect.catchReason("PlatformError", "NotFound", () => Effect.succeed(undefined)),
      Effect.mapError((e) =>
        new SettingsFileError({
          file,
          ...explainFileProblem(file, "read", {
            tag: (e.reason as { readonly _tag?: string } | undefined)?._tag,
            detail: e.message,
            isDirectory: false
          })
        })
      )
    )

    const snapshot = (text: string | undefined): ConfigSnapshot => {
      const version = versionOf(text)
      if (text === undefined) return { file, version, exists: false, config: {}, hasSecret: false, problems: [] }
      let json: unknown
      try {
        json = JSON.parse(text)
      } catch {
        json = undefined
      }
      const decoded = decodeConfig(file, text, checkLayout)
      const problems = Result.isFailure(decoded) ? problemsOf(file, decoded.failure.message) : []
      const object = isRecord(json) ? json : {}
      return {
        file,
        version,
        exists: true,
        config: withoutSecret(object),
        hasSecret: typeof object["clientSecret"] === "string" && object["clientSecret"] !== "",
        problems
      }
    }

    const save = (version: string, config: Readonly<Record<string, unknown>>, secret?: Redacted.Redacted<string>) =>
      Effect.gen(function*() {
        const current = yield* readText
        const actual = versionOf(current)
        if (actual !== version) {
          return yield* new ConfigConflict({
            file,
            expected: version,
            actual,
            message: `${file} changed on disk since this page loaded it; nothing was saved. ` +
              "Reload to see the new version, then make your change again."
          })
        }
        let onDisk: Record<string, unknown> = {}
        if (current !== undefined) {
          try {
            const parsed: unknown = JSON.parse(current)
            if (isRecord(parsed)) onDisk = parsed
          } catch {
            // an unparsable file has no secret to keep
          }
        }
        const keptSecret = secret !== undefined ? Redacted.value(secret) : onDisk["clientSecret"]
        const next: Record<string, unknown> = { ...withoutSecret({ ...config }) }
        if (typeof keptSecret === "string" && keptSecret !== "") next["clientSecret"] = keptSecret
        const text = JSON.stringify(next, null, 2) + "\n"
        const decoded = decodeConfig(file, text, checkLayout)
        if (Result.isFailure(decoded)) {
          return yield* new ConfigInvalid({
            file,
            problems: [...problemsOf(file, decoded.failure.message)],
            message: decoded.failure.message
          })
        }
        yield* writeFileAtomic(fs, file, text, { mode: SECRET_FILE_MODE })
        return snapshot(text)
      }).pipe(lock.withPermits(1))

    return ConfigEditor.of({ file, read: Effect.map(readText, snapshot), save })
  })
