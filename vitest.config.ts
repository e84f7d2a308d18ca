import { defineConfig } from "vitest/config"

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    exclude: ["test/soak/**"],
    // Tests that use real sockets wait on real I/O; TestClock tests are instant.
    testTimeout: 20_000,
    hookTimeout: 20_000
  }
})
