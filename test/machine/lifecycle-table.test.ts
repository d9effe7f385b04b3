import { describe, expect, it } from "vitest";
import type { LifecycleEvent, LifecycleState } from "../../src/machine/index.ts";
import { sampleEvent, snapshotIn } from "./fixtures.ts";
import { outcomeOf } from "./outcome.ts";

type Expect = string; // "→state [effects]" | "ignored" | "refused CODE"

const EVENTS: LifecycleEvent["type"][] = [
  "UPLOAD_COMPLETE", "TRIGGER", "DISPATCHED", "DISPATCH_FAILED", "DISPATCH_UNCONFIRMED", "PROGRESS", "COMPLETED", "FAILED", "TIMEOUT", "CANCEL", "RETRY", "DELETED", "DELETE", "PLANNED", "CHUNK", "REST_COMPLETED", "PUBLISHED", "TOUCH_UP", "INGEST",
];

/** design.md §4, every (state, event) pair, with the owner (or an admin for CANCEL) acting. Leaving `transcoding` always gives the creator's job slot back (releaseJobSlot, the state's exit). */
const TABLE: Record<LifecycleState, Record<LifecycleEvent["type"], Expect>> = {
  // No attempt exists yet, so any callback belongs to another attempt: acknowledged, not applied.
  uploading: {
    UPLOAD_COMPLETE: "→uploaded", TRIGGER: "refused INVALID_STATE", DISPATCHED: "ignored", DISPATCH_FAILED: "ignored", DISPATCH_UNCONFIRMED: "ignored", DELETED: "→deleted", DELETE: "→deleted",
    PROGRESS: "ignored", COMPLETED: "ignored", FAILED: "ignored",
    TIMEOUT: "ignored", CANCEL: "refused INVALID_STATE", RETRY: "refused NOT_RETRIABLE",
    PLANNED: "ignored", CHUNK: "ignored", REST_COMPLETED: "ignored", PUBLISHED: "ignored",
    // A touch-up (a new poster frame, downloads) is for a ready item only; an ingest from a URL for an item still waiting for its original.
    TOUCH_UP: "refused INVALID_STATE", INGEST: "→uploading ingestEffects",
  },
  uploaded: {
    UPLOAD_COMPLETE: "refused INVALID_STATE", TRIGGER: "→transcoding dispatchJob", DISPATCHED: "ignored", DISPATCH_FAILED: "ignored", DISPATCH_UNCONFIRMED: "ignored", DELETED: "→deleted", DELETE: "→deleted",
    PROGRESS: "ignored", COMPLETED: "ignored", FAILED: "ignored",
    TIMEOUT: "ignored", CANCEL: "refused INVALID_STATE", RETRY: "refused NOT_RETRIABLE",
    PLANNED: "ignored", CHUNK: "ignored", REST_COMPLETED: "ignored", PUBLISHED: "ignored",
    TOUCH_UP: "refused INVALID_STATE", INGEST: "refused INVALID_STATE",
  },
  transcoding: {
    UPLOAD_COMPLETE: "refused INVALID_STATE", TRIGGER: "refused INVALID_STATE", DISPATCHED: "→transcoding",
    DISPATCH_FAILED: "→uploaded releaseJobSlot", DISPATCH_UNCONFIRMED: "→transcoding", DELETED: "→deleted releaseJobSlot cancelJob", DELETE: "→deleted releaseJobSlot cancelJob", PROGRESS: "→transcoding", COMPLETED: "→ready releaseJobSlot", FAILED: "→failed releaseJobSlot",
    TIMEOUT: "→failed releaseJobSlot cancelJob", CANCEL: "→failed releaseJobSlot cancelJob", RETRY: "refused NOT_RETRIABLE",
    // Planned: the first chunk jobs go out; a chunk or the whole-file work without a split in flight is acknowledged.
    PLANNED: "→transcoding fanoutEffects", CHUNK: "ignored", REST_COMPLETED: "ignored", PUBLISHED: "ignored",
    TOUCH_UP: "refused INVALID_STATE", INGEST: "refused INVALID_STATE",
  },
  ready: {
    UPLOAD_COMPLETE: "refused INVALID_STATE", TRIGGER: "refused INVALID_STATE", DISPATCHED: "ignored", DISPATCH_FAILED: "ignored", DISPATCH_UNCONFIRMED: "ignored", DELETED: "→deleted", DELETE: "→deleted",
    PROGRESS: "refused INVALID_STATE", COMPLETED: "refused INVALID_STATE", FAILED: "refused INVALID_STATE",
    TIMEOUT: "ignored", CANCEL: "refused INVALID_STATE", RETRY: "refused NOT_RETRIABLE",
    PLANNED: "refused INVALID_STATE", CHUNK: "ignored", REST_COMPLETED: "refused INVALID_STATE", PUBLISHED: "ignored",
    // Stays ready; its job goes out.
    TOUCH_UP: "→ready touchUpEffects", INGEST: "refused INVALID_STATE",
  },
  failed: {
    UPLOAD_COMPLETE: "refused INVALID_STATE", TRIGGER: "refused INVALID_STATE", DISPATCHED: "ignored", DISPATCH_FAILED: "ignored", DISPATCH_UNCONFIRMED: "ignored", DELETED: "→deleted", DELETE: "→deleted",
    PROGRESS: "refused INVALID_STATE", COMPLETED: "refused INVALID_STATE", FAILED: "refused INVALID_STATE",
    TIMEOUT: "ignored", CANCEL: "refused INVALID_STATE", RETRY: "→transcoding dispatchJob",
    PLANNED: "refused INVALID_STATE", CHUNK: "ignored", REST_COMPLETED: "refused INVALID_STATE", PUBLISHED: "ignored",
    TOUCH_UP: "refused INVALID_STATE", INGEST: "refused INVALID_STATE",
  },
  // A deleted item exists for nobody: commands answer as for an unknown item, callbacks are acknowledged.
  deleted: {
    UPLOAD_COMPLETE: "refused NOT_FOUND", TRIGGER: "refused NOT_FOUND", DISPATCHED: "ignored", DISPATCH_FAILED: "ignored", DISPATCH_UNCONFIRMED: "ignored",
    PROGRESS: "ignored", COMPLETED: "ignored", FAILED: "ignored", DELETED: "ignored", DELETE: "refused NOT_FOUND",
    TIMEOUT: "ignored", CANCEL: "refused NOT_FOUND", RETRY: "refused NOT_FOUND",
    PLANNED: "ignored", CHUNK: "ignored", REST_COMPLETED: "ignored", PUBLISHED: "ignored",
    TOUCH_UP: "refused NOT_FOUND", INGEST: "refused NOT_FOUND",
  },
};

function describeOutcome(o: ReturnType<typeof outcomeOf>["outcome"]): string {
  if (o.kind === "refused") return `refused ${o.code}`;
  if (o.kind === "ignored") return "ignored";
  return ["→" + o.to, ...o.effects].join(" ");
}

describe("lifecycle table", () => {
  for (const state of Object.keys(TABLE) as LifecycleState[]) {
    for (const type of EVENTS) {
      it(`${state} + ${type} → ${TABLE[state][type]}`, () => {
        const before = snapshotIn(state);
        const { outcome, next } = outcomeOf(before, sampleEvent(type));
        expect(describeOutcome(outcome)).toBe(TABLE[state][type]);
        if (outcome.kind !== "applied") {
          // Refused and ignored events change nothing at all.
          expect(next.value).toBe(before.value);
          expect(next.context).toEqual(before.context);
        }
        // A refusal says what the state is, so a person can act on it.
        if (outcome.kind === "refused" && state !== "deleted") expect(outcome.message).toContain(state);
      });
    }
  }
});
