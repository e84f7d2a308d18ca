import { defineConfig } from "vitest/config"

// vitest 5 prints failures with Map.groupBy (Node ≥ 21); the same polyfill as vitest.config.ts
if (typeof (Map as { groupBy?: unknown }).groupBy !== "function") {
  Object.defineProperty(Map, "groupBy", {
    value: <K, V>(items: Iterable<V>, key: (item: V, index: number) => K): Map<K, Array<V>> => {
      const groups = new Map<K, Array<V>>()
      let index = 0
      for (const item of items) {
        const k = key(item, index++)
        const group = groups.get(k)
        if (group) group.push(item)
        else groups.set(k, [item])
      }
      return groups
    }
  })
}

// `npm run test:browser`: the web UI in a real Chromium (Debian's, at /usr/bin/chromium),
// driven by playwright-core. Kept out of `npm test`, which needs no browser.
export default defineConfig({
  test: {
    // quiet on success: what a test logged is printed only when that test fails
    silent: "passed-only",
    include: ["test/browser/**/*.browser.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // one browser at a time: the machine is small and the suite takes the README's screenshots
    fileParallelism: false
  }
})
