import { describe, expect, it } from "@effect/vitest"
import { maxSocketPathBytes, socketCandidates, windowsPipeName } from "../../src/protocol/SocketPath.ts"

const paths = (env: Record<string, string | undefined>, platform = "linux") =>
  socketCandidates({ env, platform }).map((c) => c.path)

describe("socketCandidates (docs/discord-rpc.md#finding-the-socket)", () => {
  it("tries every set base dir in Discord's order, then /tmp, each with every sandbox subdir and index", () => {
    const all = paths({ XDG_RUNTIME_DIR: "/run/user/1000", TMPDIR: "/var/tmp" })
    expect(all[0]).toBe("/run/user/1000/discord-ipc-0")
    expect(all[9]).toBe("/run/user/1000/discord-ipc-9")
    expect(all).toContain("/run/user/1000/app/com.discordapp.Discord/discord-ipc-0")
    expect(all).toContain("/run/user/1000/snap.discord/discord-ipc-3")
    expect(all).toContain("/run/user/1000/.flatpak/dev.vencord.Vesktop/xdg-run/discord-ipc-0")
    expect(all.indexOf("/var/tmp/discord-ipc-0")).toBeGreaterThan(all.indexOf("/run/user/1000/discord-ipc-0"))
    expect(all.at(-1)).toBe("/tmp/.flatpak/dev.vencord.Vesktop/xdg-run/discord-ipc-9")
    expect(new Set(all).size).toBe(all.length)
  })

  it("treats empty variables as unset and falls back to /tmp (never /temp)", () => {
    const all = paths({ XDG_RUNTIME_DIR: "", TMPDIR: undefined })
    expect(all[0]).toBe("/tmp/discord-ipc-0")
    expect(all.every((p) => p.startsWith("/tmp/"))).toBe(true)
  })

  it("deduplicates base dirs and trailing slashes", () => {
    const all = paths({ XDG_RUNTIME_DIR: "/tmp/", TMPDIR: "/tmp" })
    expect(all.filter((p) => p === "/tmp/discord-ipc-0")).toHaveLength(1)
  })

  it("skips paths over the Unix socket path limit", () => {
    const long = "/" + "d".repeat(80)
    const all = paths({ XDG_RUNTIME_DIR: long })
    expect(all).toContain(`${long}/discord-ipc-0`)
    expect(all.some((p) => p.startsWith(`${long}/app/com.discordapp.DiscordCanary`))).toBe(false)
    expect(all.every((p) => Buffer.byteLength(p) <= maxSocketPathBytes("linux"))).toBe(true)
    expect(maxSocketPathBytes("darwin")).toBeLessThan(maxSocketPathBytes("linux"))
  })

  it("uses named pipes on Windows", () => {
    const all = paths({ TEMP: "C:\\Temp" }, "win32")
    expect(all).toHaveLength(10)
    expect(all[0]).toBe("\\\\?\\pipe\\discord-ipc-0")
    expect(windowsPipeName(3)).toBe("\\\\?\\pipe\\discord-ipc-3")
  })
})

describe("socketCandidates on macOS", () => {
  it("uses $TMPDIR (a per-user folder with a trailing slash) before /tmp", () => {
    const all = socketCandidates({ env: { TMPDIR: "/var/folders/zz/zyxvpxvq6csfxvn_n0000000000000/T/" }, platform: "darwin" }).map((c) => c.path)
    expect(all[0]).toBe("/var/folders/zz/zyxvpxvq6csfxvn_n0000000000000/T/discord-ipc-0")
    expect(all).toContain("/tmp/discord-ipc-0")
    expect(all.indexOf("/var/folders/zz/zyxvpxvq6csfxvn_n0000000000000/T/discord-ipc-9")).toBeLessThan(all.indexOf("/tmp/discord-ipc-0"))
    expect(all.every((p) => Buffer.byteLength(p) <= maxSocketPathBytes("darwin"))).toBe(true)
  })
})
