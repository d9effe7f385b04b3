import { cloudflareTest } from "@cloudflare/vitest-pool-workers";
import { defineConfig } from "vitest/config";

/** Tests that run inside workerd: the Worker, its Durable Objects, against real Postgres and S3. */
export default defineConfig({
  plugins: [
    cloudflareTest(({ inject }) => ({
      main: "./src/index.ts",
      wrangler: { configPath: "./wrangler.toml" },
      miniflare: {
        bindings: {
          DATABASE_URL: inject("databaseUrl"),
          DB_WS_PROXY: inject("dbWsProxy"),
          S3_ENDPOINT: inject("s3Endpoint"),
          // The archive bucket on the same s3rver (a deletion removes the mezzanine there).
          ARCHIVE_ENDPOINT: inject("s3Endpoint"),
          S3_ACCESS_KEY_ID: "S3RVER",
          S3_SECRET_ACCESS_KEY: "S3RVER",
          CONTROL_URL: inject("controlUrl"),
          RUNPOD_API_BASE: "http://runpod.test/v2",
          RUNPOD_ENDPOINT_ID: "endpoint-test",
          RUNPOD_API_KEY: "runpod-test-key",
          RUNPOD_WEBHOOK_SECRET: "test-webhook-secret",
          RUNPOD_WEBHOOK_SECRET_PREVIOUS: "test-webhook-secret-old",
          WEBHOOK_BASE_URL: "http://control.test",
          JWT_SECRET: "test-jwt-secret-0123456789abcdef0123456789",
          SERVICE_TOKEN: "test-service-token",
          // 64 KiB parts: a 1 MB fixture is a many-part upload (s3rver, unlike R2, takes parts under 5 MiB).
          UPLOAD_PART_SIZE_BYTES: "65536",
          PLAYBACK_SIGNING_SECRET: "test-playback-secret-0123456789abcdef",
          DISPATCH_TIMEOUT_MS: "300",
          STUCK_JOB_FLOOR_SECONDS: "900",
          // Small enough that a hanging Postgres is noticed within a test.
          DB_QUERY_TIMEOUT_MS: "1500",
          // Every request re-reads the soft delete: the tests delete rows and look at once.
          DELETION_CHECK_SECONDS: "0",
          // Small enough to reach in a test; each test uses fresh creators, so they never meet.
          LIMIT_JOBS_IN_FLIGHT: "2",
          LIMIT_JOBS_PER_DAY: "4",
          LIMIT_UPLOAD_BYTES_PER_DAY: "10000000",
          LIMIT_REGISTRATIONS_PER_DAY: "10",
          LIMIT_OPEN_UPLOADS: "6",
          // Problems only (TEST_LOG_LEVEL=info for every transition and effect): background work
          // (webhook deliveries, a deletion's files) outlives a test, and a line it logs while the
          // pool closes a file fails the run ("Closing rpc while onUserConsoleLog was pending").
          LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? "warn",
          // Two real subscribers (test/support/global-setup.ts); retries fast enough to watch.
          PLATFORM_WEBHOOK_URLS: inject("platformWebhookUrls"),
          PLATFORM_WEBHOOK_RETRY_BASE_SECONDS: "0.2",
          PLATFORM_WEBHOOK_RETRY_MAX_SECONDS: "1",
          PLATFORM_WEBHOOK_TIMEOUT_SECONDS: "2",
        },
      },
    })),
  ],
  test: {
    include: ["test/worker/**/*.test.ts"],
    globalSetup: ["./test/support/global-setup.ts"],
    testTimeout: 30_000,
    // What the Worker logs shows only for tests that fail.
    silent: "passed-only",
  },
});
