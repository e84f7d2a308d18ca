/**
 * The daemon's control API: the contract shared by the daemon, the `deckcord` remote commands,
 * the web UI and scripts. Schemas and endpoints only, no server code, so a client can import
 * it without pulling in the daemon.
 *
 * Endpoints (all JSON unless noted; every path is under `/api`):
 *
 * | method | path                                  | what |
 * |--------|---------------------------------------|------|
 * | GET    | /api/status                           | `Status`: connection (with reason and fix), user, mute, deaf, input mode, volumes, channel and members, decks |
 * | GET    | /api/events                           | SSE, one `StateEvent` per change: `Status` snapshots; with `?faces=true` also one `Face` event per control face |
 * | POST   | /api/actions                          | run an `Action` (mute, deafen, ptt, input mode, join, leave, volume, sound) through the press path |
 * | GET    | /api/decks                            | every deck (`DeckStatus`), HID and virtual |
 * | GET    | /api/decks/:serial/faces              | what each control of a deck shows (`ControlFace`) |
 * | GET    | /api/decks/:serial/:control/face.svg  | one control's face as SVG at its real pixel size (`control`: `key:3`, `encoder:0`) |
 * | GET    | /api/decks/:serial/:control/face.png  | the same face as the PNG of the pixels the deck gets |
 * | POST   | /api/decks/:serial/press              | `DeckPress`: act on a control as the hardware would (`serial` may be `virtual`) |
 * | GET    | /api/virtual-decks/models             | the models a virtual deck can be |
 * | POST   | /api/virtual-decks                    | add a standalone virtual deck of any model (`NewVirtualDeck`) |
 * | DELETE | /api/virtual-decks/:serial            | unplug a virtual deck |
 * | GET    | /api/web                              | the web UI's URL with its access token (for `deckcord web`) |
 *
 * Failures are JSON bodies tagged `NotConnected` (503), `Refused` (409), `NotFound` (404) or
 * `Invalid` (400), each with a `message` written for the user; the remote CLI turns them into
 * its exit codes (4, 5, 6, 2).
 *
 * @since 0.2.0
 */
import { Effect, Schema } from "effect"
import { HttpApi, HttpApiEndpoint, HttpApiGroup, HttpApiSchema } from "effect/http-api"
import { ICON_NAMES } from "../face/Face.ts"
import { Invalid, NotConnected, NotFound, Refused } from "./ControlErrors.ts"

// ---------------------------------------------------------------------------------------------
// faces
// ---------------------------------------------------------------------------------------------

/**
 * What a client sees of a control's face: the fields of `Face` that describe it, without the
 * files it is drawn from (a custom image, people's pictures: paths on the daemon's machine).
 * The drawn face is at `/api/decks/:serial/:control/face.svg` (or `.png`).
 */
export const FaceSchema = Schema.Struct({
  icon: Schema.optionalKey(Schema.Literals(ICON_NAMES)),
  tone: Schema.optionalKey(Schema.Literals(["neutral", "active", "muted", "warning", "offline"])),
  label: Schema.optionalKey(Schema.String),
  sublabel: Schema.optionalKey(Schema.String),
  badge: Schema.optionalKey(Schema.String),
  value: Schema.optionalKey(Schema.Number),
  highlight: Schema.optionalKey(Schema.Boolean),
  overlay: Schema.optionalKey(Schema.Literals(["pending", "error"])),
  background: Schema.optionalKey(Schema.String),
  foreground: Schema.optionalKey(Schema.String)
})

/** A control of a deck: `key:<index>` or `encoder:<index>` (a dial and its LCD region). */
export const ControlName = Schema.String.check(
  Schema.isPattern(/^(key|encoder):\d{1,3}$/, { message: "expected a control like \"key:3\" or \"encoder:0\"" })
)

/** What one control shows now; controls absent from a deck's list show nothing (black). */
export const ControlFace = Schema.Struct({
  control: ControlName,
  face: FaceSchema
})
export type ControlFace = typeof ControlFace.Type

// ---------------------------------------------------------------------------------------------
// status
// ---------------------------------------------------------------------------------------------

export const ConnectionStatus = Schema.Struct({
  state: Schema.Literals(["Disconnected", "Connecting", "Authenticating", "Ready"]),
  /** Connected, authorized and synced: commands act now. */
  live: Schema.Boolean,
  /** Why not connected (`DisconnectReason.kind`), when disconnected. */
  reason: Schema.optionalKey(Schema.String),
  /** What happened, for the user. */
  message: Schema.optionalKey(Schema.String),
  /** What to do about it (what `deckcord doctor` would say). */
  fix: Schema.optionalKey(Schema.String)
})
export type ConnectionStatus = typeof ConnectionStatus.Type

