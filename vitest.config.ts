import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Two cores: multi-process tests compete for them, so files run two at a time at most.
    maxWorkers: 2,
    restoreMocks: true,
  },
});
