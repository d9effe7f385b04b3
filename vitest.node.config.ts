import { defineConfig } from "vitest/config";

/** Tests that run in Node: the pure machine, the GPU worker, the local stack. */
export default defineConfig({
  test: {
    include: ["test/machine/**/*.test.ts", "test/node/**/*.test.ts", "gpu-worker/test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
