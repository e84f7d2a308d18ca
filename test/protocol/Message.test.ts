import { describe, expect, it } from "@effect/vitest"
import { Result } from "effect"
import * as fc from "fast-check"
import { commandEnvelope, decodeInbound, isArRpcReady, MessageDecodeError } from "../../src/protocol/Message.ts"
import { closeName, rpcErrorHint, rpcErrorName } from "../../src/protocol/RpcError.ts"

const ok = (payload: unknown) => {
  const r = decodeInbound(payload)
  if (Result.isFailure(r)) throw new Error(r.failure.message)
  return r.success
}

describe("decodeInbound (docs/discord-rpc.md#matching-replies)", () => {
  it("classifies replies, ERROR replies, events, READY and server errors", () => {
    expect(ok({ cmd: "GET_SELECTED_VOICE_CHANNEL", data: null, evt: null, nonce: "n1" })).toEqual({
      _tag: "Reply",
      cmd: "GET_SELECTED_VOICE_CHANNEL",
      nonce: "n1",
      data: null
    })
    expect(
      ok({ cmd: "SET_VOICE_SETTINGS", data: { code: 4006, message: "Not authenticated" }, evt: "ERROR", nonce: "n2" })
    ).toEqual({ _tag: "ErrorReply", cmd: "SET_VOICE_SETTINGS", nonce: "n2", code: 4006, message: "Not authenticated" })
    expect(ok({ cmd: "DISPATCH", evt: "SPEAKING_START", nonce: null, data: { user_id: "1" } })).toEqual({
      _tag: "Event",
      evt: "SPEAKING_START",
      data: { user_id: "1" }
    })
    const ready = ok({ cmd: "DISPATCH", evt: "READY", nonce: null, data: { v: 1, user: { id: "3", username: "u" } } })
    expect(ready._tag).toBe("Ready")
    expect(ok({ cmd: "FOO", evt: "ERROR", nonce: null, data: { code: 4000, message: "Payload requires a nonce" } }))
      .toMatchObject({ _tag: "ServerError", code: 4000 })
  })

  it("ignores unknown fields and tolerates missing optional ones (docs/discord-rpc.md#lenient-decoding)", () => {
    const ready = ok({ cmd: "DISPATCH", evt: "READY", data: { user: { id: "3", avatarDecorationData: {} }, extra: 1 } })
    expect(ready).toEqual({ _tag: "Ready", data: { user: { id: "3" } } })
  })

  it("recognises arRPC's mock READY (docs/discord-rpc.md#skipping-arrpc-and-vesktop)", () => {
    expect(isArRpcReady({ user: { id: "1045800378228281345", username: "arrpc" } })).toBe(true)
    expect(isArRpcReady({ user: { id: "300000000000000001", username: "someone" } })).toBe(false)
  })

  it("rejects malformed messages with a typed error naming what was wrong", () => {
    for (const bad of [null, 42, "x", [], { evt: "READY" }, { cmd: 5 }, { cmd: "DISPATCH", evt: null }]) {
      const r = decodeInbound(bad)
      expect(Result.isFailure(r)).toBe(true)
      if (Result.isFailure(r)) {
        expect(r.failure).toBeInstanceOf(MessageDecodeError)
        expect(r.failure.message).toMatch(/malformed/)
      }
    }
    const r = decodeInbound({ cmd: "X", evt: "ERROR", nonce: "1", data: { code: "nope" } })
    expect(Result.isFailure(r) && r.failure.message).toMatch(/code/)
  })

  it("never throws on arbitrary JSON", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const r = decodeInbound(value)
        expect(Result.isSuccess(r) || r.failure instanceof MessageDecodeError).toBe(true)
      }),
      { numRuns: 2_000 }
    )
  })

  it("builds command envelopes with args always present and evt only for (UN)SUBSCRIBE", () => {
    expect(commandEnvelope("GET_GUILDS", "n", {})).toEqual({ cmd: "GET_GUILDS", args: {}, nonce: "n" })
    expect(commandEnvelope("SUBSCRIBE", "n", {}, "VOICE_SETTINGS_UPDATE")).toEqual({
      cmd: "SUBSCRIBE",
      args: {},
      evt: "VOICE_SETTINGS_UPDATE",
      nonce: "n"
    })
  })
})

describe("error and close codes (docs/discord-rpc.md#close-codes, docs/discord-rpc.md#error-codes)", () => {
  it("names codes from the client's constants, not the drifting typings", () => {
    expect(rpcErrorName(4018)).toBe("INVALID_SOUND")
    expect(rpcErrorName(5007)).toBe("LOBBY_FULL")
    expect(rpcErrorName(5013)).toBe("NO_CONNECTION_FOUND")
    expect(rpcErrorName(4242)).toBe("UNKNOWN_4242")
    expect(closeName(4003)).toBe("TOKEN_REVOKED")
    expect(closeName(1003)).toBe("CLOSE_UNSUPPORTED")
  })

  it("a 4006 hint follows Discord's message: only a missing scope is fixed by authorizing again", () => {
    expect(rpcErrorHint(4006, "Not authenticated or invalid scope")).toMatch(/deckcord auth/)
    expect(rpcErrorHint(4006, "Connect permission required to join channel")).toMatch(/Connect permission/)
    expect(rpcErrorHint(4006, "Invalid Permissions.")).not.toMatch(/deckcord auth/)
  })
})
