/**
 * FakeDiscord driven over a real temp socket by a raw `node:net` client and the Frame
 * codec, so every assertion is about bytes on the wire (docs/discord-rpc.md).
 */
import { assert, describe, it, layer } from "@effect/vitest"
import { Effect, type Scope } from "effect"
import * as Fs from "node:fs"
import * as Net from "node:net"
import { encodeFrame, type Frame, makeFrameDecoder, Opcode } from "../src/protocol/Frame.ts"
import {
  FakeDiscord,
  type FakeDiscordOptions,
  type FakeDiscordShape,
  fixtures,
  startFakeDiscord
} from "../src/testing/index.ts"

const CLIENT_ID = "1187365420193771520"
const { channels, users } = fixtures

// ---------------------------------------------------------------------------------------------
// a raw client
// ---------------------------------------------------------------------------------------------

interface Received {
  readonly frame: Frame
  /** Which `data` event carried the frame's last byte: equal numbers = one read. */
  readonly chunk: number
}

type Body = Record<string, any>

class RawClient {
  readonly socket: Net.Socket
  private readonly queue: Array<Received> = []
  private waiters: Array<() => void> = []
  private chunks = 0
  ended = false
  readonly endedPromise: Promise<void>
  private nonce = 0

  constructor(socket: Net.Socket, autoPong: boolean) {
    this.socket = socket
    const decoder = makeFrameDecoder()
    socket.on("data", (data: Buffer) => {
      const chunk = ++this.chunks
      for (const frame of decoder.push(data).frames) {
        if (autoPong && frame.opcode === Opcode.Ping) socket.write(encodeFrame(Opcode.Pong, frame.payload))
        else this.queue.push({ frame, chunk })
      }
      this.wake()
    })
    socket.on("error", () => {})
    this.endedPromise = new Promise((resolve) =>
      socket.on("close", () => {
        this.ended = true
        this.wake()
        resolve()
      })
    )
  }

  private wake() {
    const waiters = this.waiters
    this.waiters = []
    for (const w of waiters) w()
  }

  send(opcode: Opcode, payload: unknown) {
    this.socket.write(encodeFrame(opcode, payload))
  }

  /** The first queued frame matching `pred` (removed), waiting for it; undefined once the socket ended. */
  async take(pred: (r: Received) => boolean = () => true): Promise<Received | undefined> {
    while (true) {
      const i = this.queue.findIndex(pred)
      if (i >= 0) return this.queue.splice(i, 1)[0]
      if (this.ended) return undefined
      await new Promise<void>((resolve) => this.waiters.push(resolve))
    }
  }

  pending(): ReadonlyArray<Received> {
    return this.queue
  }

  /** Send a command and wait for the FRAME carrying its nonce. */
  async request(cmd: string, args?: unknown, extra: Body = {}): Promise<Body> {
    const nonce = `n-${++this.nonce}`
    const body: Body = { cmd, nonce, ...extra }
    if (args !== undefined) body["args"] = args
    this.send(Opcode.Frame, body)
    const r = await this.take((x) => x.frame.opcode === Opcode.Frame && (x.frame.payload as Body)["nonce"] === nonce)
    if (r === undefined) throw new Error(`socket ended before the ${cmd} reply`)
    return r.frame.payload as Body
  }

  async event(evt: string): Promise<Received> {
    const r = await this.take((x) => (x.frame.payload as Body | null)?.["evt"] === evt && (x.frame.payload as Body)["cmd"] === "DISPATCH")
    if (r === undefined) throw new Error(`socket ended before ${evt}`)
    return r
  }

  /** Read until CLOSE; resolves with its payload after the socket ended. */
  async closed(): Promise<Body | undefined> {
    const r = await this.take((x) => x.frame.opcode === Opcode.Close)
    await this.endedPromise
    return r?.frame.payload as Body | undefined
  }
}

const connect = (path: string, autoPong = false): Effect.Effect<RawClient, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.promise(() =>
      new Promise<RawClient>((resolve, reject) => {
        const socket = Net.createConnection(path)
        socket.once("connect", () => resolve(new RawClient(socket, autoPong)))
        socket.once("error", reject)
      })
    ),
    (c) => Effect.sync(() => c.socket.destroy())
  )

const ready = (fake: FakeDiscordShape, autoPong = false) =>
  Effect.gen(function*() {
    const c = yield* connect(fake.socketPath, autoPong)
    c.send(Opcode.Handshake, { v: 1, client_id: CLIENT_ID })
    const r = yield* Effect.promise(() => c.take())
    assert.strictEqual((r?.frame.payload as Body)["evt"], "READY")
    return c
  })

const call = (c: RawClient, cmd: string, args?: unknown, extra?: Body) => Effect.promise(() => c.request(cmd, args, extra))

const ALL_SCOPES = ["rpc", "identify", "rpc.voice.read", "rpc.voice.write", "rpc.video.read", "rpc.video.write", "rpc.screenshare.read", "rpc.screenshare.write"]

