/**
 * The config file: where it lives, its schema, and a pure decoder whose errors name the
 * file, the JSON path and what was expected. `Settings` loads it; nothing else reads it.
 *
 * @since 0.1.0
 */
import * as NodePath from "node:path"
import { Effect, Result, Schema, SchemaIssue } from "effect"
import { isSnowflake, SNOWFLAKE_PATTERN } from "../protocol/Message.ts"
import { ScopeExtra } from "../protocol/Scopes.ts"

// the scope vocabulary, where the config's `scopes` field and its users have always found it
export { BASE_SCOPES, ScopeExtra, scopeExtraFor } from "../protocol/Scopes.ts"

// ---------------------------------------------------------------------------------------------
// paths
// ---------------------------------------------------------------------------------------------

/** Environment variables that locate deckcord's files. @category paths */
export interface PathEnv {
  readonly DECKCORD_CONFIG?: string | undefined
  readonly XDG_CONFIG_HOME?: string | undefined
  readonly XDG_STATE_HOME?: string | undefined
  readonly HOME?: string | undefined
}

// The XDG spec says relative values are invalid and must be ignored.
const xdgDir = (value: string | undefined, fallback: string): string =>
  value !== undefined && NodePath.isAbsolute(value) ? value : fallback

/**
 * The config file: an explicit path (the CLI's `--config`) wins, then `$DECKCORD_CONFIG`,
 * then `$XDG_CONFIG_HOME/deckcord/config.json` (default `~/.config/deckcord/config.json`).
 *
 * @category paths
 */
export const configFilePath = (env: PathEnv, homedir: string, override?: string): string => {
  if (override !== undefined && override !== "") return NodePath.resolve(override)
  if (env.DECKCORD_CONFIG !== undefined && env.DECKCORD_CONFIG !== "") return NodePath.resolve(env.DECKCORD_CONFIG)
  return NodePath.join(xdgDir(env.XDG_CONFIG_HOME, NodePath.join(homedir, ".config")), "deckcord", "config.json")
}

/** The token store: `$XDG_STATE_HOME/deckcord/tokens.json` (default `~/.local/state/deckcord`). @category paths */
export const tokenFilePath = (env: PathEnv, homedir: string): string =>
  NodePath.join(xdgDir(env.XDG_STATE_HOME, NodePath.join(homedir, ".local", "state")), "deckcord", "tokens.json")

// ---------------------------------------------------------------------------------------------
// schema
// ---------------------------------------------------------------------------------------------

/** What a client id looks like, phrased for the error message. */
const CLIENT_ID_EXPECTED = "expected a Discord id (17–20 digits): the Application ID from the Discord Developer Portal"

/** A Discord application id: the Application ID from the Developer Portal. @category schema */
export const ClientId = Schema.String.check(Schema.isPattern(SNOWFLAKE_PATTERN, { message: CLIENT_ID_EXPECTED }))

/** Whether a string is a well-formed client id (for prompts). @category schema */
export const isClientId: (s: string) => boolean = isSnowflake

/** Brightness when the config says nothing: readable without glare. */
export const DEFAULT_BRIGHTNESS = 60

