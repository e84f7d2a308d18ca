import { defineConfig } from "vitest/config"

export default defineConfig({
  test: {
    // quiet on success: what a test logged is printed only when that test fails
    silent: "passed-only",
    include: ["test/**/*.test.ts"],
    exclude: ["test/soak/**"],
    // Tests that use real sockets wait on real I/O; TestClock tests are instant.
    testTimeout: 20_000,
    hookTimeout: 20_000
  }
})
