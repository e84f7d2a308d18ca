/**
 * Where Discord's IPC socket may be (docs/discord-rpc.md#finding-the-socket): pure, from an environment record.
 *
 * @since 0.1.0
 */

/** Indices Discord probes when it binds its socket (docs/discord-rpc.md#unix-socket-paths). */
export const SOCKET_INDICES = 10

/**
 * Sub-directories of the runtime dir where sandboxed builds put the socket (docs/discord-rpc.md#unix-socket-paths):
 * the plain dir, Flatpak and Snap Discord first, then the weaker-evidence variants.
 */
export const SOCKET_SUBDIRECTORIES: ReadonlyArray<string> = [
  "",
  "app/com.discordapp.Discord",
  "snap.discord",
  "app/com.discordapp.DiscordCanary",
  "app/com.discordapp.DiscordPTB",
  "snap.discord-canary",
  "snap.discord-ptb",
  "app/dev.vencord.Vesktop",
  ".flatpak/dev.vencord.Vesktop/xdg-run"
]

/** Environment variables naming the base directory, in Discord's own order (docs/discord-rpc.md#unix-socket-paths). */
export const BASE_DIRECTORY_VARIABLES: ReadonlyArray<string> = ["XDG_RUNTIME_DIR", "TMPDIR", "TMP", "TEMP"]

/**
 * `sun_path` holds 108 bytes on Linux and 104 on macOS, including the terminating NUL.
 * A longer candidate cannot be connected to at all, so it is skipped (docs/discord-rpc.md#unix-socket-paths).
 */
export const maxSocketPathBytes = (platform: string): number => (platform === "darwin" ? 103 : 107)

/** @category models */
export interface SocketPathEnvironment {
  readonly env: Readonly<Record<string, string | undefined>>
  readonly platform: string
}

/** A candidate socket, with the facts `doctor` and logs report about it. */
export interface SocketCandidate {
  readonly path: string
  readonly index: number
  /** The sub-directory it came from ("" for the plain runtime dir). */
  readonly subdirectory: string
}

const joinPath = (...parts: ReadonlyArray<string>): string =>
  parts
    .filter((p) => p.length > 0)
    .join("/")
    .replace(/\/{2,}/g, "/")

/** `\\?\pipe\discord-ipc-N` (docs/discord-rpc.md#windows-named-pipes). */
export const windowsPipeName = (index: number): string => `\\\\?\\pipe\\discord-ipc-${index}`

/**
 * Every candidate path in the order to try. Unlike Discord, which uses only the first
 * variable that is set, every set base directory is tried (docs/discord-rpc.md#unix-socket-paths: more forgiving when
 * the daemon's environment differs from Discord's), each once. An empty variable counts as
 * unset (docs/discord-rpc.md#lessons-from-other-clients).
 */
export const socketCandidates = (environment: SocketPathEnvironment): ReadonlyArray<SocketCandidate> => {
  if (environment.platform === "win32") {
    return Array.from({ length: SOCKET_INDICES }, (_, index) => ({
      path: windowsPipeName(index),
      index,
      subdirectory: ""
    }))
  }
  const bases: Array<string> = []
  for (const name of BASE_DIRECTORY_VARIABLES) {
    const value = environment.env[name]
    if (value !== undefined && value.length > 0) bases.push(value.replace(/\/+$/, "") || "/")
  }
  bases.push("/tmp")
  const limit = maxSocketPathBytes(environment.platform)
  const seen = new Set<string>()
  const out: Array<SocketCandidate> = []
  for (const base of bases) {
    for (const subdirectory of SOCKET_SUBDIRECTORIES) {
      for (let index = 0; index < SOCKET_INDICES; index++) {
        const path = joinPath(base, subdirectory, `discord-ipc-${index}`)
        if (seen.has(path) || Buffer.byteLength(path, "utf8") > limit) continue
        seen.add(path)
        out.push({ path, index, subdirectory })
      }
    }
  }
  return out
}
