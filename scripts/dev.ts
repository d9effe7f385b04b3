/**
 * `npm run dev`: the local stack (dev/stack.ts) without ingesting anything. Ctrl-C stops it.
 * `--no-worker` leaves the GPU worker out; `--json` prints one line with the stack's addresses
 * (for tools that drive it from another process, like bench/control-plane).
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { tokenFor } from "../dev/client.ts";
import { startStack } from "../dev/stack.ts";

const { values } = parseArgs({
  options: {
    "no-worker": { type: "boolean", default: false },
    json: { type: "boolean", default: false },
    ephemeral: { type: "boolean", default: false },
    port: { type: "string", default: "8787" },
    "log-level": { type: "string", default: "info" },
  },
});
const root = resolve(import.meta.dirname, "..");
const dataDir = values.ephemeral ? mkdtempSync(join(tmpdir(), "stack-")) : join(root, ".data");
const say = (l: string) => (values.json ? process.stderr.write(`  ✓ ${l}\n`) : console.log(`  ✓ ${l}`));
const stack = await startStack({
  dataDir,
  port: Number(values.port),
  persist: !values.ephemeral,
  databaseUrl: process.env.DATABASE_URL,
  worker: !values["no-worker"],
  logLevel: values["log-level"] === "warn" ? "warn" : "info",
  log: say,
}).catch((error: Error) => {
  console.error(`  ✗ ${error.message}`);
  process.exit(1);
});
const stop = async () => {
  await stack.stop();
  process.exit(0);
};
process.on("SIGINT", () => void stop());
process.on("SIGTERM", () => void stop());

if (values.json) {
  console.log(JSON.stringify({ url: stack.url, secrets: stack.secrets, databaseUrl: stack.postgres.url, dbWsProxy: stack.proxy.address, s3Endpoint: stack.s3.endpoint }));
} else {
  const admin = await tokenFor(stack.secrets.JWT_SECRET!, "00000000-0000-4000-8000-00000000ad31", "admin");
  const creator = await tokenFor(stack.secrets.JWT_SECRET!, "00000000-0000-4000-8000-00000000c0de", "creator");
  console.log(`\n  API:        ${stack.url}/api/media`);
  console.log(`  dashboard:  ${stack.url}/admin/#token=${admin}`);
  console.log(`  creator token: ${creator}`);
  console.log("\n  Ctrl-C stops everything.");
}
