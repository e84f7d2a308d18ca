import { describe, expect, it } from "@effect/vitest"
import { Result } from "effect"
import { decodeIncoming, decodeRegistrationInfo, parseLaunchArgs, registration } from "../../src/plugin/HostProtocol.ts"

const INFO = JSON.stringify({ application: { version: "7.1.0", platform: "windows" }, plugin: { uuid: "x" }, devices: [] })

describe("launch arguments", () => {
  it("are read as pairs in any order, among flags the host or Node adds", () => {
    const parsed = parseLaunchArgs(["-info", INFO, "--inspect", "-registerEvent", "registerPlugin", "-extra", "-port", "57116", "-pluginUUID", "com.deckcord.discord.sdPlugin"])
    expect(Result.getOrThrow(parsed)).toEqual({ port: 57116, pluginUUID: "com.deckcord.discord.sdPlugin", registerEvent: "registerPlugin", info: INFO })
  })

  it("name what is missing, and what to run instead", () => {
    const parsed = parseLaunchArgs(["-port", "1"])
    expect(Result.isFailure(parsed) && parsed.failure.message).toMatch(/missing -pluginUUID, -registerEvent, -info.*daemon/)
  })

  it("refuse a port that is not one", () => {
    const parsed = parseLaunchArgs(["-port", "70000", "-pluginUUID", "u", "-registerEvent", "r", "-info", "{}"])
    expect(Result.isFailure(parsed) && parsed.failure.message).toMatch(/not a TCP port/)
  })

  it("register with exactly the event and uuid given", () => {
    expect(JSON.parse(registration({ registerEvent: "registerPlugin", pluginUUID: "ABC" }))).toEqual({ event: "registerPlugin", uuid: "ABC" })
  })

  it("decode OpenDeck's and Elgato's -info alike, and say why a bad one is bad", () => {
    expect(Result.isSuccess(decodeRegistrationInfo(INFO))).toBe(true)
    expect(Result.isSuccess(decodeRegistrationInfo(JSON.stringify({ devicePixelRatio: 0, colors: { mouseDownColor: "#fff" } })))).toBe(true)
    expect(decodeRegistrationInfo("{oops")).toEqual(Result.fail("-info is not JSON"))
  })
})

describe("events from the host", () => {
  const willAppear = {
    event: "willAppear",
    action: "com.deckcord.discord.mute",
    context: "c1",
    device: "d1",
    payload: { controller: "Keypad", coordinates: { column: 2, row: 1 }, isInMultiAction: false, settings: { mode: "hold" }, state: 0, resources: {} },
    somethingNew: true
  }

  it("decode known events, ignoring fields a newer host adds", () => {
    const decoded = decodeIncoming(JSON.stringify(willAppear))
    expect(decoded._tag).toBe("Event")
    if (decoded._tag === "Event" && decoded.event.event === "willAppear") expect(decoded.event.payload.settings).toEqual({ mode: "hold" })
  })

  it("ignore events deckcord does not use, without calling them malformed", () => {
    expect(decodeIncoming(JSON.stringify({ event: "titleParametersDidChange", payload: {} }))).toEqual({ _tag: "Ignored", name: "titleParametersDidChange" })
    expect(decodeIncoming(JSON.stringify({ event: "didReceiveDeepLink", payload: { url: "/x" } }))._tag).toBe("Ignored")
  })

  it("call malformed frames malformed, with the reason", () => {
    expect(decodeIncoming("not json")).toMatchObject({ _tag: "Malformed", reason: expect.stringMatching(/not JSON/) })
    expect(decodeIncoming("[1,2]")).toMatchObject({ _tag: "Malformed", reason: expect.stringMatching(/no "event"/) })
    const bad = decodeIncoming(JSON.stringify({ ...willAppear, event: "keyDown", context: 42 }))
    expect(bad).toMatchObject({ _tag: "Malformed", reason: expect.stringMatching(/^keyDown: /) })
    const ticks = decodeIncoming(JSON.stringify({ event: "dialRotate", action: "a", context: "c", device: "d", payload: { ticks: 1.5 } }))
    expect(ticks._tag).toBe("Malformed")
  })

  it("decode dials, touches, devices, inspector and system events", () => {
    const frames = [
      { event: "dialRotate", action: "a", context: "c", device: "d", payload: { controller: "Encoder", coordinates: { column: 1, row: 0 }, settings: {}, ticks: -3, pressed: false } },
      { event: "dialDown", action: "a", context: "c", device: "d", payload: { controller: "Encoder", coordinates: { column: 1, row: 0 }, settings: {} } },
      { event: "touchTap", action: "a", context: "c", device: "d", payload: { settings: {}, tapPos: [112, 41], hold: true } },
      { event: "deviceDidConnect", device: "d", deviceInfo: { name: "Stream Deck +", size: { columns: 4, rows: 2 }, type: 7, id: "d" } },
      { event: "deviceDidDisconnect", device: "d" },
      { event: "propertyInspectorDidAppear", action: "a", context: "c", device: "d" },
      { event: "sendToPlugin", action: "a", context: "c", payload: { type: "status" } },
      { event: "systemDidWakeUp" }
    ]
    for (const frame of frames) expect(decodeIncoming(JSON.stringify(frame))._tag, frame.event).toBe("Event")
  })
})
