/** `npm run dev`: the local stack (dev/stack.ts) without ingesting anything. Ctrl-C stops it. */
import { join, resolve } from "node:path";
import { tokenFor } from "../dev/client.ts";
import { startStack } from "../dev/stack.ts";

const root = resolve(import.meta.dirname, "..");
const stack = await startStack({ dataDir: join(root, ".data"), port: 8787, persist: true, databaseUrl: process.env.DATABASE_URL, log: (l) => console.log(`  ✓ ${l}`) });
const admin = await tokenFor(stack.secrets.JWT_SECRET!, "00000000-0000-4000-8000-00000000ad31", "admin");
const creator = await tokenFor(stack.secrets.JWT_SECRET!, "00000000-0000-4000-8000-00000000c0de", "creator");
console.log(`\n  API:        ${stack.url}/api/media`);
console.log(`  dashboard:  ${stack.url}/admin/#token=${admin}`);
console.log(`  creator token: ${creator}`);
console.log("\n  Ctrl-C stops everything.");
const stop = async () => {
  await stack.stop();
  process.exit(0);
};
process.on("SIGINT", () => void stop());
process.on("SIGTERM", () => void stop());
