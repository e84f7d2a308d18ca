/**
 * One client connection of the fake server as data, and the frame helpers the server uses
 * on it: encoding, Discord's dispatch filter, the close message for a bad frame, READY's
 * fixed parts, and the runtime directory the socket lives in.
 *
 * @since 0.2.0
 */
import * as Fs from "node:fs"
import type * as Net from "node:net"
import * as Os from "node:os"
import * as Path from "node:path"
import { encodeFrame, type FrameDecodeError, type FrameDecoder, Opcode } from "../../protocol/Frame.ts"
import type { CommandConn } from "./commands.ts"

/** Keep socket paths under the ~104-byte sun_path limit of macOS (docs/discord-rpc.md#unix-socket-paths), with margin. */
const MAX_SOCKET_PATH = 100

/** arRPC's READY user (docs/discord-rpc.md#skipping-arrpc-and-vesktop). */
export const ARRPC_USER = {
  id: "1045800378228281345",
  username: "arrpc",
  discriminator: "0",
  global_name: "arRPC",
  avatar: "cfefa4d9839fb4bdf030f91c2a13e95c",
  bot: false
}

export const READY_CONFIG = { cdn_host: "cdn.discordapp.com", api_endpoint: "//discord.com/api", environment: "production" }

export const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value)

/** Stable text for deep-equal subscription keys (docs/discord-rpc.md#subscribe-and-unsubscribe). */
export const canonical = (value: unknown): string => {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`
  if (isRecord(value)) {
    return `{${Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${canonical(value[k])}`).join(",")}}`
  }
  return JSON.stringify(value) ?? "null"
}

/** Discord's dispatch filter: every key of `match` equals the subscription's arg (docs/discord-rpc.md#subscribe-and-unsubscribe). */
export const matches = (match: Readonly<Record<string, string>> | undefined, args: Readonly<Record<string, unknown>>) => {
  if (match === undefined) return true
  for (const key in match) if (canonical(args[key]) !== canonical(match[key])) return false
  return true
}

export const frameBody = (cmd: string | null, data: unknown, evt: string | null, nonce: unknown) =>
  encodeFrame(Opcode.Frame, { cmd, data, evt, nonce })

export interface Subscription {
  readonly evt: string
  readonly args: Readonly<Record<string, unknown>>
}

export interface Conn extends CommandConn {
  readonly id: number
  readonly socket: Net.Socket
  readonly decoder: FrameDecoder
  clientId: string
  phase: "new" | "throttled" | "ready"
  closing: boolean
  readonly subs: Map<string, Subscription>
  readonly queued: Array<unknown>
  readonly cancels: Set<() => void>
  readonly awaitingPongs: Set<string>
}

export const closeMessage = (error: FrameDecodeError): string => {
  switch (error.reason) {
    case "FrameTooLarge":
      return "message too large"
    case "InvalidJson": // Discord closes with the parser's own message (docs/discord-rpc.md#opcodes)
      return error.message.slice(error.message.indexOf("JSON: ") + 6)
    default:
      return "protocol error"
  }
}

/** Make the temp runtime dir: `<tmpdir>/dcf-XXXXXX`, falling back to /tmp when too long. */
export const makeRuntimeDir = (tail: string): string => {
  const base = Path.join(Os.tmpdir(), "dcf-XXXXXX", tail).length <= MAX_SOCKET_PATH ? Os.tmpdir() : "/tmp"
  return Fs.mkdtempSync(Path.join(base, "dcf-"))
}
