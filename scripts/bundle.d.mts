/** Types for scripts/bundle.mjs. */
export declare const bundleEntry: (options: {
  readonly entry: string
  readonly resolveDir: string
  readonly outdir: string
  readonly chunksDir: string
  readonly external?: ReadonlyArray<string>
}) => Promise<Array<string>>
