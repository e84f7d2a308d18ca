/**
 * The remote commands' arguments, read without a command-line framework (a key binding's
 * start-up is the point): one request per command line, or a `UsageError` saying what is
 * wrong. Pure; imports nothing.
 *
 * @since 0.2.0
 */

export type Request =
  | { readonly kind: "action"; readonly action: Record<string, unknown> }
  | { readonly kind: "press"; readonly serial: string; readonly body: Record<string, unknown> }
  | { readonly kind: "status"; readonly json: boolean }
  | { readonly kind: "volume"; readonly which: "input" | "output" }
  | { readonly kind: "watch"; readonly format: "text" | "json" | "waybar" }
  | { readonly kind: "web" }
  | { readonly kind: "help" }

export class UsageError extends Error {}

/** "2s", "1.5s", "500ms", "2" (seconds) → milliseconds. */
export const parseDuration = (text: string): number | undefined => {
  const m = /^(\d+(?:\.\d+)?)\s*(ms|s|sec|seconds?)?$/.exec(text.trim())
  if (m === null) return undefined
  const value = Number(m[1])
  const millis = m[2] === "ms" ? value : value * 1000
  return Number.isFinite(millis) && millis >= 1 ? Math.round(millis) : undefined
}

const toggleOf = (word: string | undefined, what: string): "toggle" | "on" | "off" => {
  if (word === undefined || word === "toggle") return "toggle"
  if (word === "on" || word === "off") return word
  throw new UsageError(`${what} takes toggle, on or off, not "${word}"`)
}

/** Turn the arguments into one request, or throw a `UsageError` naming what is wrong. */
export const parseRemote = (args: ReadonlyArray<string>): Request => {
  const [command, ...rest] = args
  if (rest.includes("--help") || rest.includes("-h")) return { kind: "help" }
  const only = (max: number) => {
    if (rest.length > max) throw new UsageError(`${command}: unexpected "${rest.slice(max).join(" ")}"`)
  }
  switch (command) {
    case "mute":
    case "deafen":
      only(1)
      return { kind: "action", action: { _tag: command === "mute" ? "Mute" : "Deafen", mode: toggleOf(rest[0], command) } }
    case "ptt": {
      if (rest[0] === "start" || rest[0] === "stop") {
        only(1)
        return { kind: "action", action: { _tag: "PushToTalk", state: rest[0] } }
      }
      const forArg = rest[0] === "--for" ? rest[1] : rest[0]?.startsWith("--for=") ? rest[0].slice(6) : undefined
      if (forArg !== undefined) {
        only(rest[0] === "--for" ? 2 : 1)
        const millis = parseDuration(forArg)
        if (millis === undefined || millis > 600_000) throw new UsageError(`ptt --for: "${forArg}" is not a duration like 2s or 500ms (at most 10 minutes)`)
        return { kind: "action", action: { _tag: "PushToTalkFor", millis } }
      }
      throw new UsageError("ptt takes start, stop or --for <duration>")
    }
    case "input-mode": {
      only(1)
      const word = rest[0] ?? "toggle"
      const mode = word === "toggle"
        ? "toggle"
        : word === "ptt" || word === "push-to-talk"
        ? "push-to-talk"
        : word === "va" || word === "voice-activity"
        ? "voice-activity"
        : undefined
      if (mode === undefined) throw new UsageError(`input-mode takes toggle, ptt or va, not "${word}"`)
      return { kind: "action", action: { _tag: "InputMode", mode } }
    }
    case "join": {
      const channel = rest.join(" ").trim()
      if (channel === "") throw new UsageError("join needs a channel id or \"Server/Channel\"")
      return { kind: "action", action: { _tag: "Join", channel } }
    }
    case "leave":
      only(0)
      return { kind: "action", action: { _tag: "Leave" } }
    case "volume": {
      only(2)
      const which = rest[0]
      if (which !== "input" && which !== "output") throw new UsageError("volume takes input or output first")
      const value = rest[1]
      if (value === undefined) return { kind: "volume", which }
      const m = /^([+-]?)(\d{1,3})%?$/.exec(value)
      if (m === null) throw new UsageError(`volume ${which}: "${value}" is not +N, -N or N`)
      const n = Number(m[2])
      const max = which === "input" ? 100 : 200
      if (m[1] === "") {
        if (n > max) throw new UsageError(`volume ${which} is 0–${max}`)
        return { kind: "action", action: { _tag: "Volume", which, set: n } }
      }
      return { kind: "action", action: { _tag: "Volume", which, change: m[1] === "-" ? -n : n } }
    }
    case "sound": {
      const name = rest.join(" ").trim()
      if (name === "") throw new UsageError("sound needs a sound's name")
      return { kind: "action", action: { _tag: "Sound", name } }
    }
    case "press": {
      const [serial, key, ...flags] = rest
      if (serial === undefined || key === undefined) throw new UsageError("press needs a deck (serial or virtual) and a key")
      const m = /^(?:(key|dial|encoder):)?(\d{1,3})$/.exec(key)
      if (m === null) throw new UsageError(`press: "${key}" is not a key like 3, key:3 or dial:0`)
      const control = `${m[1] === undefined || m[1] === "key" ? "key" : "encoder"}:${m[2]}`
      let input = "press"
      let delta: number | undefined
      for (let i = 0; i < flags.length; i++) {
        const flag = flags[i]
        if (flag === "--down") input = "down"
        else if (flag === "--up") input = "up"
        else if (flag === "--touch") input = "touch"
        else if (flag === "--turn") {
          input = "rotate"
          delta = Number(flags[++i])
          if (!Number.isInteger(delta)) throw new UsageError("press --turn needs a whole number of detents, e.g. --turn -2")
        } else throw new UsageError(`press: unknown flag "${flag}"`)
      }
      return { kind: "press", serial, body: { control, input, ...(delta === undefined ? {} : { delta }) } }
    }
    case "status":
      if (rest.some((a) => a !== "--json")) throw new UsageError(`status: unexpected "${rest.join(" ")}"`)
      return { kind: "status", json: rest.includes("--json") }
    case "watch": {
      only(1)
      const flag = rest[0]
      if (flag !== undefined && flag !== "--json" && flag !== "--waybar") throw new UsageError(`watch: unknown flag "${flag}"`)
      return { kind: "watch", format: flag === "--json" ? "json" : flag === "--waybar" ? "waybar" : "text" }
    }
    case "web":
      only(0)
      return { kind: "web" }
    default:
      throw new UsageError(`unknown command "${command}"`)
  }
}
