import { env } from "cloudflare:test";
import { eq } from "drizzle-orm";
import { configFrom } from "../../../src/config.ts";
import { withDb } from "../../../src/db/client.ts";
import { mediaItems } from "../../../schema/index.ts";

/** The row in Postgres, waiting on it, and the database's health (the test's own Postgres proxy). */
export async function row(id: string) {
  return withDb(configFrom(env), async (db) => (await db.select().from(mediaItems).where(eq(mediaItems.id, id)))[0] ?? null);
}

/** Polls until `check` passes (the projection is written just after the answer). */
export async function eventually<T>(fn: () => Promise<T>, check: (v: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  let last: T;
  do {
    last = await fn();
    if (check(last)) return last;
    await new Promise((r) => setTimeout(r, 50));
  } while (Date.now() < until);
  return last;
}

export const rowWhen = (id: string, check: (r: NonNullable<Awaited<ReturnType<typeof row>>>) => boolean) =>
  eventually(() => row(id), (r) => !!r && check(r));

/** What the upload service does to delete an item: it sets deletedAt on the row, and nothing else. */
export const softDelete = (id: string) => withDb(configFrom(env), (db) => db.update(mediaItems).set({ deletedAt: new Date() }).where(eq(mediaItems.id, id)));

/** The database up, down (refusing connections) or hanging (connections open, queries never answered). */
export async function setDatabase(state: boolean | "hang") {
  await fetch(`${env.CONTROL_URL}/db/${state === "hang" ? "hang" : state ? "up" : "down"}`);
}
