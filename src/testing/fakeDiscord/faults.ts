/**
 * Scripted faults of the fake server: where in the connection sequence one strikes and what
 * happens there (docs/discord-rpc.md#restarts-and-reconnects shows why clients must survive them).
 *
 * @since 0.2.0
 */

/**
 * Where in the connection sequence a scripted fault strikes: as a client connects, when its
 * HANDSHAKE arrives, instead of READY, or when a command (optionally a SUBSCRIBE to one
 * event) arrives.
 *
 * @category models
 */
export type FaultStep =
  | { readonly _tag: "Connect" }
  | { readonly _tag: "Handshake" }
  | { readonly _tag: "Ready" }
  | { readonly _tag: "Command"; readonly cmd: string; readonly evt?: string }

/**
 * What happens there: the socket is destroyed without CLOSE (a crash), Discord sends CLOSE
 * with a code, the reply (or READY) never comes, or bytes that are no frame are sent.
 *
 * @category models
 */
export type FaultKind =
  | { readonly _tag: "Drop" }
  | { readonly _tag: "Close"; readonly code: number; readonly message: string }
  | { readonly _tag: "Withhold" }
  | { readonly _tag: "Garbage" }

export interface ScriptedFault {
  readonly step: FaultStep
  readonly fault: FaultKind
  remaining: number
}

export const GARBAGE = Buffer.from("\u00ff\u00fe not a frame \u0000\u0001\u0002\u0003")

export const sameStep = (scripted: FaultStep, at: FaultStep): boolean => {
  if (scripted._tag !== at._tag) return false
  if (scripted._tag !== "Command" || at._tag !== "Command") return true
  return scripted.cmd === at.cmd && (scripted.evt === undefined || scripted.evt === at.evt)
}