/** AUTHORIZE + AUTHENTICATE with the default simpleAuthority (token = `access-<code>`). */
const authed = (fake: FakeDiscordShape, scopes: ReadonlyArray<string> = ALL_SCOPES) =>
  Effect.gen(function*() {
    const c = yield* ready(fake)
    const auth = yield* call(c, "AUTHORIZE", { client_id: CLIENT_ID, scopes, prompt: "none" })
    const token = `access-${auth["data"]["code"]}`
    const reply = yield* call(c, "AUTHENTICATE", { access_token: token })
    assert.strictEqual(reply["evt"], null)
    return c
  })

const withFake = <A, E>(
  f: (fake: FakeDiscordShape) => Effect.Effect<A, E, Scope.Scope>,
  options?: FakeDiscordOptions
) => Effect.flatMap(FakeDiscord.make(options), f)

const handshakeClose = (payload: unknown, options?: FakeDiscordOptions) =>
  withFake((fake) =>
    Effect.gen(function*() {
      const c = yield* connect(fake.socketPath)
      c.send(Opcode.Handshake, payload)
      return yield* Effect.promise(() => c.closed())
    }), options)

const errorOf = (reply: Body) => {
  assert.strictEqual(reply["evt"], "ERROR")
  return reply["data"] as { code: number; message: string }
}

// ---------------------------------------------------------------------------------------------
// tests
// ---------------------------------------------------------------------------------------------

describe("FakeDiscord handshake (docs/discord-rpc.md#handshake-and-ready)", () => {
  it.live("answers PING with PONG carrying the same body, even before HANDSHAKE", () =>
    withFake((fake) =>
      Effect.gen(function*() {
        const c = yield* connect(fake.socketPath)
        c.send(Opcode.Ping, { probe: "x", n: 7 })
        const r = yield* Effect.promise(() => c.take())
        assert.strictEqual(r?.frame.opcode, Opcode.Pong)
        assert.deepStrictEqual(r?.frame.payload, { probe: "x", n: 7 })
      })
    ))

  it.live("sends READY with config and the fixture user; accepts v as the string \"1\"", () =>
    withFake((fake) =>
      Effect.gen(function*() {
        const c = yield* connect(fake.socketPath)
        c.send(Opcode.Handshake, { v: "1", client_id: CLIENT_ID })
        const r = yield* Effect.promise(() => c.take())
        const body = r?.frame.payload as Body
        assert.deepStrictEqual(Object.keys(body).sort(), ["cmd", "data", "evt", "nonce"])
        assert.strictEqual(body["cmd"], "DISPATCH")
        assert.strictEqual(body["evt"], "READY")
        assert.strictEqual(body["nonce"], null)
        assert.strictEqual(body["data"]["v"], 1)
        assert.strictEqual(body["data"]["config"]["cdn_host"], "cdn.discordapp.com")
        assert.strictEqual(body["data"]["user"]["id"], fixtures.user.id)
        assert.match(body["data"]["user"]["id"], /^\d{17,20}$/)
        const log = yield* fake.handshakes
        assert.strictEqual(log[0]?.outcome, "ready")
      })
    ))

  it.live("closes 1003 on a bad version", () =>
    Effect.map(handshakeClose({ v: 2, client_id: CLIENT_ID }), (close) =>
      assert.deepStrictEqual(close, { code: 1003, message: "Invalid Version: 2" })))

  it.live("closes 4000 without a client id", () =>
    Effect.map(handshakeClose({ v: 1 }), (close) =>
      assert.deepStrictEqual(close, { code: 4000, message: "No Client ID Specified" })))

  it.live("closes 4000 for a client id not in clientIds", () =>
    Effect.map(handshakeClose({ v: 1, client_id: "999999999999999999" }, { clientIds: [CLIENT_ID] }), (close) =>
      assert.deepStrictEqual(close, { code: 4000, message: "Invalid Client ID" })))

  it.live("closes 1000 when logged out", () =>
    Effect.map(handshakeClose({ v: 1, client_id: CLIENT_ID }, { loggedOut: true }), (close) =>
      assert.deepStrictEqual(close, { code: 1000, message: "User logged out" })))

  it.live("closes 1003 on a FRAME before HANDSHAKE and on a second HANDSHAKE", () =>
    withFake((fake) =>
      Effect.gen(function*() {
        const early = yield* connect(fake.socketPath)
        early.send(Opcode.Frame, { cmd: "GET_GUILDS", nonce: "a", args: {} })
        assert.deepStrictEqual(yield* Effect.promise(() => early.closed()), { code: 1003, message: "did not handshake" })
        const twice = yield* ready(fake)
        twice.send(Opcode.Handshake, { v: 1, client_id: CLIENT_ID })
        assert.deepStrictEqual(yield* Effect.promise(() => twice.closed()), {
          code: 1003,
          message: "already did handshake"
        })
      })
    ))

  it.live("closes 1003 on framing errors and oversized frames", () =>
    withFake((fake) =>
      Effect.gen(function*() {
        const header = (op: number, len: number) => {
          const b = Buffer.alloc(8)
          b.writeInt32LE(op, 0)
          b.writeInt32LE(len, 4)
          return b
        }
        const cases: ReadonlyArray<[Buffer, string | undefined]> = [
          [header(1, -5), "protocol error"],
          [Buffer.concat([header(9, 2), Buffer.from("{}")]), "protocol error"],
          [header(1, 3 * 1024 * 1024 + 1), "message too large"],
          [Buffer.concat([header(3, 5), Buffer.from("{oops")]), undefined]
        ]
        for (const [bytes, message] of cases) {
          const c = yield* connect(fake.socketPath)
          c.socket.write(bytes)
          const close = yield* Effect.promise(() => c.closed())
          assert.strictEqual(close?.["code"], 1003)
          if (message !== undefined) assert.strictEqual(close?.["message"], message)
          else assert.notStrictEqual(close?.["message"], "")
        }
      })
    ))

  it.live("answers a client CLOSE with CLOSE 1000 \"client disconnect\" and ends the socket", () =>
    withFake((fake) =>
      Effect.gen(function*() {
        const c = yield* ready(fake)
        c.send(Opcode.Close, {})
        assert.deepStrictEqual(yield* Effect.promise(() => c.closed()), { code: 1000, message: "client disconnect" })
        assert.isTrue(c.ended)
      })
    ))

  it.live("throttles READY by readyDelayMillis and handles requests sent meanwhile after it", () =>
    withFake((fake) =>
      Effect.gen(function*() {
        const c = yield* connect(fake.socketPath)
        c.send(Opcode.Handshake, { v: 1, client_id: CLIENT_ID })
        c.send(Opcode.Frame, { cmd: "GET_SOUNDBOARD_SOUNDS", nonce: "early", args: {} })
        const first = yield* Effect.promise(() => c.take())
        const second = yield* Effect.promise(() => c.take())
        assert.strictEqual((first?.frame.payload as Body)["evt"], "READY")
        assert.strictEqual((second?.frame.payload as Body)["nonce"], "early")
      }), { readyDelayMillis: 50 }))

  it.live("behaves like arRPC with flavor \"arrpc\": mock user, silence on voice commands", () =>
    withFake((fake) =>
      Effect.gen(function*() {
        const c = yield* connect(fake.socketPath)
        c.send(Opcode.Handshake, { v: 1, client_id: CLIENT_ID })
        const r = yield* Effect.promise(() => c.take())
        const user = (r?.frame.payload as Body)["data"]["user"]
        assert.strictEqual(user["id"], "1045800378228281345")
        assert.strictEqual(user["username"], "arrpc")
        c.send(Opcode.Frame, { cmd: "GET_VOICE_SETTINGS", nonce: "v", args: {} })
        c.send(Opcode.Ping, "after")
        const next = yield* Effect.promise(() => c.take())
        assert.strictEqual(next?.frame.opcode, Opcode.Pong) // no reply came before the PONG
      }), { flavor: "arrpc" }))
})

