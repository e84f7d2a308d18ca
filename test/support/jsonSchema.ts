/**
 * A small JSON Schema (2020-12) checker for the keywords deckcord's config schema uses, so
 * tests can check documents against it without a validator dependency. Unknown keywords
 * fail loudly instead of passing silently.
 */
type Json = null | boolean | number | string | ReadonlyArray<Json> | { readonly [key: string]: Json }
type JsonSchema = { readonly [key: string]: unknown }

const KNOWN = new Set([
  "$schema", "$defs", "$ref", "title", "description", "type", "properties", "required",
  "additionalProperties", "propertyNames", "items", "enum", "const", "pattern", "minLength",
  "minimum", "maximum", "anyOf", "not", "minItems"
])

const typeOf = (value: unknown): string =>
  value === null ? "null" : Array.isArray(value) ? "array" : typeof value

const isObject = (value: unknown): value is { readonly [key: string]: unknown } => typeOf(value) === "object"

/** The places where `value` breaks `schema`, as `/json/pointer: what`; empty when it conforms. */
export const jsonSchemaErrors = (root: JsonSchema, value: unknown): ReadonlyArray<string> =>
  errorsAgainst(root, root, value, "")

const errorsAgainst = (root: JsonSchema, start: JsonSchema, value: unknown, startAt: string): ReadonlyArray<string> => {
  const errors: Array<string> = []
  const check = (schema: JsonSchema, v: unknown, at: string): void => {
    for (const key of Object.keys(schema)) if (!KNOWN.has(key)) throw new Error(`unsupported keyword ${key} at ${at}`)
    if (typeof schema.$ref === "string") {
      const name = /^#\/\$defs\/(.+)$/.exec(schema.$ref)?.[1]
      const target = name === undefined ? undefined : (root.$defs as Record<string, JsonSchema> | undefined)?.[name]
      if (target === undefined) throw new Error(`unresolvable $ref ${schema.$ref}`)
      check(target, v, at)
    }
    if (typeof schema.type === "string") {
      const actual = typeOf(v)
      const ok = schema.type === "integer" ? typeof v === "number" && Number.isInteger(v) : actual === schema.type
      if (!ok) return void errors.push(`${at}: expected ${schema.type}, got ${actual}`)
    }
    // JSON Schema compares instances as JSON values: their JSON text is that comparison
    if (Array.isArray(schema.enum) && !schema.enum.some((e) => JSON.stringify(e) === JSON.stringify(v))) {
      errors.push(`${at}: not one of ${JSON.stringify(schema.enum)}`)
    }
    if ("const" in schema && JSON.stringify(schema.const) !== JSON.stringify(v)) errors.push(`${at}: expected ${JSON.stringify(schema.const)}`)
    if (typeof v === "string") {
      if (typeof schema.pattern === "string" && !new RegExp(schema.pattern, "u").test(v)) errors.push(`${at}: does not match ${schema.pattern}`)
      if (typeof schema.minLength === "number" && [...v].length < schema.minLength) errors.push(`${at}: shorter than ${schema.minLength}`)
    }
    if (typeof v === "number") {
      if (typeof schema.minimum === "number" && v < schema.minimum) errors.push(`${at}: below ${schema.minimum}`)
      if (typeof schema.maximum === "number" && v > schema.maximum) errors.push(`${at}: above ${schema.maximum}`)
    }
    if (Array.isArray(v) && typeof schema.minItems === "number" && v.length < schema.minItems) {
      errors.push(`${at}: fewer than ${schema.minItems} items`)
    }
    if (Array.isArray(v) && isObject(schema.items)) v.forEach((item, i) => check(schema.items as JsonSchema, item, `${at}/${i}`))
    if (isObject(v)) {
      const properties = (schema.properties ?? {}) as Record<string, JsonSchema>
      for (const name of (schema.required ?? []) as ReadonlyArray<string>) {
        if (!(name in v)) errors.push(`${at}: missing ${name}`)
      }
      for (const [name, item] of Object.entries(v)) {
        if (isObject(schema.propertyNames)) {
          const before = errors.length
          check(schema.propertyNames, name, `${at}/${name} (name)`)
          if (errors.length > before) continue
        }
        if (name in properties) check(properties[name]!, item, `${at}/${name}`)
        else if (schema.additionalProperties === false) errors.push(`${at}/${name}: not allowed here`)
        else if (isObject(schema.additionalProperties)) check(schema.additionalProperties, item, `${at}/${name}`)
      }
    }
    if (Array.isArray(schema.anyOf)) {
      const branches = (schema.anyOf as ReadonlyArray<JsonSchema>).map((branch) => errorsAgainst(root, branch, v, at))
      if (!branches.some((b) => b.length === 0)) errors.push(`${at}: matches none of ${branches.length} alternatives`)
    }
    if (isObject(schema.not) && errorsAgainst(root, schema.not, v, at).length === 0) errors.push(`${at}: must not match`)
  }
  check(start, value, startAt)
  return errors
}

export type { Json, JsonSchema }