export const UserStatus = Schema.Struct({ id: Schema.String, name: Schema.String })

export const MemberStatus = Schema.Struct({
  id: Schema.String,
  name: Schema.String,
  bot: Schema.Boolean,
  speaking: Schema.Boolean,
  selfMute: Schema.Boolean,
  selfDeaf: Schema.Boolean,
  serverMute: Schema.Boolean,
  serverDeaf: Schema.Boolean,
  /** Your local mute of them and your volume for them (0–200). */
  localMute: Schema.Boolean,
  localVolume: Schema.Number
})

export const ChannelStatus = Schema.Struct({
  id: Schema.String,
  name: Schema.String,
  guildId: Schema.NullOr(Schema.String),
  guildName: Schema.NullOr(Schema.String),
  members: Schema.Array(MemberStatus)
})

export const DeckKeyStatus = Schema.Struct({
  index: Schema.Int,
  row: Schema.Int,
  column: Schema.Int,
  feedback: Schema.Literals(["lcd", "rgb", "none"]),
  width: Schema.optionalKey(Schema.Int),
  height: Schema.optionalKey(Schema.Int)
})

export const DeckEncoderStatus = Schema.Struct({
  index: Schema.Int,
  row: Schema.Int,
  column: Schema.Int,
  /** The LCD region above the dial, when the deck has a strip. */
  width: Schema.optionalKey(Schema.Int),
  height: Schema.optionalKey(Schema.Int)
})

export const DeckStatus = Schema.Struct({
  serial: Schema.String,
  /** The library's model id, e.g. "original-mk2", "plus". */
  model: Schema.String,
  productName: Schema.String,
  /** A virtual deck (browser or API), not USB hardware. */
  virtual: Schema.Boolean,
  columns: Schema.Int,
  rows: Schema.Int,
  keys: Schema.Array(DeckKeyStatus),
  encoders: Schema.Array(DeckEncoderStatus)
})
export type DeckStatus = typeof DeckStatus.Type

/** Everything `deckcord status --json` prints; also what `watch --json` prints per line. */
export const Status = Schema.Struct({
  version: Schema.String,
  connection: ConnectionStatus,
  user: Schema.NullOr(UserStatus),
  /** What Discord granted (never the token itself): scopes and when it expires (ISO date). */
  authorization: Schema.NullOr(Schema.Struct({
    application: Schema.NullOr(Schema.String),
    scopes: Schema.Array(Schema.String),
    expires: Schema.NullOr(Schema.String)
  })),
  muted: Schema.Boolean,
  deafened: Schema.Boolean,
  inputMode: Schema.NullOr(Schema.Literals(["push-to-talk", "voice-activity"])),
  /** Push-to-talk held by deckcord now. */
  talking: Schema.Boolean,
  /** Raw volumes: input 0–100, output 0–200; null until known. */
  inputVolume: Schema.NullOr(Schema.Number),
  outputVolume: Schema.NullOr(Schema.Number),
  channel: Schema.NullOr(ChannelStatus),
  decks: Schema.Array(DeckStatus),
  /** Whether USB decks can be used; `message` and `fix` when not. */
  deckAccess: Schema.Struct({
    ok: Schema.Boolean,
    message: Schema.optionalKey(Schema.String),
    fix: Schema.optionalKey(Schema.String)
  })
})
export type Status = typeof Status.Type

/** One server-sent event. */
export const StateEvent = Schema.Union([
  Schema.TaggedStruct("Status", { status: Status }),
  /** A control's face changed; `face: null` when it no longer shows one (page change, unplug). */
  Schema.TaggedStruct("Face", { serial: Schema.String, control: ControlName, face: Schema.NullOr(FaceSchema) })
])
export type StateEvent = typeof StateEvent.Type

// ---------------------------------------------------------------------------------------------
// actions
// ---------------------------------------------------------------------------------------------

export const Toggle = Schema.Literals(["toggle", "on", "off"])

