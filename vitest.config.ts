import { defineConfig } from "vitest/config"

// vitest 5's reporter calls Map.groupBy (Node ≥ 21) when it prints a failure; on Node 20
// that throws and hides the failure. The config loads in vitest's main process, so a
// polyfill here keeps failures readable on the Node 20 we support.
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

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    exclude: ["test/soak/**"],
    // Tests that use real sockets wait on real I/O; TestClock tests are instant.
    testTimeout: 20_000,
    hookTimeout: 20_000
  }
})
