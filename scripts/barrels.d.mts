/** Types for scripts/barrels.mjs (a plain script so the build needs no TypeScript loader). */
export interface BarrelEntry {
  /** `export * as X from …` (true) or a named re-export. */
  readonly namespace: boolean
  /** The module specifier the name comes from, e.g. "effect/Effect". */
  readonly from: string
}
export declare const readBarrel: (specifier: string, file: string) => Map<string, BarrelEntry>
export declare const rewriteSource: (
  source: string,
  barrels: ReadonlyMap<string, ReadonlyMap<string, BarrelEntry>>,
  where: string
) => string
export declare const leftovers: (source: string, barrels: ReadonlyArray<string>) => Array<string>
