import { jobInput } from "../contract/index.ts";
import { stuckJobBudgetMs, type Config } from "../config.ts";
import { DispatchError, type Dispatcher } from "../clients/runpod.ts";
import { timed } from "../log.ts";
import type { Effect, LifecycleEvent } from "../machine/index.ts";
import type { CreatorObject } from "./creator-object.ts";
import { idsOf, type LifecycleRecord } from "./record.ts";

export interface EffectDeps {
  config: Config;
  dispatcher: Dispatcher;
  creator(rec: LifecycleRecord): DurableObjectStub<CreatorObject>;
  /** Work that need not hold up the answer. */
  background(work: Promise<unknown>): void;
}

/**
 * One handler per effect the machine names, run after the transition is persisted. A handler
 * may answer with the event its outcome means (a dispatch's DISPATCHED): the object applies it
 * as the next transition, so no handler calls back into the object.
 */
export type EffectTable = { [K in Effect["type"]]: (rec: LifecycleRecord, params: Extract<Effect, { type: K }>["params"]) => Promise<LifecycleEvent | void> };

export function effectTable(deps: EffectDeps): EffectTable {
  return {
    dispatchJob: (rec, { attemptId }) => dispatch(deps, rec, attemptId),
    cancelJob: async (rec, { jobId }) => {
      if (!jobId) return;
      // Best effort: the attempt is already over here, and its late callbacks will be ignored.
      await timed("runpod.cancel", { ...idsOf(rec), cancelledJobId: jobId }, () => deps.dispatcher.cancel(jobId)).catch(() => {});
    },
    // Not on the answer's path: the creator's counter learns of it just after.
    releaseJobSlot: async (rec, { attemptId, refund }) => deps.background(releaseSlot(deps, rec, attemptId, refund)),
  };
}

/** Gives a creator's job slot back. Best effort: a slot never released expires with its lease in the creator's object. */
export async function releaseSlot(deps: EffectDeps, rec: LifecycleRecord, attemptId: string, refund: boolean): Promise<void> {
  await timed("creator.release", { ...idsOf(rec), releasedAttemptId: attemptId, refund }, () => deps.creator(rec).releaseJob(attemptId, refund)).catch(() => {});
}

async function dispatch(deps: EffectDeps, rec: LifecycleRecord, attemptId: string): Promise<LifecycleEvent> {
  const c = rec.context;
  // RunPod's own limit: it cannot know the duration either, so it gets the budget of an assumed length.
  const budget = stuckJobBudgetMs(deps.config, c.durationSeconds);
  try {
    const input = jobInput.parse({
      contractVersion: 1,
      mediaId: c.mediaId,
      creatorId: c.creatorId,
      mediaType: c.mediaType,
      attemptId,
      inputKey: c.inputKey,
      webhookUrl: deps.config.webhookUrl,
    });
    const { jobId } = await timed(
      "runpod.run",
      idsOf(rec),
      () => deps.dispatcher.run(input, { executionTimeoutMs: budget, ttlMs: budget + deps.config.stuckJob.queueCeilingSeconds * 1000 }),
      (r) => ({ jobId: r.jobId }),
    );
    return { type: "DISPATCHED", attemptId, jobId };
  } catch (error) {
    const message = (error as Error).message;
    // No answer is not a refusal: RunPod may hold the job. Keep the attempt; its callbacks will tell.
    return error instanceof DispatchError && error.ambiguous ? { type: "DISPATCH_UNCONFIRMED", attemptId, message } : { type: "DISPATCH_FAILED", attemptId, message };
  }
}
