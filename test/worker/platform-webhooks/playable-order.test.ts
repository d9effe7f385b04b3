import { describe, expect, it } from "vitest";
import type { LifecycleEvent } from "../../../src/machine/index.ts";
import { platformEventsFor } from "../../../src/objects/webhook-outbox.ts";
import type { LifecycleRecord } from "../../../src/objects/record.ts";

const AT = 1_700_000_000_000;
const attemptId = "aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa";
/** Only what platformEventsFor reads of an event: its type. */
const sampleEvent = (type: "PROGRESS" | "COMPLETED" | "FAILED") => ({ type }) as LifecycleEvent;
/** Only what it reads of a record: the state, the attempt and when it became playable. */
const snapshotIn = (_state: string, c: { playableAt: number | null }) => ({ context: { attemptId, playableAt: c.playableAt } });

/** `media.playable` is told once per attempt, always before `media.ready`. */
const rec = (value: LifecycleRecord["value"], playableAt: number | null, version = 1): LifecycleRecord =>
  ({ value, context: snapshotIn(value, { playableAt }).context, version }) as unknown as LifecycleRecord;
const progress = sampleEvent("PROGRESS") as LifecycleEvent;

describe("media.playable", () => {
  it("goes out when the attempt becomes playable, once", () => {
    expect(platformEventsFor(rec("transcoding", null), rec("transcoding", AT), progress, AT, AT + 1)).toEqual(["media.playable"]);
    // Already playable: progress as usual (throttled), no second media.playable.
    expect(platformEventsFor(rec("transcoding", AT), rec("transcoding", AT), progress, null, AT + 1)).toEqual(["media.progress"]);
  });
  it("comes before media.ready, also for an item ready without having been playable", () => {
    expect(platformEventsFor(rec("transcoding", null), rec("ready", AT), sampleEvent("COMPLETED"), null, AT)).toEqual(["media.playable", "media.ready"]);
    expect(platformEventsFor(rec("transcoding", AT), rec("ready", AT), sampleEvent("COMPLETED"), null, AT)).toEqual(["media.ready"]);
  });
  it("a failure after playable says media.failed only", () => {
    expect(platformEventsFor(rec("transcoding", AT), rec("failed", AT), sampleEvent("FAILED"), null, AT)).toEqual(["media.failed"]);
  });
});