describe("FakeDiscord requests (docs/discord-rpc.md#requests-and-replies)", () => {
  it.live("requires a nonce and echoes what was sent", () =>
    withFake((fake) =>
      Effect.gen(function*() {
        const c = yield* ready(fake)
        c.send(Opcode.Frame, { cmd: "GET_GUILDS", args: {} })
        const missing = (yield* Effect.promise(() => c.take()))?.frame.payload as Body
        assert.deepStrictEqual(missing, {
          cmd: "GET_GUILDS",
          data: { code: 4000, message: "Payload requires a nonce" },
          evt: "ERROR",
          nonce: null
        })
        c.send(Opcode.Frame, { cmd: "GET_GUILDS", nonce: "", args: {} })
        const empty = (yield* Effect.promise(() => c.take()))?.frame.payload as Body
        assert.strictEqual(empty["nonce"], "")
        assert.strictEqual(empty["data"]["code"], 4000)
      })
    ))

  it.live("rejects unknown commands with 4002 and missing scopes with 4006", () =>
    withFake((fake) =>
      Effect.gen(function*() {
        const c = yield* ready(fake)
        const unknown = yield* call(c, "MAKE_COFFEE", {})
        assert.deepStrictEqual(Object.keys(unknown).sort(), ["cmd", "data", "evt", "nonce"])
        assert.deepStrictEqual(errorOf(unknown), { code: 4002, message: "Invalid command: MAKE_COFFEE" })
        const scoped = yield* call(c, "GET_VOICE_SETTINGS", {})
        assert.deepStrictEqual(errorOf(scoped), { code: 4006, message: "Not authenticated or invalid scope" })
        // GET_SOUNDBOARD_SOUNDS needs only the IPC-local scope (docs/discord-rpc.md#scopes-per-command): a bare array.
        const sounds = yield* call(c, "GET_SOUNDBOARD_SOUNDS")
        assert.isTrue(Array.isArray(sounds["data"]))
        assert.strictEqual(sounds["evt"], null)
      })
    ))

  it.live("validates args strictly, with Joi-like messages", () =>
    withFake((fake) =>
      Effect.gen(function*() {
        const c = yield* authed(fake)
        const cases: ReadonlyArray<[unknown, string]> = [
          [undefined, "\"value\" is required"],
          [{ input: { volume: 101 } }, "\"input.volume\" must be less than or equal to 100"],
          [{ output: { volume: -1 } }, "\"output.volume\" must be greater than or equal to 0"],
          [{ mute: "true" }, "\"mute\" must be a boolean"],
          [{ volume: 50 }, "\"volume\" is not allowed"],
          [{ mode: { type: "ALWAYS" } }, "\"mode.type\" must be one of [PUSH_TO_TALK, VOICE_ACTIVITY]"],
          [{ mode: { shortcut: [{ code: 1 }] } }, "\"mode.shortcut[0].type\" is required"],
          [{ input: { device_id: "nope" } }, "\"input.device_id\" must be one of ["]
        ]
        for (const [args, message] of cases) {
          const e = errorOf(yield* call(c, "SET_VOICE_SETTINGS", args))
          assert.strictEqual(e.code, 4000)
          assert.include(e.message, message)
        }
        const pan = errorOf(yield* call(c, "SET_USER_VOICE_SETTINGS", { user_id: users.alex.id, pan: { left: 1 } }))
        assert.deepStrictEqual(pan, { code: 4000, message: "\"pan.right\" is required" })
      })
    ))
})