/** The config file's schema. Unknown keys are dropped (and warned about by `decodeConfig`). @category schema */
export const ConfigFile = Schema.Struct({
  /** The JSON Schema editors check the file against (`deckcord auth` writes it); deckcord ignores it. */
  $schema: Schema.optionalKey(Schema.String),
  clientId: Schema.optionalKey(ClientId),
  clientSecret: Schema.optionalKey(Schema.RedactedFromValue(Schema.String.check(Schema.isNonEmpty()))),
  socketPath: Schema.optionalKey(Schema.String.check(Schema.isNonEmpty())),
  brightness: Schema.Number.check(Schema.isInt(), Schema.isBetween({ minimum: 0, maximum: 100 })).pipe(
    Schema.withDecodingDefaultKey(Effect.succeed(DEFAULT_BRIGHTNESS))
  ),
  scopes: Schema.Array(ScopeExtra).pipe(Schema.withDecodingDefaultKey(Effect.succeed([]))),
  /** What the decks show once deckcord exits: black keys (default) or the Elgato logo. */
  onExit: Schema.optionalKey(Schema.Literals(["clear", "logo"])),
  /** Members' Discord avatars on voice-channel keys and the user-volume dial (default true); false: initials, nothing fetched. */
  avatars: Schema.optionalKey(Schema.Boolean),
  /** The deck layout: opaque here, decoded against the action registry by control/Layout.ts. */
  decks: Schema.optionalKey(Schema.Unknown),
  /** The web UI and HTTP control API: where to listen (default 127.0.0.1 and a fixed port), or `false` for off. */
  web: Schema.optionalKey(Schema.Union([
    Schema.Literal(false),
    Schema.Struct({
      /** 0 picks a free port (tests). */
      port: Schema.optionalKey(Schema.Int.check(Schema.isBetween({ minimum: 0, maximum: 65535 }))),
      host: Schema.optionalKey(Schema.String.check(Schema.isNonEmpty()))
    })
  ]))
})

/** The decoded config. @category models */
export type DeckcordConfig = typeof ConfigFile.Type

/** The config when there is no file. @category models */
export const defaultConfig: DeckcordConfig = { brightness: DEFAULT_BRIGHTNESS, scopes: [] }

const KNOWN_KEYS: ReadonlySet<string> = new Set(Object.keys(ConfigFile.fields))

/** Keys whose values are secret: never echoed in an error message. */
const SECRET_KEYS: ReadonlySet<string> = new Set(["clientSecret"])

// ---------------------------------------------------------------------------------------------
// decoding
// ---------------------------------------------------------------------------------------------

/**
 * The config file is not valid. `message` names the file, the JSON path and what was
 * expected; the daemon refuses to start rather than guess.
 *
 * @category errors
 */
export class ConfigError extends Schema.TaggedError<ConfigError>()("ConfigError", {
  file: Schema.String,
  message: Schema.String
}) {}

/**
 * A check of a part of the config this module keeps opaque (the deck layout, which only the
 * action registry can decode): the problems it finds, each as `at ["path"]: what is wrong`,
 * none when the part is valid. The composition root passes the layout's check in, so an
 * invalid layout is an invalid file, without config/ knowing any action.
 *
 * @category decoding
 */
export type ConfigCheck = (config: DeckcordConfig) => ReadonlyArray<string>

/** A successfully decoded file: the config and what to warn about. @category models */
export interface DecodedConfig {
  readonly config: DeckcordConfig
  /** Unknown top-level keys (probably typos), to be logged once per load. */
  readonly unknownKeys: ReadonlyArray<string>
}

/** `["a"][0]`, the way the error messages show a JSON path. */
export const formatPath = (path: ReadonlyArray<PropertyKey>): string =>
  path.map((k) => (typeof k === "number" ? `[${k}]` : `[${JSON.stringify(String(k))}]`)).join("")

const lookup = (root: unknown, path: ReadonlyArray<PropertyKey>): { readonly found: boolean; readonly value?: unknown } => {
  let current: unknown = root
  for (const key of path) {
    if (typeof current !== "object" || current === null || !(key in current)) return { found: false }
    current = (current as Record<PropertyKey, unknown>)[key]
  }
  return { found: true, value: current }
}

const MAX_SHOWN_VALUE = 60 // keep a pasted blob from flooding the log line

const showValue = (value: unknown): string => {
  const text = JSON.stringify(value) ?? String(value)
  return text.length > MAX_SHOWN_VALUE ? `${text.slice(0, MAX_SHOWN_VALUE)}…` : text
}

const lowerFirst = (s: string): string => (s.length === 0 ? s : s[0]!.toLowerCase() + s.slice(1))

