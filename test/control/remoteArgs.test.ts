/**
 * The remote commands' arguments: what each turns into, and the usage errors (exit 2).
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { runRemote } from "../../src/cli/remote.ts"
import { parseDuration, parseRemote } from "../../src/cli/remoteArgs.ts"

const usage = (...args: Array<string>) =>
  Effect.promise(async () => {
    let err = ""
    const code = await runRemote(args, { env: { DECKCORD_CONTROL_SOCKET: "/nonexistent/control.sock" }, out: () => {}, err: (t) => void (err += t) })
    return { code, err }
  })

describe("remote command arguments", () => {
  it("turn into the API's actions", () => {
    expect(parseRemote(["mute"])).toEqual({ kind: "action", action: { _tag: "Mute", mode: "toggle" } })
    expect(parseRemote(["deafen", "on"])).toEqual({ kind: "action", action: { _tag: "Deafen", mode: "on" } })
    expect(parseRemote(["ptt", "--for", "1.5s"])).toEqual({ kind: "action", action: { _tag: "PushToTalkFor", millis: 1500 } })
    expect(parseRemote(["ptt", "--for=250ms"])).toEqual({ kind: "action", action: { _tag: "PushToTalkFor", millis: 250 } })
    expect(parseRemote(["input-mode", "va"])).toEqual({ kind: "action", action: { _tag: "InputMode", mode: "voice-activity" } })
    expect(parseRemote(["join", "Stream", "Deck", "Lab/Lounge"])).toEqual({
      kind: "action",
      action: { _tag: "Join", channel: "Stream Deck Lab/Lounge" }
    })
    expect(parseRemote(["volume", "output", "-10"])).toEqual({ kind: "action", action: { _tag: "Volume", which: "output", change: -10 } })
    expect(parseRemote(["volume", "input", "35"])).toEqual({ kind: "action", action: { _tag: "Volume", which: "input", set: 35 } })
    expect(parseRemote(["press", "virtual", "dial:1", "--turn", "-2"])).toEqual({
      kind: "press",
      serial: "virtual",
      body: { control: "encoder:1", input: "rotate", delta: -2 }
    })
    expect(parseRemote(["watch", "--waybar"])).toEqual({ kind: "watch", format: "waybar" })
  })

  it("reads durations as ms or seconds", () => {
    expect(parseDuration("2s")).toBe(2000)
    expect(parseDuration("2")).toBe(2000)
    expect(parseDuration("500ms")).toBe(500)
    expect(parseDuration("soon")).toBeUndefined()
    expect(parseDuration("0")).toBeUndefined()
  })

  it.effect("a bad value is exit 2 with what is wrong, before any connection", () =>
    Effect.gen(function*() {
      for (
        const args of [
          ["mute", "sideways"],
          ["ptt"],
          ["ptt", "--for", "forever"],
          ["input-mode", "loud"],
          ["join"],
          ["volume", "left", "3"],
          ["volume", "input", "101"],
          ["press", "virtual"],
          ["press", "virtual", "x"],
          ["status", "--yaml"],
          ["watch", "--xml"]
        ]
      ) {
        const r = yield* usage(...args)
        expect(r.code, args.join(" ")).toBe(2)
        expect(r.err, args.join(" ")).toMatch(/^deckcord: /)
      }
    }))
})
