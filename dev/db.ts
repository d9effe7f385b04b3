import { Client, neonConfig } from "@neondatabase/serverless";
import { drizzle } from "drizzle-orm/neon-serverless";
import { migrate } from "drizzle-orm/neon-serverless/migrator";
import { fileURLToPath } from "node:url";
import WebSocket from "ws";

const MIGRATIONS = fileURLToPath(new URL("../schema/migrations", import.meta.url));

/** Points the Neon driver (in Node) at a local WebSocket proxy, as the Worker does with DB_WS_PROXY. */
export function useLocalProxy(proxyAddress: string): void {
  neonConfig.webSocketConstructor = WebSocket;
  neonConfig.wsProxy = (host, port) => `${proxyAddress}/v2?address=${host}:${port}`;
  neonConfig.useSecureWebSocket = false;
  neonConfig.pipelineTLS = false;
  neonConfig.pipelineConnect = false;
}

/** Runs `fn` with a connected client and always closes it. */
export async function withClient<T>(databaseUrl: string, fn: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: databaseUrl });
  client.on("error", () => {});
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** Applies the committed drizzle-kit migrations. */
export async function applyMigrations(databaseUrl: string): Promise<void> {
  await withClient(databaseUrl, (client) => migrate(drizzle({ client }), { migrationsFolder: MIGRATIONS }));
}
