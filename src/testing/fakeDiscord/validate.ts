/**
 * A tiny argument validator with Joi's semantics and message style, because Discord
 * validates command args with Joi, type conversion disabled and unknown keys rejected
 * (docs/discord-rpc.md#argument-validation). A failure becomes a 4000 reply carrying the message.
 *
 * Plain functions, no Schema: this runs on the fake's per-request path.
 *
 * @since 0.1.0
 */

/** Returns an error message, or undefined when the value is valid. */
export type Check = (value: unknown, label: string) => string | undefined

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value)

export const string: Check = (v, label) => (typeof v === "string" ? undefined : `"${label}" must be a string`)

export const boolean: Check = (v, label) => (typeof v === "boolean" ? undefined : `"${label}" must be a boolean`)

export const number = (range: { readonly min?: number; readonly max?: number; readonly integer?: boolean } = {}): Check =>
(v, label) => {
  if (typeof v !== "number" || !Number.isFinite(v)) return `"${label}" must be a number`
  if (range.integer === true && !Number.isInteger(v)) return `"${label}" must be an integer`
  if (range.min !== undefined && v < range.min) return `"${label}" must be greater than or equal to ${range.min}`
  if (range.max !== undefined && v > range.max) return `"${label}" must be less than or equal to ${range.max}`
  return undefined
}

export const oneOf = (values: ReadonlyArray<string | number>): Check => (v, label) =>
  values.includes(v as string | number) ? undefined : `"${label}" must be one of [${values.join(", ")}]`

export const nullable = (check: Check): Check => (v, label) => (v === null ? undefined : check(v, label))

export const array = (item: Check): Check => (v, label) => {
  if (!Array.isArray(v)) return `"${label}" must be an array`
  for (let i = 0; i < v.length; i++) {
    const error = item(v[i], `${label}[${i}]`)
    if (error !== undefined) return error
  }
  return undefined
}

export interface Field {
  readonly check: Check
  readonly required?: boolean
}

/** A plain check is an optional field; `required(check)` makes it mandatory. */
export const required = (check: Check): Field => ({ check, required: true })

/**
 * An object with known keys. Unknown keys fail with `"x" is not allowed`, as Joi's
 * `keys()` does by default. Nested labels are dotted paths, like Joi's.
 */
export const object = (fields: Readonly<Record<string, Check | Field>>): Check => {
  const entries = Object.entries(fields).map(([key, f]) =>
    [key, typeof f === "function" ? { check: f, required: false } : f] as const
  )
  return (v, label) => {
    if (!isRecord(v)) return `"${label}" must be of type object`
    const prefix = label === "value" ? "" : `${label}.`
    for (const [key, field] of entries) {
      const child = v[key]
      if (child === undefined) {
        if (field.required === true) return `"${prefix}${key}" is required`
        continue
      }
      const error = field.check(child, `${prefix}${key}`)
      if (error !== undefined) return error
    }
    for (const key of Object.keys(v)) {
      if (!(key in fields)) return `"${prefix}${key}" is not allowed`
    }
    return undefined
  }
}

/** Validate a command's `args`; the root is labelled "value", as Joi labels it. */
export const validateArgs = (check: Check, args: unknown, argsRequired: boolean): string | undefined => {
  if (args === undefined) return argsRequired ? `"value" is required` : undefined
  return check(args, "value")
}
