import { itemPrefixes } from "../contract/index.ts";
import type { LifecycleEvent } from "../machine/index.ts";
import { enqueue, type OutboxState, type RetryPolicy } from "./outbox.ts";
import type { LifecycleRecord } from "./record.ts";

/**
 * The deletion's outbox: once an item is deleted through the API it owes Postgres its deletedAt
 * and each bucket the removal of its files. Kept like any outbox, so a deletion that is
 * interrupted (a crash, storage down) is finished by the alarm; a folder is listed afresh each
 * time, so a large tree resumes where it stopped.
 */
export const PURGE_KEY = "outbox:purge";

export type PurgeTask = { kind: "row" } | { kind: "prefix"; bucket: "media" | "archive"; prefix: string };

export const PURGE_RETRY: RetryPolicy = { baseMs: 1_000, maxMs: 300_000, giveUpAfterMs: null };

/** The tasks of a deletion, queued by the transition that deletes (not by a soft delete from the row: that keeps the files). */
export function purgeAfter(state: OutboxState<PurgeTask> | undefined, prev: LifecycleRecord, next: LifecycleRecord, event: LifecycleEvent, at: number, archive: boolean): OutboxState<PurgeTask> | undefined {
  if (event.type !== "DELETE" || next.value !== "deleted" || prev.value === "deleted") return state;
  const { media, archive: archived } = itemPrefixes(next.context.creatorId, next.context.mediaId);
  const tasks: PurgeTask[] = [
    { kind: "row" },
    ...media.map((prefix) => ({ kind: "prefix" as const, bucket: "media" as const, prefix })),
    ...(archive ? archived.map((prefix) => ({ kind: "prefix" as const, bucket: "archive" as const, prefix })) : []),
  ];
  return enqueue(
    state,
    tasks.map((t, i) => ({ id: `purge-${i}`, lane: t.kind === "row" ? "postgres" : t.bucket, payload: t, nextAt: at + 5_000 })),
    at,
  );
}

/** Whether anything of the deletion is still to do. */
export const purgeDone = (state: OutboxState<PurgeTask> | undefined) => !state?.entries.length;
