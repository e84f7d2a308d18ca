/**
 * The remote commands against the daemon with its control server: each command reaches
 * FakeDiscord through the Controller's press path, failures come back with their exit codes.
 */
import { NodeServices } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Schema } from "effect"
import * as Fs from "node:fs"
import * as Http from "node:http"
import * as Net from "node:net"
import * as Os from "node:os"
import * as Path from "node:path"
import { runRemote } from "../../src/cli/remote.ts"
import { Status } from "../../src/control/Api.ts"
import { fixtures } from "../../src/testing/index.ts"
import { captureLogs, eventually } from "../support/effects.ts"
import { startDaemon } from "./harness.ts"

const decodeStatus = Schema.decodeUnknownSync(Schema.fromJsonString(Status))

const scenario = <A, E>(f: (h: Effect.Success<ReturnType<typeof startDaemon>>) => Effect.Effect<A, E>, options?: Parameters<typeof startDaemon>[0]) =>
  Effect.gen(function*() {
    const h = yield* startDaemon(options)
    yield* h.live
    return yield* f(h)
  }).pipe(Effect.scoped, Effect.provide([NodeServices.layer, captureLogs().layer]), Effect.timeout("20 seconds"))

describe("remote commands", () => {
  it.live("mute and deafen: toggle, on, off", () =>
    scenario((h) =>
      Effect.gen(function*() {
        expect(yield* h.cli("mute")).toMatchObject({ code: 0 })
        yield* eventually(h.fake.state, (s) => s.voiceSettings.mute, "muted")
        expect((yield* h.cli("mute", "off")).code).toBe(0)
        yield* eventually(h.fake.state, (s) => !s.voiceSettings.mute, "unmuted")
        expect((yield* h.cli("mute", "on")).code).toBe(0)
        yield* eventually(h.fake.state, (s) => s.voiceSettings.mute, "muted again")
        expect((yield* h.cli("deafen", "on")).code).toBe(0)
        yield* eventually(h.fake.state, (s) => s.voiceSettings.deaf, "deafened")
        expect((yield* h.cli("deafen")).code).toBe(0)
        yield* eventually(h.fake.state, (s) => !s.voiceSettings.deaf, "undeafened by the toggle")
      })
    ))

  it.live("push-to-talk start, stop and --for", () =>
    scenario((h) =>
      Effect.gen(function*() {
        // push-to-talk acts only in Discord's push-to-talk mode
        yield* h.cli("input-mode", "ptt")
        yield* eventually(h.fake.state, (s) => s.voiceSettings.mode.type === "PUSH_TO_TALK", "push to talk mode")
        expect((yield* h.cli("ptt", "start")).code).toBe(0)
        expect((yield* h.fake.state).pushToTalkActive).toBe(true)
        expect((yield* h.cli("ptt", "stop")).code).toBe(0)
        expect((yield* h.fake.state).pushToTalkActive).toBe(false)
        // --for holds, then releases before it answers
        const frames = (yield* h.fake.framesReceived()).length
        expect((yield* h.cli("ptt", "--for", "50ms")).code).toBe(0)
        const ptt = (yield* h.fake.framesReceived()).slice(frames)
          .map((f) => f.payload as { cmd?: string; args?: { active?: boolean } })
          .filter((p) => p.cmd === "PUSH_TO_TALK")
          .map((p) => p.args?.active)
        expect(ptt).toEqual([true, false])
        expect((yield* h.fake.state).pushToTalkActive).toBe(false)

        // a command killed while it holds push-to-talk releases it
        const body = JSON.stringify({ _tag: "PushToTalkFor", millis: 600_000 })
        const held = Http.request({
          socketPath: h.socketPath,
          method: "POST",
          path: "/api/actions",
          headers: { host: "deckcord", "content-type": "application/json", "content-length": body.length }
        })
        held.on("error", () => {})
        held.end(body)
        yield* eventually(h.fake.state, (s) => s.pushToTalkActive, "held by the long --for")
        held.destroy()
        yield* eventually(h.fake.state, (s) => !s.pushToTalkActive, "released when the client went away")
      })
    ))

  it.live("input mode toggle, ptt, va", () =>
    scenario((h) =>
      Effect.gen(function*() {
        const before = (yield* h.fake.state).voiceSettings.mode.type
        expect((yield* h.cli("input-mode")).code).toBe(0)
        yield* eventually(h.fake.state, (s) => s.voiceSettings.mode.type !== before, "mode toggled")
        expect((yield* h.cli("input-mode", "ptt")).code).toBe(0)
        yield* eventually(h.fake.state, (s) => s.voiceSettings.mode.type === "PUSH_TO_TALK", "push to talk")
        expect((yield* h.cli("input-mode", "va")).code).toBe(0)
        yield* eventually(h.fake.state, (s) => s.voiceSettings.mode.type === "VOICE_ACTIVITY", "voice activity")
      })
    ))

  it.live("join by id and by \"Server/Channel\", leave; an unknown name is exit 6", () =>
    scenario((h) =>
      Effect.gen(function*() {
        expect((yield* h.cli("join", fixtures.channels.gaming.id)).code).toBe(0)
        yield* eventually(h.fake.state, (s) => s.selectedVoiceChannelId === fixtures.channels.gaming.id, "in Gaming")
        expect((yield* h.cli("join", "stream deck lab/LOUNGE")).code).toBe(0)
        yield* eventually(h.fake.state, (s) => s.selectedVoiceChannelId === fixtures.channels.lounge.id, "in Lounge")
        const missing = yield* h.cli("join", "Stream Deck Lab/Nowhere")
        expect(missing.code).toBe(6)
        expect(missing.err).toContain("Lounge")
        expect((yield* h.cli("leave")).code).toBe(0)
        yield* eventually(h.fake.state, (s) => s.selectedVoiceChannelId === null, "left")
      })
    ))

  it.live("Discord refusing a command is exit 5 with Discord's reason", () =>
    scenario((h) =>
      Effect.gen(function*() {
        // the booth is full (4005)
        const full = yield* h.cli("join", fixtures.channels.booth.id)
        expect(full.code).toBe(5)
        expect(full.err).toMatch(/full/i)
      })
    ))

  it.live("volume set, relative and read back", () =>
    scenario((h) =>
      Effect.gen(function*() {
        expect((yield* h.cli("volume", "input", "40")).code).toBe(0)
        yield* eventually(h.fake.state, (s) => s.voiceSettings.input.volume === 40, "input 40")
        expect((yield* h.cli("volume", "input", "+15")).code).toBe(0)
        yield* eventually(h.fake.state, (s) => s.voiceSettings.input.volume === 55, "input 55")
        expect((yield* h.cli("volume", "output", "-20")).code).toBe(0)
        const output = (yield* h.fake.state).voiceSettings.output.volume
        yield* eventually(h.cli("volume", "output"), (r) => r.out.trim() === String(Math.round(output)), "output read back")
        expect((yield* h.cli("volume", "input", "150")).code).toBe(2)
      })
    ))

  it.live("sound by name; an unknown sound lists the available ones", () =>
    scenario((h) =>
      Effect.gen(function*() {
        yield* h.cli("join", fixtures.channels.lounge.id)
        expect((yield* h.cli("sound", "Airhorn")).code).toBe(0)
        yield* eventually(h.fake.state, (s) => s.soundsPlayed.some((p) => p.sound_id === "1219734528472387604"), "airhorn played")
        const missing = yield* h.cli("sound", "kazoo")
        expect(missing.code).toBe(6)
        expect(missing.err).toContain("airhorn")
      })
    ))

  it.live("status --json decodes with the documented schema and shows the channel's members", () =>
    scenario((h) =>
      Effect.gen(function*() {
        yield* h.cli("join", fixtures.channels.lounge.id)
        const status = yield* eventually(
          h.cli("status", "--json").pipe(Effect.map((r) => decodeStatus(r.out.trim()))),
          (s) => s.channel?.members.length === 3,
          "three in Lounge"
        )
        expect(status.connection).toMatchObject({ state: "Ready", live: true })
        expect(status.user?.id).toBe(fixtures.user.id)
        expect(status.authorization?.scopes).toContain("rpc.voice.write")
        expect(status.channel?.name).toBe("Lounge")
        expect(status.decks.map((d) => d.serial)).toEqual(["REMOTE000001"])
        const text = yield* h.cli("status")
        expect(text.out).toContain("Lounge")
        expect(text.out).toMatch(/Discord: +connected/)
      }), { decks: [{ model: "original-mk2", serial: "REMOTE000001" }] }))

  it.live("press acts as the key would, page and all, on a USB deck and on a virtual one", () =>
    scenario((h) =>
      Effect.gen(function*() {
        // the press's own failure comes back: the booth is full (4005)
        const full = yield* h.cli("press", "PRESS0000001", "1")
        expect(full.code).toBe(5)
        expect(full.err).toMatch(/full/i)
        // a key with nothing bound on the page shown
        expect((yield* h.cli("press", "PRESS0000001", "7")).code).toBe(6)
        // key 0: a page key to "second", whose key 0 mutes
        expect(yield* h.cli("press", "PRESS0000001", "0")).toMatchObject({ code: 0 })
        expect((yield* h.fake.state).voiceSettings.mute).toBe(false)
        expect((yield* h.cli("press", "PRESS0000001", "key:0")).code).toBe(0)
        yield* eventually(h.fake.state, (s) => s.voiceSettings.mute, "muted by the second page's key")
        // a virtual deck is made on demand and has the same layout
        expect((yield* h.cli("press", "virtual", "0")).code).toBe(0)
        expect((yield* h.cli("press", "virtual", "0")).code).toBe(0)
        yield* eventually(h.fake.state, (s) => !s.voiceSettings.mute, "unmuted from the virtual deck's second page")
        expect((yield* h.cli("press", "NOSUCHDECK", "0")).code).toBe(6)
        expect((yield* h.cli("press", "PRESS0000001", "99")).code).toBe(6)
      }), {
      decks: [{ model: "original-mk2", serial: "PRESS0000001" }],
      layout: {
        "*": {
          keys: { "0": { action: "page", page: "second" }, "1": { action: "voice-channel", channel: fixtures.channels.booth.id } },
          pages: { second: { keys: { "0": "mute", "14": { action: "page", page: "home" } } } }
        }
      }
    }))
})

