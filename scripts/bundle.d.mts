/** Types for scripts/bundle.mjs. */
export declare const bundleEntry: (options: {
  readonly entry: string
  readonly resolveDir: string
  readonly outdir: string
  readonly chunksDir: string
  readonly external?: ReadonlyArray<string>
}) => Promise<Array<string>>

/** Packages the command line leaves to Node at run time (native addons, dynamically imported CommonJS). */
export declare const CLI_EXTERNAL: ReadonlyArray<string>

/** One line per dynamic import of bundled CommonJS in an esbuild metafile. */
export declare const dynamicImportsOfCommonJs: (metafile: unknown) => Array<string>
