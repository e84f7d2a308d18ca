/**
 * A JSON Schema of config.json, for editors: completion and validation while typing. It is
 * generated from the same Effect schemas that decode the file (the top-level fields and each
 * action's options), so it cannot drift from what deckcord accepts. The decoder stays the
 * authority: its messages say more, and checks that span fields (page navigation) are its own.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"
import { ACTIONS, type AnyActionDef, HOME_PAGE, MAX_DELAY_MILLIS, multi, page } from "./actions/index.ts"
import { ConfigFile } from "../config/Config.ts"
import { ICON_NAMES } from "../face/Face.ts"

/** A JSON Schema, as plain JSON. @category models */
export type JsonSchemaObject = { readonly [key: string]: unknown }

/** Where the generated schema is shipped, relative to the package root. */
export const CONFIG_SCHEMA_FILE = "schema/config.schema.json"

interface SchemaLike {
  readonly ast: { readonly checks?: ReadonlyArray<{ readonly annotations?: Readonly<Record<string, unknown>> }> }
}

/**
 * Effect leaves RegExp checks out of JSON Schema (JavaScript and JSON Schema regexes differ
 * in general); deckcord's patterns are plain digit and colour patterns that mean the same
 * in both, so they go in.
 */
const patternOf = (schema: SchemaLike): string | undefined => {
  for (const check of schema.ast.checks ?? []) {
    const representation = check.annotations?.["representation"] as
      | { readonly id?: string; readonly payload?: { readonly source?: string; readonly flags?: string } }
      | undefined
    if (representation?.id === "effect/schema/isPattern" && representation.payload?.flags === "") {
      return representation.payload.source
    }
  }
  return undefined
}

const fieldSchema = (field: Schema.Top, description?: string): JsonSchemaObject => {
  const document = Schema.toJsonSchemaDocument(field)
  const pattern = patternOf(field as unknown as SchemaLike)
  return {
    ...(document.schema as JsonSchemaObject),
    ...(pattern === undefined ? {} : { pattern }),
    ...(description === undefined ? {} : { description })
  }
}

/** The properties and required keys of a Struct, one field at a time (so patterns are kept). */
const structFields = (schema: unknown): { properties: Record<string, JsonSchemaObject>; required: Array<string> } => {
  const fields = (schema as { readonly fields?: Readonly<Record<string, Schema.Top>> }).fields ?? {}
  const whole = Schema.toJsonSchemaDocument(schema as Schema.Top).schema as { readonly required?: ReadonlyArray<string> }
  const properties: Record<string, JsonSchemaObject> = {}
  for (const [name, field] of Object.entries(fields)) properties[name] = fieldSchema(field)
  return { properties, required: [...(whole.required ?? [])] }
}

const TOP_LEVEL_DESCRIPTIONS: Readonly<Record<string, string>> = {
  clientId: "The Application ID from the Discord Developer Portal, as a string (17–20 digits).",
  clientSecret: "The application's Client Secret (OAuth2 → Reset Secret). Keep this file private (chmod 600).",
  socketPath: "Connect to this Discord IPC socket instead of searching for one.",
  brightness: "Deck brightness, 0–100 (default 60).",
  scopes: "Extra features that need extra OAuth scopes: \"video\" (camera), \"screenshare\".",
  onExit: "What the decks show after deckcord stops: \"clear\" (default) or \"logo\".",
  avatars: "Show members' Discord avatars on voice-channel keys and the user-volume dial (default true); false shows initials and fetches nothing.",
  decks: "The key layout: an entry per deck by USB serial, or \"*\" for every deck without its own entry."
}

const COLOUR = { type: "string", pattern: "^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$", description: "\"#rgb\" or \"#rrggbb\"" }

const IMAGE_FILE = {
  type: "string",
  pattern: "\\.(?:[pP][nN][gG]|[jJ][pP][eE]?[gG]|[sS][vV][gG])$",
  description: "A PNG, JPEG or SVG file shown on the key, relative to the config file's folder."
}

