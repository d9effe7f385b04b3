import { defineConfig } from "vitest/config";

/**
 * End-to-end tests through every real part (only RunPod is a stand-in), and the browser test.
 * One stack for all files (test/e2e/global-setup.ts); files run one after another because they
 * share one GPU worker and a short stuck-job deadline.
 */
export default defineConfig({
  test: {
    include: ["test/e2e/**/*.test.ts"],
    globalSetup: ["test/e2e/global-setup.ts"],
    fileParallelism: false,
    testTimeout: 180_000,
    hookTimeout: 180_000,
  },
});