describe("FakeDiscord AUTHORIZE / AUTHENTICATE (docs/discord-rpc.md#authorization)", () => {
  it.live("approves, authenticates with the authority's token and widens the socket's scopes", () =>
    withFake((fake) =>
      Effect.gen(function*() {
        const c = yield* ready(fake)
        const auth = yield* call(c, "AUTHORIZE", { client_id: CLIENT_ID, scopes: ["rpc", "identify"] })
        assert.match(auth["data"]["code"], /^code-/)
        const token = `access-${auth["data"]["code"]}`
        const reply = yield* call(c, "AUTHENTICATE", { access_token: token })
        assert.strictEqual(reply["data"]["application"]["id"], CLIENT_ID)
        assert.deepStrictEqual(reply["data"]["scopes"], ["rpc", "identify"])
        assert.strictEqual(reply["data"]["user"]["id"], fixtures.user.id)
        assert.strictEqual(reply["data"]["access_token"], token)
        assert.isString(reply["data"]["expires"])
        const settings = yield* call(c, "GET_VOICE_SETTINGS", {})
        assert.strictEqual(settings["data"]["input"]["volume"], 100)
        assert.deepStrictEqual(errorOf(yield* call(c, "AUTHORIZE", { client_id: CLIENT_ID, scopes: ["rpc"] })), {
          code: 4002,
          message: "Already authenticated"
        })
      })
    ))

  it.live("rejects wrong client ids, redirect_uri, token response type and ungrantable scopes", () =>
    withFake((fake) =>
      Effect.gen(function*() {
        const c = yield* ready(fake)
        assert.strictEqual(errorOf(yield* call(c, "AUTHORIZE", { client_id: "1", scopes: ["rpc"] })).code, 4007)
        assert.strictEqual(
          errorOf(yield* call(c, "AUTHORIZE", { client_id: CLIENT_ID, scopes: ["rpc"], redirect_uri: "http://localhost" })).code,
          5000
        )
        assert.strictEqual(
          errorOf(yield* call(c, "AUTHORIZE", { client_id: CLIENT_ID, scopes: ["rpc"], response_type: "token" })).code,
          4002
        )
        const scope = errorOf(yield* call(c, "AUTHORIZE", { client_id: CLIENT_ID, scopes: ["rpc", "rpc.voice.write"] }))
        assert.strictEqual(scope.code, 5000)
        assert.match(scope.message, /^OAuth2 Error: invalid_scope: /)
      }), { grantableScopes: ["rpc", "identify"] }))

  it.live("\"deny\" fails with access_denied; \"hang\" never answers and blocks a second AUTHORIZE", () =>
    withFake((fake) =>
      Effect.gen(function*() {
        const c = yield* ready(fake)
        const denied = errorOf(yield* call(c, "AUTHORIZE", { client_id: CLIENT_ID, scopes: ["rpc"] }))
        assert.strictEqual(denied.code, 5000)
        assert.match(denied.message, /^OAuth2 Error: access_denied: /)
        yield* fake.setAuthorizeBehavior("hang")
        c.send(Opcode.Frame, { cmd: "AUTHORIZE", nonce: "hanging", args: { client_id: CLIENT_ID, scopes: ["rpc"] } })
        const second = errorOf(yield* call(c, "AUTHORIZE", { client_id: CLIENT_ID, scopes: ["rpc"] }))
        assert.deepStrictEqual(second, { code: 4002, message: "Already authing" })
        assert.isFalse(c.pending().some((r) => (r.frame.payload as Body)["nonce"] === "hanging"))
      }), { authorizeBehavior: "deny" }))

  it.live("AUTHENTICATE errors echo the token; revokeToken closes with 4003", () =>
    withFake((fake) =>
      Effect.gen(function*() {
        const c = yield* ready(fake)
        assert.deepStrictEqual(errorOf(yield* call(c, "AUTHENTICATE", { access_token: "bad-token" })), {
          code: 4009,
          message: "Invalid access token: bad-token"
        })
        assert.deepStrictEqual(errorOf(yield* call(c, "AUTHENTICATE", {})), {
          code: 4009,
          message: "No access token provided"
        })
        const d = yield* authed(fake)
        assert.strictEqual(yield* fake.revokeToken(), 1)
        assert.deepStrictEqual(yield* Effect.promise(() => d.closed()), { code: 4003, message: "Token revoked" })
        assert.isFalse(c.ended)
      })
    ))
})

