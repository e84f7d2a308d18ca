/**
 * FakeDiscord's options and the records its logs hold.
 *
 * @since 0.1.0
 */
import type { FakeAuthority } from "../FakeAuthority.ts"
import type { AuthorizeBehavior } from "./commands.ts"
import type { FakeUser } from "./fixtures.ts"
import type { FakeVoiceSettingsPatch } from "./world.ts"

/** @category options */
export interface FakeDiscordOptions {
  /** `discord-ipc-N` (default 0). */
  readonly socketIndex?: number
  /** Put the socket under a subdirectory of `runtimeDir`, e.g. "app/com.discordapp.Discord" (Flatpak). */
  readonly subdirectory?: string
  /** Application ids that pass the handshake; default: any (docs/discord-rpc.md#handshake-and-ready step 3). */
  readonly clientIds?: ReadonlyArray<string>
  /** Nobody is logged in: handshakes close with 1000 "User logged out". */
  readonly loggedOut?: boolean
  /** Delay between HANDSHAKE and READY, like Discord's per-app connect throttle (docs/discord-rpc.md#connection-throttle). */
  readonly readyDelayMillis?: number
  /** "arrpc": behave like arRPC / Vesktop (mock READY user, silent on voice commands; docs/discord-rpc.md#skipping-arrpc-and-vesktop). */
  readonly flavor?: "discord" | "arrpc"
  /** The logged-in user in READY and AUTHENTICATE (default `fixtures.user`). */
  readonly user?: FakeUser
  /** Issues AUTHORIZE codes and checks AUTHENTICATE tokens (default `simpleAuthority()`). */
  readonly authority?: FakeAuthority
  /** Scopes AUTHORIZE may grant; others fail with invalid_scope (docs/discord-rpc.md#your-own-application). */
  readonly grantableScopes?: ReadonlyArray<string>
  /** What the human does with the authorize modal (default "approve"). */
  readonly authorizeBehavior?: AuthorizeBehavior
  /** The application name AUTHENTICATE reports. */
  readonly applicationName?: string
  /** Starting voice settings, over the fixture defaults. */
  readonly voiceSettings?: FakeVoiceSettingsPatch
  /** Start already in this voice channel (default: in none). */
  readonly initialVoiceChannelId?: string | null
}

/** @category models */
export interface ReceivedFrame {
  readonly connection: number
  readonly opcode: number
  readonly payload: unknown
  /** When it arrived (epoch ms, wall clock). */
  readonly receivedAt: number
}

/** @category models */
export interface HandshakeRecord {
  readonly connection: number
  readonly payload: unknown
  /** "ready", or the CLOSE the fake answered with. */
  readonly outcome: "ready" | { readonly code: number; readonly message: string }
}

/** @category models */
export interface SubscriptionRecord {
  readonly connection: number
  readonly evt: string
  readonly args: Readonly<Record<string, unknown>>
}
