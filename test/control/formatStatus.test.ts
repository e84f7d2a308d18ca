import { describe, expect, it } from "@effect/vitest"
import { formatStatus } from "../../src/cli/remoteOutput.ts"

type View = Parameters<typeof formatStatus>[0]

const view = (live: boolean): View => ({
  connection: live
    ? { state: "Ready", live: true }
    : { state: "Disconnected", live: false, message: "Discord is not running", fix: "start Discord" },
  user: live ? { id: "1", name: "Deck Tester" } : null,
  muted: true,
  deafened: false,
  inputMode: "push-to-talk",
  talking: false,
  inputVolume: 80,
  outputVolume: 100,
  channel: null,
  decks: [],
  deckAccess: { ok: true }
} as unknown as View)

describe("deckcord status, for people", () => {
  it("shows the microphone, sound and mode Discord reported while connected", () => {
    const text = formatStatus(view(true))
    expect(text).toContain("Microphone: muted (80%)")
    expect(text).toContain("Sound:      on (100%)")
    expect(text).toContain("Input mode: push to talk")
  })

  it("does not present defaults as Discord's state while it is not connected", () => {
    const text = formatStatus(view(false))
    expect(text).toContain("Discord:    not connected — Discord is not running")
    expect(text).toContain("Microphone: unknown until Discord is connected")
    expect(text).not.toContain("muted")
    expect(text).not.toContain("Input mode")
  })
})