describe("FakeDiscord voice state and events (docs/discord-rpc.md#voice-commands, docs/discord-rpc.md#subscriptions-and-events)", () => {
  it.live("SUBSCRIBE replies {evt}, then the initial dispatch in the same write", () =>
    withFake((fake) =>
      Effect.gen(function*() {
        const c = yield* authed(fake)
        const reply = yield* call(c, "SUBSCRIBE", undefined, { evt: "VOICE_SETTINGS_UPDATE" })
        assert.deepStrictEqual(reply["data"], { evt: "VOICE_SETTINGS_UPDATE" })
        const initial = yield* Effect.promise(() => c.event("VOICE_SETTINGS_UPDATE"))
        assert.strictEqual((initial.frame.payload as Body)["data"]["mute"], false)
        assert.isArray((initial.frame.payload as Body)["data"]["input"]["available_devices"])
        const subs = yield* fake.subscriptions
        assert.deepStrictEqual(subs.map((s) => s.evt), ["VOICE_SETTINGS_UPDATE"])
      })
    ))

  it.live("the SUBSCRIBE reply and its initial dispatch share one read", () =>
    withFake((fake) =>
      Effect.gen(function*() {
        const c = yield* authed(fake)
        c.send(Opcode.Frame, { cmd: "SUBSCRIBE", evt: "VOICE_CONNECTION_STATUS", nonce: "s", args: {} })
        const reply = yield* Effect.promise(() => c.take())
        const event = yield* Effect.promise(() => c.take())
        assert.strictEqual((reply?.frame.payload as Body)["nonce"], "s")
        assert.strictEqual((event?.frame.payload as Body)["evt"], "VOICE_CONNECTION_STATUS")
        assert.strictEqual((event?.frame.payload as Body)["data"]["state"], "DISCONNECTED")
        assert.strictEqual(reply?.chunk, event?.chunk)
      })
    ))

  it.live("validates events and args; duplicates are no-ops; UNSUBSCRIBE always replies {evt}", () =>
    withFake((fake) =>
      Effect.gen(function*() {
        const c = yield* authed(fake)
        assert.strictEqual(errorOf(yield* call(c, "SUBSCRIBE", {}, { evt: "NOPE" })).code, 4004)
        assert.strictEqual(errorOf(yield* call(c, "SUBSCRIBE", {})).code, 4004)
        assert.deepStrictEqual(errorOf(yield* call(c, "SUBSCRIBE", {}, { evt: "VOICE_STATE_UPDATE" })), {
          code: 4000,
          message: "Invalid subscription parameters provided"
        })
        const args = { channel_id: channels.lounge.id }
        yield* call(c, "SUBSCRIBE", args, { evt: "VOICE_STATE_CREATE" })
        yield* call(c, "SUBSCRIBE", { ...args }, { evt: "VOICE_STATE_CREATE" })
        assert.strictEqual((yield* fake.subscriptions).length, 1)
        const none = yield* call(c, "UNSUBSCRIBE", { channel_id: channels.gaming.id }, { evt: "VOICE_STATE_CREATE" })
        assert.deepStrictEqual(none["data"], { evt: "VOICE_STATE_CREATE" })
        assert.strictEqual((yield* fake.subscriptions).length, 1)
        yield* call(c, "UNSUBSCRIBE", args, { evt: "VOICE_STATE_CREATE" })
        assert.strictEqual((yield* fake.subscriptions).length, 0)
      })
    ))

  it.live("VOICE_STATE_UPDATE dispatches once per current member on subscribe", () =>
    withFake((fake) =>
      Effect.gen(function*() {
        const c = yield* authed(fake)
        yield* call(c, "SUBSCRIBE", { channel_id: channels.lounge.id }, { evt: "VOICE_STATE_UPDATE" })
        const a = yield* Effect.promise(() => c.event("VOICE_STATE_UPDATE"))
        const b = yield* Effect.promise(() => c.event("VOICE_STATE_UPDATE"))
        const ids = [a, b].map((r) => (r.frame.payload as Body)["data"]["user"]["id"]).sort()
        assert.deepStrictEqual(ids, [users.alex.id, users.blair.id].sort())
        const entry = (a.frame.payload as Body)["data"]
        assert.hasAllKeys(entry, ["nick", "mute", "volume", "pan", "voice_state", "user"])
      })
    ))

  it.live("SET_VOICE_SETTINGS replies the full object and dispatches only on change", () =>
    withFake((fake) =>
      Effect.gen(function*() {
        const c = yield* authed(fake)
        const watcher = yield* authed(fake)
        yield* call(watcher, "SUBSCRIBE", {}, { evt: "VOICE_SETTINGS_UPDATE" })
        yield* Effect.promise(() => watcher.event("VOICE_SETTINGS_UPDATE")) // initial
        const reply = yield* call(c, "SET_VOICE_SETTINGS", { mute: true, input: { volume: 80 } })
        assert.strictEqual(reply["data"]["mute"], true)
        assert.strictEqual(reply["data"]["input"]["volume"], 80)
        assert.isArray(reply["data"]["output"]["available_devices"])
        const first = yield* Effect.promise(() => watcher.event("VOICE_SETTINGS_UPDATE"))
        assert.strictEqual((first.frame.payload as Body)["data"]["mute"], true)
        yield* call(c, "SET_VOICE_SETTINGS", { mute: true }) // unchanged: no dispatch
        yield* call(c, "SET_VOICE_SETTINGS", { deaf: true })
        const second = yield* Effect.promise(() => watcher.event("VOICE_SETTINGS_UPDATE"))
        assert.strictEqual((second.frame.payload as Body)["data"]["deaf"], true)
        assert.strictEqual((yield* fake.state).voiceSettings.input.volume, 80)
      })
    ))

  it.live("SELECT_VOICE_CHANNEL joins, enforces force, rejects bad channels and leaves with null", () =>
    withFake((fake) =>
      Effect.gen(function*() {
        const c = yield* authed(fake)
        yield* call(c, "SUBSCRIBE", {}, { evt: "VOICE_CHANNEL_SELECT" })
        const joined = yield* call(c, "SELECT_VOICE_CHANNEL", { channel_id: channels.lounge.id })
        assert.strictEqual(joined["data"]["id"], channels.lounge.id)
        const members = joined["data"]["voice_states"].map((v: Body) => v["user"]["id"])
        assert.include(members, fixtures.user.id)
        const select = yield* Effect.promise(() => c.event("VOICE_CHANNEL_SELECT"))
        assert.deepStrictEqual((select.frame.payload as Body)["data"], {
          channel_id: channels.lounge.id,
          guild_id: fixtures.guilds.lab.id
        })
        assert.deepStrictEqual(errorOf(yield* call(c, "SELECT_VOICE_CHANNEL", { channel_id: channels.gaming.id })), {
          code: 5003,
          message: "User is already joined to a voice channel."
        })
        assert.deepStrictEqual(
          errorOf(yield* call(c, "SELECT_VOICE_CHANNEL", { channel_id: channels.labGeneral.id, force: true })),
          { code: 4005, message: "Channel is not a voice channel" }
        )
        assert.deepStrictEqual(
          errorOf(yield* call(c, "SELECT_VOICE_CHANNEL", { channel_id: "123456789012345678", force: true })),
          { code: 4005, message: "Invalid channel id: 123456789012345678" }
        )
        assert.deepStrictEqual(
          errorOf(yield* call(c, "SELECT_VOICE_CHANNEL", { channel_id: channels.booth.id, force: true })),
          { code: 4005, message: "Channel is full" }
        )
        const moved = yield* call(c, "SELECT_VOICE_CHANNEL", { channel_id: channels.gaming.id, force: true })
        assert.strictEqual(moved["data"]["id"], channels.gaming.id)
        assert.strictEqual((yield* call(c, "GET_SELECTED_VOICE_CHANNEL"))["data"]["id"], channels.gaming.id)
        const left = yield* call(c, "SELECT_VOICE_CHANNEL", { channel_id: null })
        assert.strictEqual(left["data"], null)
        assert.strictEqual((yield* call(c, "GET_SELECTED_VOICE_CHANNEL"))["data"], null)
      })
    ))

  it.live("SPEAKING reaches only subscriptions for your current channel (docs/discord-rpc.md#speaking_start-and-speaking_stop)", () =>
    withFake((fake) =>
      Effect.gen(function*() {
        const c = yield* ready(fake) // SPEAKING_* accepts the local scope
        yield* call(c, "SUBSCRIBE", { channel_id: channels.lounge.id }, { evt: "SPEAKING_START" })
        yield* call(c, "SUBSCRIBE", { channel_id: channels.booth.id }, { evt: "SPEAKING_START" })
        yield* call(c, "SUBSCRIBE", {}, { evt: "SPEAKING_START" })
        assert.isFalse(yield* fake.startSpeaking(users.alex.id)) // not in voice yet: nothing heard
        assert.isFalse(yield* fake.startSpeaking(users.casey.id))
        yield* fake.moveSelfTo(channels.lounge.id)
        assert.isTrue(yield* fake.startSpeaking(users.alex.id))
        assert.isFalse(yield* fake.startSpeaking(users.casey.id)) // in another channel
        const e = yield* Effect.promise(() => c.event("SPEAKING_START"))
        assert.deepStrictEqual((e.frame.payload as Body)["data"], { channel_id: channels.lounge.id, user_id: users.alex.id })
        c.send(Opcode.Ping, "fence")
        yield* Effect.promise(() => c.take((r) => r.frame.opcode === Opcode.Pong))
        assert.isFalse(c.pending().some((r) => (r.frame.payload as Body)["evt"] === "SPEAKING_START"))
      })
    ))

  it.live("SET_USER_VOICE_SETTINGS rejects yourself and strangers, replies the result and dispatches", () =>
    withFake((fake) =>
      Effect.gen(function*() {
        const c = yield* authed(fake)
        assert.strictEqual(errorOf(yield* call(c, "SET_USER_VOICE_SETTINGS", { user_id: fixtures.user.id, volume: 50 })).code, 4010)
        assert.strictEqual(errorOf(yield* call(c, "SET_USER_VOICE_SETTINGS", { user_id: "100000000000000000" })).code, 4010)
        yield* call(c, "SUBSCRIBE", { channel_id: channels.lounge.id }, { evt: "VOICE_STATE_UPDATE" })
        yield* Effect.promise(() => c.event("VOICE_STATE_UPDATE"))
        yield* Effect.promise(() => c.event("VOICE_STATE_UPDATE"))
        const reply = yield* call(c, "SET_USER_VOICE_SETTINGS", { user_id: users.alex.id, volume: 140, mute: true })
        assert.deepStrictEqual(reply["data"], { user_id: users.alex.id, pan: { left: 1, right: 1 }, volume: 140, mute: true })
        const e = yield* Effect.promise(() => c.event("VOICE_STATE_UPDATE"))
        assert.strictEqual((e.frame.payload as Body)["data"]["volume"], 140)
        assert.strictEqual((e.frame.payload as Body)["data"]["user"]["id"], users.alex.id)
      })
    ))

  it.live("members, video, screenshare and soundboard follow the voice channel", () =>
    withFake((fake) =>
      Effect.gen(function*() {
        const c = yield* authed(fake)
        yield* call(c, "SUBSCRIBE", {}, { evt: "VIDEO_STATE_UPDATE" })
        assert.deepStrictEqual(((yield* Effect.promise(() => c.event("VIDEO_STATE_UPDATE"))).frame.payload as Body)["data"], { active: false })
        yield* call(c, "TOGGLE_VIDEO") // not in voice: no-op
        const [quack, airhorn, owl] = fixtures.sounds
        assert.deepStrictEqual(
          errorOf(yield* call(c, "PLAY_SOUNDBOARD_SOUND", { guild_id: airhorn!.guild_id, sound_id: airhorn!.sound_id })),
          { code: 4005, message: "Invalid Channel." }
        )
        yield* call(c, "SUBSCRIBE", { channel_id: channels.lounge.id }, { evt: "VOICE_STATE_CREATE" })
        yield* fake.moveSelfTo(channels.lounge.id)
        const self = yield* Effect.promise(() => c.event("VOICE_STATE_CREATE"))
        assert.strictEqual((self.frame.payload as Body)["data"]["user"]["id"], fixtures.user.id)
        yield* fake.addMember(channels.lounge.id, users.drew)
        const drew = yield* Effect.promise(() => c.event("VOICE_STATE_CREATE"))
        assert.strictEqual((drew.frame.payload as Body)["data"]["user"]["id"], users.drew.id)
        yield* call(c, "TOGGLE_VIDEO")
        assert.deepStrictEqual(((yield* Effect.promise(() => c.event("VIDEO_STATE_UPDATE"))).frame.payload as Body)["data"], { active: true })
        assert.strictEqual((yield* call(c, "PLAY_SOUNDBOARD_SOUND", { guild_id: quack!.guild_id, sound_id: quack!.sound_id }))["data"], null)
        assert.strictEqual(errorOf(yield* call(c, "PLAY_SOUNDBOARD_SOUND", { guild_id: owl!.guild_id, sound_id: owl!.sound_id })).code, 4018)
        const state = yield* fake.state
        assert.deepStrictEqual(state.soundsPlayed, [{ guild_id: "0", sound_id: "1" }])
        assert.isTrue(state.video)
      })
    ))

  it.live("guild and channel lookups return Discord's shapes and errors", () =>
    withFake((fake) =>
      Effect.gen(function*() {
        const c = yield* authed(fake)
        const guilds = (yield* call(c, "GET_GUILDS"))["data"]["guilds"]
        assert.deepStrictEqual(guilds.map((g: Body) => g["id"]), [fixtures.guilds.lab.id, fixtures.guilds.owls.id])
        const list = (yield* call(c, "GET_CHANNELS", { guild_id: fixtures.guilds.owls.id }))["data"]["channels"]
        assert.deepStrictEqual(list, [
          { id: channels.owlsChat.id, name: "chat", type: 0 },
          { id: channels.lateNight.id, name: "Late Night", type: 2 }
        ])
        assert.strictEqual(errorOf(yield* call(c, "GET_CHANNELS", { guild_id: "111111111111111111" })).code, 4003)
        assert.strictEqual(errorOf(yield* call(c, "GET_CHANNEL", { channel_id: "111111111111111111" })).code, 4005)
        const lounge = (yield* call(c, "GET_CHANNEL", { channel_id: channels.lounge.id }))["data"]
        assert.strictEqual(lounge["voice_states"].length, 2)
        assert.deepStrictEqual(lounge["messages"], [])
        const guild = (yield* call(c, "GET_GUILD", { guild_id: fixtures.guilds.lab.id }))["data"]
        assert.deepStrictEqual(guild["members"], [])
        const text = yield* call(c, "SELECT_TEXT_CHANNEL", { channel_id: channels.labVoiceCategory.id })
        assert.deepStrictEqual(errorOf(text), { code: 4005, message: "Channel is not a text channel" })
      })
    ))
})

