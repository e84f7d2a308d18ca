/**
 * The config's `web` field: where HTTP listens, or off; a bad value names its JSON path.
 */
import { describe, expect, it } from "@effect/vitest"
import { Result } from "effect"
import { decodeConfig } from "../../src/index.ts"

const decode = (web: unknown) => decodeConfig("config.json", JSON.stringify({ web }))

describe("config web", () => {
  it("takes a port and host, or false", () => {
    const on = decode({ port: 8080, host: "0.0.0.0" })
    expect(Result.isSuccess(on) && on.success.config.web).toEqual({ port: 8080, host: "0.0.0.0" })
    const off = decode(false)
    expect(Result.isSuccess(off) && off.success.config.web).toBe(false)
  })

  it("refuses a port out of range or true, at its path", () => {
    const port = decode({ port: 70000 })
    expect(Result.isFailure(port) && port.failure.message).toContain(`["web"]["port"]`)
    expect(Result.isFailure(decode(true))).toBe(true)
  })
})