/** `{ "action": "…", …options }` for one action, options checked like the decoder does. */
const bindingObject = (action: AnyActionDef, withFace = true): JsonSchemaObject => {
  const { properties, required } = action === multi ? MULTI_FIELDS : structFields(action.options)
  return {
    type: "object",
    properties: {
      action: { const: action.name },
      ...(withFace
        ? {
          label: { type: "string", description: "Text shown instead of the action's own label." },
          icon: { enum: [...ICON_NAMES], description: "One of deckcord's icons instead of the action's." },
          background: COLOUR,
          foreground: COLOUR,
          image: IMAGE_FILE,
          images: {
            type: "object",
            description: "A picture per state: \"on\" while the action's state is on (muted, in the channel, …), \"off\" otherwise.",
            properties: { on: IMAGE_FILE, off: IMAGE_FILE },
            additionalProperties: false
          }
        }
        : {}),
      ...properties
    },
    required: ["action", ...required],
    additionalProperties: false
  }
}

/** A multi-action's steps are decoded by the layout decoder, not by an options schema. */
const SEQUENCE = { type: "array", minItems: 1, items: { $ref: "#/$defs/step" } }
const MULTI_FIELDS = {
  properties: {
    steps: { ...SEQUENCE, description: "The actions to run in order; { \"delay\": ms } waits between them." },
    then: { ...SEQUENCE, description: "Makes a toggle: presses alternate between steps and these." }
  } as Record<string, JsonSchemaObject>,
  required: ["steps"]
}
const requiresOptions = (action: AnyActionDef): boolean =>
  action === multi || structFields(action.options).required.length > 0
/** What a multi-action's step may run: any action but a multi-action or a page. */
const STEP_ACTIONS = ACTIONS.filter((a) => a !== multi && a !== page)

/** The JSON Schema document of config.json. */
export const configJsonSchema = (): JsonSchemaObject => {
  const { properties } = structFields(ConfigFile)
  const top: Record<string, JsonSchemaObject> = {}
  for (const [name, schema] of Object.entries(properties)) {
    top[name] = { ...schema, ...(TOP_LEVEL_DESCRIPTIONS[name] ? { description: TOP_LEVEL_DESCRIPTIONS[name] } : {}) }
  }
  // an action without required options may be written as its bare name
  const shorthand = ACTIONS.filter((a) => !requiresOptions(a)).map((a) => a.name)
  const controls = (what: string): JsonSchemaObject => ({
    type: "object",
    description: `${what} by index, counted from 0`,
    propertyNames: { pattern: "^(0|[1-9]\\d{0,3})$" },
    additionalProperties: { $ref: "#/$defs/binding" }
  })
  return {
    $schema: "https://json-schema.org/draft/2020-12/schema",
    title: "deckcord config.json",
    description: "deckcord's settings and key layout. deckcord checks the file itself when it loads it, with more precise messages.",
    type: "object",
    properties: {
      ...top,
      $schema: { type: "string", description: "This schema, for editors." },
      decks: {
        type: "object",
        description: TOP_LEVEL_DESCRIPTIONS["decks"],
        additionalProperties: { $ref: "#/$defs/deck" }
      }
    },
    // deckcord only warns about unknown keys, but in an editor a typo is worth a squiggle
    additionalProperties: false,
    $defs: {
      deck: {
        type: "object",
        properties: {
          keys: controls("keys"),
          encoders: controls("dials"),
          pages: {
            type: "object",
            description: `Named pages, each with its own keys and dials; "${HOME_PAGE}" is the deck's own keys.`,
            propertyNames: { not: { const: HOME_PAGE }, minLength: 1 },
            additionalProperties: { $ref: "#/$defs/page" }
          }
        },
        additionalProperties: false
      },
      page: {
        type: "object",
        properties: { keys: controls("keys"), encoders: controls("dials") },
        additionalProperties: false
      },
      binding: {
        anyOf: [
          { enum: shorthand, description: "An action by name, without options." },
          ...ACTIONS.map((a) => bindingObject(a))
        ]
      },
      step: {
        anyOf: [
          { enum: STEP_ACTIONS.filter((a) => !requiresOptions(a)).map((a) => a.name), description: "An action by name, without options." },
          {
            type: "object",
            properties: { delay: { type: "integer", minimum: 0, maximum: MAX_DELAY_MILLIS, description: "Wait this many milliseconds." } },
            required: ["delay"],
            additionalProperties: false
          },
          ...STEP_ACTIONS.map((a) => bindingObject(a, false))
        ]
      }
    }
  }
}

/** The schema as shipped: stable key order, two-space indent, a final newline. */
export const configJsonSchemaText = (): string => JSON.stringify(configJsonSchema(), null, 2) + "\n"