describe("Discord away", () => {
  it.live("status says why and what to do; a command waits its press deadline, then exits 4 with the fix", () =>
    scenario((h) =>
      Effect.gen(function*() {
        yield* h.fake.stop
        const status = yield* eventually(
          h.cli("status", "--json").pipe(Effect.map((r) => decodeStatus(r.out.trim()))),
          (s) => s.connection.state === "Disconnected",
          "disconnected"
        )
        expect(status.connection.live).toBe(false)
        expect(status.connection.message).toBeTruthy()
        expect((yield* h.cli("status")).out).toContain("not connected")
        const mute = yield* h.cli("mute", "on")
        expect(mute.code).toBe(4)
        expect(mute.err).toMatch(/not (sent|connected)/)
        expect(mute.err).toContain("fix: start Discord")
        expect((yield* h.fake.state).voiceSettings.mute).toBe(false)
      })
    ))
})

describe("a daemon's fix that names a command", () => {
  it.live("is said with the command as this one was started", () =>
    Effect.gen(function*() {
      const dir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "deckcord-fix-"))
      yield* Effect.addFinalizer(() => Effect.sync(() => Fs.rmSync(dir, { recursive: true, force: true })))
      const socketPath = Path.join(dir, "control.sock")
      // answers every request as a daemon without a token does
      const server = Http.createServer((_, res) => {
        res.writeHead(503, { "content-type": "application/json" })
        res.end(JSON.stringify({ _tag: "NotConnected", message: "not authorized", fix: "run `deckcord auth`" }))
      })
      yield* Effect.promise(() => new Promise<void>((resolve) => server.listen(socketPath, resolve)))
      yield* Effect.addFinalizer(() => Effect.sync(() => server.close()))
      let err = ""
      const code = yield* Effect.promise(() =>
        runRemote(["mute"], {
          env: { DECKCORD_CONTROL_SOCKET: socketPath },
          out: () => {},
          err: (t) => void (err += t),
          command: "node dist/main.js"
        })
      )
      expect(code).toBe(4)
      expect(err).toBe("deckcord: not authorized\n  fix: run `node dist/main.js auth`\n")
    }).pipe(Effect.scoped))
})

