/**
 * Every action by its layout name.
 *
 * @since 0.1.0
 */
import { camera, screenShare, soundboard } from "./media.ts"
import { leaveCall, textChannel, voiceChannel } from "./channels.ts"
import { inputDevice, outputDevice } from "./devices.ts"
import { multi } from "./multi.ts"
import { notifications } from "./notifications.ts"
import { page } from "./pages.ts"
import { status } from "./status.ts"
import type { AnyActionDef } from "./types.ts"
import { deafen, inputMode, mute, pushToTalk, voiceProcessing } from "./voice.ts"
import { inputVolume, outputVolume, userVolume } from "./volume.ts"

export * from "./types.ts"
export { camera, screenShare, soundboard } from "./media.ts"
export { leaveCall, textChannel, voiceChannel } from "./channels.ts"
export { inputDevice, outputDevice } from "./devices.ts"
export { HOME_PAGE, page } from "./pages.ts"
export { LONG_PRESS_MILLIS, notifications } from "./notifications.ts"
export { MAX_DELAY_MILLIS, multi, type MultiLocal, type MultiOptions, type MultiStep } from "./multi.ts"
export { status, unavailability, unavailableFace, statusUnavailableFace } from "./status.ts"
export { deafen, inputMode, mute, pushToTalk, voiceProcessing } from "./voice.ts"
export { inputVolume, outputVolume, userVolume } from "./volume.ts"

/** The registry, in the order the docs list them. */
export const ACTIONS: ReadonlyArray<AnyActionDef> = [
  mute,
  deafen,
  pushToTalk,
  inputMode,
  voiceChannel,
  leaveCall,
  textChannel,
  inputVolume,
  outputVolume,
  userVolume,
  inputDevice,
  outputDevice,
  camera,
  screenShare,
  soundboard,
  notifications,
  voiceProcessing,
  status,
  page,
  multi
]

/** Every action name, for error messages. */
export const ACTION_NAMES: ReadonlyArray<string> = ACTIONS.map((a) => a.name)

const BY_NAME: ReadonlyMap<string, AnyActionDef> = new Map(ACTIONS.map((a) => [a.name, a]))

/** The action with this layout name. */
export const actionNamed = (name: string): AnyActionDef | undefined => BY_NAME.get(name)
