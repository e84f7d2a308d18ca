/**
 * Where the daemon's control socket lives. Shared by the daemon and the light remote client,
 * so it imports nothing but Node.
 *
 * @since 0.2.0
 */
import * as Os from "node:os"
import * as Path from "node:path"

/** Overrides the socket path (several daemons side by side, tests). */
export const CONTROL_SOCKET_ENV = "DECKCORD_CONTROL_SOCKET"

/**
 * `$XDG_RUNTIME_DIR/deckcord/control.sock` (a per-user tmpfs that systemd empties at logout);
 * without it, a per-user directory under the system's temp directory.
 */
export const controlSocketPath = (
  env: Readonly<Record<string, string | undefined>> = process.env,
  uid: number = process.getuid?.() ?? 0
): string => {
  const override = env[CONTROL_SOCKET_ENV]
  if (override !== undefined && override !== "") return override
  const runtime = env["XDG_RUNTIME_DIR"]
  return runtime !== undefined && runtime !== ""
    ? Path.join(runtime, "deckcord", "control.sock")
    : Path.join(Os.tmpdir(), `deckcord-${uid}`, "control.sock")
}