const formatStandard = SchemaIssue.makeFormatterStandardSchemaV1()

/** Turn JSON.parse's "at position N" into a line and column (Node 20 does not say). */
const jsonSyntaxMessage = (text: string, error: unknown): string => {
  const raw = error instanceof Error ? error.message : String(error)
  const base = raw.replace(/\s*\(line \d+ column \d+\)\s*$/, "")
  const match = /at position (\d+)/.exec(base)
  const position = match ? Number(match[1]) : /end of JSON input/.test(base) ? text.length : undefined
  if (position === undefined) return base
  const before = text.slice(0, position)
  const line = before.split("\n").length
  const column = position - before.lastIndexOf("\n")
  return `${base.replace(/ in JSON at position \d+/, "")} (line ${line}, column ${column})`
}

/**
 * JSON.parse has already rounded an id written as a number (112233445566778899 becomes
 * …8900), so quote the digits as written, not the "wrong" id the user never typed.
 */
const numericIdMessage = (text: string, parsed: number): string => {
  const written = /"clientId"\s*:\s*(-?[\d.eE+]+)/.exec(text)?.[1] ?? String(parsed)
  const rounded = written === String(parsed) ? "" : ` (as a JSON number it becomes ${parsed})`
  return `the Application ID must be a string: put the id in quotes, "clientId": "${written}"${rounded}`
}

/**
 * Decode the text of a config file. Pure: the caller reads the file (once per version).
 * `check` judges what the schema leaves opaque (pass control/Layout.ts's `checkLayout`);
 * its problems fail the file like any other field's.
 *
 * @category decoding
 */
export const decodeConfig = (
  file: string,
  text: string,
  check?: ConfigCheck
): Result.Result<DecodedConfig, ConfigError> => {
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (error) {
    return Result.fail(new ConfigError({ file, message: `${file}: not valid JSON: ${jsonSyntaxMessage(text, error)}` }))
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    return Result.fail(
      new ConfigError({ file, message: `${file}: expected a JSON object ({ "clientId": … }), got ${showValue(json)}` })
    )
  }
  const decoded = Schema.decodeUnknownResult(ConfigFile)(json, { errors: "all" })
  if (Result.isFailure(decoded)) {
    const lines = formatStandard(decoded.failure.issue).issues.map((issue) => {
      const path = (issue.path ?? []).map((p) => (typeof p === "object" && p !== null ? p.key : p))
      const at = lookup(json, path)
      if (path.length === 1 && path[0] === "clientId" && typeof at.value === "number") {
        return `${file}: at ["clientId"]: ${numericIdMessage(text, at.value)}`
      }
      const secret = path.some((k) => SECRET_KEYS.has(String(k)))
      const got = at.found && !secret ? `, got ${showValue(at.value)}` : ""
      return `${file}: at ${formatPath(path) || "the top level"}: ${lowerFirst(issue.message)}${got}`
    })
    return Result.fail(new ConfigError({ file, message: lines.join("\n") }))
  }
  // the layout is part of the config: an invalid one refuses to start like any other field
  const problems = check?.(decoded.success) ?? []
  if (problems.length > 0) {
    return Result.fail(new ConfigError({ file, message: problems.map((problem) => `${file}: ${problem}`).join("\n") }))
  }
  const unknownKeys = Object.keys(json).filter((k) => !KNOWN_KEYS.has(k))
  return Result.succeed({ config: decoded.success, unknownKeys })
}

/** The warning for unknown keys (typos are the usual cause). @category decoding */
export const unknownKeysWarning = (file: string, keys: ReadonlyArray<string>): string =>
  `${file}: ignoring unknown key${keys.length === 1 ? "" : "s"} ${keys.map((k) => JSON.stringify(k)).join(", ")} ` +
  `(known keys: ${[...KNOWN_KEYS].join(", ")})`
