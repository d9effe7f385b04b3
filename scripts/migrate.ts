/**
 * `npm run db:migrate`: applies the committed migrations to the Postgres that DATABASE_URL names,
 * through the same WebSocket path the Worker uses (an in-process proxy).
 */
import { applyMigrations, useLocalProxy } from "../dev/db.ts";
import { startWsProxy, targetOf } from "../dev/ws-proxy.ts";

const url = process.env.DATABASE_URL;
if (!url) {
  console.error("DATABASE_URL is not set. `npm start` migrates the embedded database by itself.");
  process.exit(2);
}
const proxy = await startWsProxy({ target: targetOf(url) });
useLocalProxy(proxy.address);
try {
  await applyMigrations(url);
  console.log("migrations applied");
} finally {
  await proxy.close();
}
