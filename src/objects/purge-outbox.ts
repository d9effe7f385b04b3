import type { ObjectStore } from "../clients/object-store.ts";
import type { Projector } from "../clients/projector.ts";
import { itemPrefixes } from "../contract/index.ts";
import { timed } from "../log.ts";
import type { LifecycleEvent } from "../machine/index.ts";
import { enqueue, type OutboxState, type OutboxUser, type RetryPolicy } from "./outbox.ts";
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

/**
 * The deletion as an outbox user. The row's deletedAt lands before the deletion is answered
 * (lists stop showing the item at once); the files go after, off the answer's path.
 */
export function purgeOutbox(d: { projector: Projector; media: ObjectStore; archive: ObjectStore | null; record(): Promise<LifecycleRecord | undefined> }): OutboxUser<PurgeTask> {
  return {
    name: "purge",
    key: PURGE_KEY,
    policy: PURGE_RETRY,
    logSize: 0,
    triesKept: 1,
    after: (state, t) => purgeAfter(state, t.prev, t.next, t.event, t.at, d.archive !== null),
    beforeAnswer: ["postgres"],
    send: async (entry) => {
      const task = entry.payload;
      const mediaId = (await d.record())?.context.mediaId ?? "";
      if (task.kind === "row") {
        await timed("postgres.mark_deleted", { mediaId }, () => d.projector.markDeleted(mediaId));
      } else {
        const store = task.bucket === "media" ? d.media : d.archive;
        if (store) await timed("s3.delete_prefix", { mediaId, bucket: task.bucket, prefix: task.prefix }, () => store.deletePrefix(task.prefix), (n) => ({ deleted: n }));
      }
      return { ok: true };
    },
  };
}