describe("FakeDiscord test controls", () => {
  it.live("stop removes the socket file and ends connections; start restores it", () =>
    withFake((fake) =>
      Effect.gen(function*() {
        const c = yield* ready(fake)
        assert.strictEqual(yield* fake.connections, 1)
        yield* fake.stop
        assert.isFalse(Fs.existsSync(fake.socketPath))
        yield* Effect.promise(() => c.endedPromise)
        assert.strictEqual(yield* fake.connections, 0)
        yield* fake.start
        assert.isTrue(Fs.existsSync(fake.socketPath))
        const again = yield* ready(fake)
        assert.isArray((yield* call(again, "GET_SOUNDBOARD_SOUNDS"))["data"])
      })
    ))

  it.live("withholdReplies never answers; delayReplies lets later requests overtake", () =>
    withFake((fake) =>
      Effect.gen(function*() {
        const c = yield* authed(fake)
        yield* fake.withholdReplies("GET_GUILDS")
        c.send(Opcode.Frame, { cmd: "GET_GUILDS", nonce: "withheld", args: {} })
        yield* fake.delayReplies(100, "GET_VOICE_SETTINGS")
        c.send(Opcode.Frame, { cmd: "GET_VOICE_SETTINGS", nonce: "slow", args: {} })
        c.send(Opcode.Frame, { cmd: "GET_SELECTED_VOICE_CHANNEL", nonce: "fast", args: {} })
        const first = yield* Effect.promise(() => c.take())
        const second = yield* Effect.promise(() => c.take())
        assert.strictEqual((first?.frame.payload as Body)["nonce"], "fast")
        assert.strictEqual((second?.frame.payload as Body)["nonce"], "slow")
        c.send(Opcode.Ping, "fence")
        yield* Effect.promise(() => c.take((r) => r.frame.opcode === Opcode.Pong))
        assert.strictEqual(c.pending().length, 0)
        yield* fake.withholdReplies(undefined)
        assert.strictEqual((yield* call(c, "GET_GUILDS"))["evt"], null)
      })
    ))

  it.live("injectRaw writes bytes as given; drop ends sockets without CLOSE; closeAll sends CLOSE", () =>
    withFake((fake) =>
      Effect.gen(function*() {
        const a = yield* ready(fake)
        yield* fake.injectRaw(encodeFrame(Opcode.Frame, { cmd: "DISPATCH", evt: "CUSTOM", data: 1, nonce: null }))
        assert.strictEqual(((yield* Effect.promise(() => a.take()))?.frame.payload as Body)["evt"], "CUSTOM")
        yield* fake.drop
        assert.isUndefined(yield* Effect.promise(() => a.closed()))
        const b = yield* ready(fake)
        yield* fake.closeAll(4000, "Invalid Client ID")
        assert.deepStrictEqual(yield* Effect.promise(() => b.closed()), { code: 4000, message: "Invalid Client ID" })
      })
    ))

  it.live("logs frames per connection, dispatches raw events, and waits out a ping storm", () =>
    withFake((fake) =>
      Effect.gen(function*() {
        const c = yield* ready(fake, true)
        yield* call(c, "SUBSCRIBE", { channel_id: channels.lounge.id }, { evt: "SPEAKING_STOP" })
        const frames = yield* fake.framesReceived()
        assert.deepStrictEqual(frames.map((f) => f.opcode), [Opcode.Handshake, Opcode.Frame])
        assert.strictEqual((yield* fake.framesReceived(frames[0]!.connection)).length, 2)
        assert.strictEqual(yield* fake.dispatch("SPEAKING_STOP", { x: 1 }, { channel_id: channels.gaming.id }), 0)
        assert.strictEqual(yield* fake.dispatch("SPEAKING_STOP", { x: 2 }, { channel_id: channels.lounge.id }), 1)
        assert.deepStrictEqual(((yield* Effect.promise(() => c.event("SPEAKING_STOP"))).frame.payload as Body)["data"], { x: 2 })
        assert.strictEqual(yield* fake.pingStorm(25), 25)
        const pongs = (yield* fake.framesReceived()).filter((f) => f.opcode === Opcode.Pong)
        assert.strictEqual(pongs.length, 25)
      })
    ))

  it.live("socketIndex and subdirectory shape the path under runtimeDir", () =>
    withFake((fake) =>
      Effect.sync(() => {
        assert.strictEqual(fake.socketPath, `${fake.runtimeDir}/app/com.discordapp.Discord/discord-ipc-3`)
        assert.isBelow(Buffer.byteLength(fake.socketPath), 100)
        assert.isTrue(Fs.existsSync(fake.socketPath))
      }), { socketIndex: 3, subdirectory: "app/com.discordapp.Discord" }))

  it.live("startFakeDiscord (Promise API) serves and close() removes the temp dir", () =>
    Effect.promise(async () => {
      const fake = await startFakeDiscord()
      assert.isTrue(Fs.existsSync(fake.socketPath))
      assert.strictEqual(fake.connections(), 0)
      await fake.close()
      assert.isFalse(Fs.existsSync(fake.runtimeDir))
    }))
})

layer(FakeDiscord.layer({ socketIndex: 1 }))("FakeDiscord.layer", (it) => {
  it.effect("provides the running fake as a service", () =>
    Effect.gen(function*() {
      const fake = yield* FakeDiscord
      assert.match(fake.socketPath, /\/discord-ipc-1$/)
      const c = yield* ready(fake)
      assert.deepStrictEqual(errorOf(yield* call(c, "GET_GUILDS")), {
        code: 4006,
        message: "Not authenticated or invalid scope"
      })
    }))
})