describe("a daemon that does not answer", () => {
  it.live("does not hang the command: it gives up with a message and exit 1", () =>
    Effect.gen(function*() {
      const dir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "deckcord-wedged-"))
      yield* Effect.addFinalizer(() => Effect.sync(() => Fs.rmSync(dir, { recursive: true, force: true })))
      const socketPath = Path.join(dir, "control.sock")
      // accepts connections and never says a word, like a stopped process
      const held: Array<Net.Socket> = []
      const server = Net.createServer((socket) => void held.push(socket))
      yield* Effect.promise(() => new Promise<void>((resolve) => server.listen(socketPath, resolve)))
      yield* Effect.addFinalizer(() => Effect.sync(() => (held.forEach((s) => s.destroy()), server.close())))
      let err = ""
      const code = yield* Effect.promise(() =>
        runRemote(["mute"], { env: { DECKCORD_CONTROL_SOCKET: socketPath }, out: () => {}, err: (t) => void (err += t), answerTimeoutMillis: 100 })
      )
      expect(code).toBe(1)
      expect(err).toContain("did not answer")
    }).pipe(Effect.scoped))
})

describe("no daemon", () => {
  it.live("says how to start it and exits 3 at once", () =>
    Effect.gen(function*() {
      let err = ""
      const code = yield* Effect.promise(() =>
        runRemote(["mute"], {
          env: { DECKCORD_CONTROL_SOCKET: "/nonexistent/deckcord/control.sock" },
          out: () => {},
          err: (t) => void (err += t),
          command: "deckcord"
        })
      )
      expect(code).toBe(3)
      expect(err).toBe("deckcord is not running — start it with `deckcord` or `systemctl --user start deckcord`\n")
    }))

  it.live("names the command as it was started: `node dist/main.js`, not a `deckcord` that is not installed", () =>
    Effect.gen(function*() {
      const run = (args: ReadonlyArray<string>) =>
        Effect.promise(async () => {
          let out = ""
          let err = ""
          const code = await runRemote(args, {
            env: { DECKCORD_CONTROL_SOCKET: "/nonexistent/deckcord/control.sock" },
            out: (t) => void (out += t),
            err: (t) => void (err += t),
            command: "node dist/main.js"
          })
          return { code, out, err }
        })
      const notRunning = yield* run(["mute"])
      expect(notRunning.code).toBe(3)
      expect(notRunning.err).toBe(
        "deckcord is not running — start it with `node dist/main.js` or `systemctl --user start deckcord`\n"
      )
      const waybar = yield* run(["watch", "--waybar"])
      expect((JSON.parse(waybar.out.trim()) as { tooltip: string }).tooltip).toContain("start it with `node dist/main.js`")
      const usage = yield* run(["mute", "--bogus"])
      expect(usage.code).toBe(2)
      expect(usage.err).toContain("(see `node dist/main.js mute --help`)")
      const help = yield* run(["status", "--help"])
      expect(help.out).toMatch(/^ {2}node dist\/main\.js mute \[toggle\|on\|off\] +mute your microphone/m)
      expect(help.out).not.toMatch(/^ {2}deckcord /m)
    }))

  it.live("watch --waybar still gives the bar a line it can show: offline, with the reason", () =>
    Effect.gen(function*() {
      let out = ""
      const code = yield* Effect.promise(() =>
        runRemote(["watch", "--waybar"], {
          env: { DECKCORD_CONTROL_SOCKET: "/nonexistent/deckcord/control.sock" },
          out: (t) => void (out += t),
          err: () => {}
        })
      )
      expect(code).toBe(3)
      const line = JSON.parse(out.trim()) as { class: string; tooltip: string }
      expect(line.class).toBe("offline")
      expect(line.tooltip).toContain("deckcord is not running")
    }))
})