/** What `POST /api/actions` runs; each maps onto the action a key with those options runs. */
export const Action = Schema.Union([
  Schema.TaggedStruct("Mute", { mode: Toggle }),
  Schema.TaggedStruct("Deafen", { mode: Toggle }),
  Schema.TaggedStruct("PushToTalk", { state: Schema.Literals(["start", "stop"]) }),
  /** Hold push-to-talk this long, then release (the daemon releases it even if the client goes away). */
  Schema.TaggedStruct("PushToTalkFor", {
    millis: Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: 600_000 }))
  }),
  Schema.TaggedStruct("InputMode", { mode: Schema.Literals(["toggle", "push-to-talk", "voice-activity"]) }),
  /** A voice channel id, or "Server/Channel" by name (case-insensitive). */
  Schema.TaggedStruct("Join", { channel: Schema.String.check(Schema.isNonEmpty()) }),
  Schema.TaggedStruct("Leave", {}),
  /** `set` a volume, or `change` it by a signed amount (input 0–100, output 0–200). */
  Schema.TaggedStruct("Volume", {
    which: Schema.Literals(["input", "output"]),
    set: Schema.optionalKey(Schema.Number.check(Schema.isBetween({ minimum: 0, maximum: 200 }))),
    change: Schema.optionalKey(Schema.Int.check(Schema.isBetween({ minimum: -200, maximum: 200 })))
  }),
  /** A soundboard sound by name (case-insensitive). */
  Schema.TaggedStruct("Sound", { name: Schema.String.check(Schema.isNonEmpty()) })
])
export type Action = typeof Action.Type

export const ActionResult = Schema.Struct({
  /** What was done, in a few words ("muted", "joined General"). */
  message: Schema.String
})
export type ActionResult = typeof ActionResult.Type

/** Act on one control as the hardware would (`press`: down then up). */
export const DeckPress = Schema.Struct({
  control: ControlName,
  input: Schema.Literals(["press", "down", "up", "rotate", "touch"]).pipe(
    Schema.withDecodingDefaultKey(Effect.succeed("press" as const))
  ),
  /** Detents for `rotate` (positive: clockwise). */
  delta: Schema.optionalKey(Schema.Int)
})
export type DeckPress = typeof DeckPress.Type

export const NewVirtualDeck = Schema.Struct({
  model: Schema.String,
  /** Default: "VIRTUAL" and a number. */
  serial: Schema.optionalKey(Schema.String.check(Schema.isPattern(/^[A-Za-z0-9_-]{1,32}$/)))
})

export const WebInfo = Schema.Struct({
  /** The web UI's address with its access token; null when `web: false`. */
  url: Schema.NullOr(Schema.String)
})

// ---------------------------------------------------------------------------------------------
// errors
// ---------------------------------------------------------------------------------------------

export { Invalid, NotConnected, NotFound, Refused } from "./ControlErrors.ts"

export type ControlFailure = NotConnected | Refused | NotFound | Invalid

const failures = [NotConnected, Refused, NotFound, Invalid]

// ---------------------------------------------------------------------------------------------
// endpoints
// ---------------------------------------------------------------------------------------------

export class StatusGroup extends HttpApiGroup.make("status")
  .add(
    HttpApiEndpoint.get("status", "/status", { success: Status }),
    HttpApiEndpoint.get("web", "/web", { success: WebInfo })
  )
  .prefix("/api")
{}

export class ActionsGroup extends HttpApiGroup.make("actions")
  .add(HttpApiEndpoint.post("run", "/actions", { payload: Action, success: ActionResult, error: failures }))
  .prefix("/api")
{}

export class DecksGroup extends HttpApiGroup.make("decks")
  .add(
    HttpApiEndpoint.get("list", "/decks", { success: Schema.Array(DeckStatus) }),
    HttpApiEndpoint.get("faces", "/decks/:serial/faces", {
      params: { serial: Schema.String },
      success: Schema.Array(ControlFace),
      error: NotFound
    }),
    HttpApiEndpoint.post("press", "/decks/:serial/press", {
      params: { serial: Schema.String },
      payload: DeckPress,
      success: ActionResult,
      error: failures
    }),
    HttpApiEndpoint.get("models", "/virtual-decks/models", { success: Schema.Array(Schema.String) }),
    HttpApiEndpoint.post("addVirtual", "/virtual-decks", {
      payload: NewVirtualDeck,
      success: DeckStatus.pipe(HttpApiSchema.status(201)),
      error: Invalid
    }),
    HttpApiEndpoint.delete("removeVirtual", "/virtual-decks/:serial", {
      params: { serial: Schema.String },
      success: HttpApiSchema.NoContent,
      error: NotFound
    })
  )
  .prefix("/api")
{}

/** The typed part of the control API (SSE and SVG faces are plain routes beside it). */
export class ControlApi extends HttpApi.make("deckcord-control").add(StatusGroup).add(ActionsGroup).add(DecksGroup) {}

/** Cookie the web UI's token lives in (set from the tokened URL). */
export const TOKEN_COOKIE = "deckcord_token"
/** Header an API client sends its token in (or `Authorization: Bearer <token>`). */
export const TOKEN_HEADER = "x-deckcord-token"
/** The web UI's port unless `web.port` says otherwise. */
export const DEFAULT_WEB_PORT = 7632
