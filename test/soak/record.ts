/**
 * What a soak test injected and what came of it, written to build/soak/<name>.json and
 * printed, so RELIABILITY.md is generated from the run's own counts.
 */
import * as Fs from "node:fs"
import * as Path from "node:path"
import { fileURLToPath } from "node:url"

export const SOAK_RECORD_DIR = fileURLToPath(new URL("../../build/soak/", import.meta.url))

export interface SoakRecord {
  /** The fault, as a short title. */
  readonly fault: string
  /** What was injected and how often. */
  readonly injected: string
  /** What the client did about it (counts). */
  readonly outcome: string
  /** Things lost or duplicated; must be 0. */
  readonly lost: number
  /** Ordering key in the report. */
  readonly order: number
}

export const recordSoak = (name: string, record: SoakRecord): void => {
  Fs.mkdirSync(SOAK_RECORD_DIR, { recursive: true })
  Fs.writeFileSync(Path.join(SOAK_RECORD_DIR, `${name}.json`), `${JSON.stringify(record, null, 2)}\n`)
  console.log(`[soak] ${record.fault}: injected ${record.injected}; ${record.outcome}; lost ${record.lost}`)
}
