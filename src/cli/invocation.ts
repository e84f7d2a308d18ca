/**
 * How to tell the user to run deckcord again: messages everywhere say `deckcord auth`, but
 * that only works when deckcord is installed on the PATH (`npm install -g .`, `npm link`).
 * Started as `node dist/main.js`, the CLI says `node dist/main.js auth` instead.
 *
 * @since 0.1.0
 */
import * as Fs from "node:fs"
import * as Path from "node:path"

const realpath = (file: string): string | undefined => {
  try {
    return Fs.realpathSync(file)
  } catch {
    return undefined
  }
}

/** The `deckcord` on the PATH, if there is one, resolved through its links. */
const deckcordOnPath = (pathVariable: string | undefined): string | undefined => {
  for (const dir of (pathVariable ?? "").split(Path.delimiter)) {
    if (dir === "") continue
    const found = realpath(Path.join(dir, "deckcord"))
    if (found !== undefined) return found
  }
  return undefined
}

export interface Invocation {
  readonly argv: ReadonlyArray<string>
  readonly cwd: string
  readonly pathVariable: string | undefined
}

/**
 * The command that runs this deckcord: `deckcord` when that name reaches this same script
 * (a global install or `npm link`), else `node <script>` as it was started.
 */
export const commandName = (
  invocation: Invocation = { argv: process.argv, cwd: process.cwd(), pathVariable: process.env.PATH }
): string => {
  const script = invocation.argv[1]
  if (script === undefined || Path.basename(script) === "deckcord") return "deckcord"
  const self = realpath(script)
  if (self !== undefined && deckcordOnPath(invocation.pathVariable) === self) return "deckcord"
  const relative = Path.relative(invocation.cwd, script)
  const shown = relative.startsWith("..") || Path.isAbsolute(relative) ? script : relative
  return `node ${shown.includes(" ") ? JSON.stringify(shown) : shown}`
}

/** Rewrite the `deckcord …` commands quoted in a message to the command that works here. */
export const localizeCommands = (text: string, name: string): string =>
  name === "deckcord" ? text : text.replace(/`deckcord(?=[ `])/g, `\`${name}`)
