import { defineConfig } from "vitest/config"

/**
 * The reliability suite (`npm run test:soak`): long fault-injection runs against the fakes
 * and large property tests. Not part of `npm test`. Each test records what it injected and
 * what was lost; `test/soak/globalSetup.ts` writes RELIABILITY.md from those records.
 */
export default defineConfig({
  test: {
    // quiet on success: what a test logged is printed only when that test fails
    silent: "passed-only",
    include: ["test/soak/**/*.test.ts"],
    globalSetup: ["test/soak/globalSetup.ts"],
    // the restart soak runs a full minute of real time
    testTimeout: 180_000,
    hookTimeout: 30_000,
    // one file at a time: the machine has 2 cores and the soak figures should not fight each other
    fileParallelism: false
  }
})
