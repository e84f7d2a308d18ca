/**
 * Loader hooks for bench/daemonProbe.ts: report every module URL loaded to the probe's port.
 */
import type { MessagePort } from "node:worker_threads"

let port: MessagePort | undefined

export const initialize = (data: { readonly port: MessagePort }): void => {
  port = data.port
}

export const load = async (
  url: string,
  context: unknown,
  next: (url: string, context: unknown) => Promise<unknown>
): Promise<unknown> => {
  port?.postMessage(url)
  return next(url, context)
}
