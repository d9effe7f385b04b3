import { env } from "cloudflare:test";
import { eventually } from "./postgres.ts";

/** The platform's subscribers: a real receiver (test/support/global-setup.ts) that verifies every delivery. */
export interface ReceivedHook {
  subscriber: "a" | "b";
  id: string;
  timestamp: number;
  verified: boolean;
  type: string | null;
  mediaId: string | null;
  answered: number;
  body: string;
}

/** What the receiver recorded for this item (every try, in arrival order), verified there with the `standardwebhooks` library. */
export async function receivedHooks(mediaId: string): Promise<ReceivedHook[]> {
  return (await fetch(`${env.CONTROL_URL}/hooks/received?mediaId=${mediaId}`)).json();
}

/** Subscriber `b`, for one creator's items: up, down (connections dropped), failing (500) or losing its first acknowledgement of each message. */
export async function setSubscriber(creatorId: string, mode: "up" | "down" | "fail" | "ack-lost-once") {
  await fetch(`${env.CONTROL_URL}/hooks/mode?subscriber=b&mode=${mode}&creatorId=${creatorId}`);
}

/** Waits until the subscriber has acknowledged these event types for the item (in any order), then returns what it received. */
export async function hooksWhen(mediaId: string, subscriber: "a" | "b", types: string[], timeoutMs = 15_000): Promise<ReceivedHook[]> {
  const acked = (hooks: ReceivedHook[]) => hooks.filter((h) => h.subscriber === subscriber && h.answered < 300);
  const got = await eventually(
    () => receivedHooks(mediaId),
    (hooks) => types.every((t) => acked(hooks).some((h) => h.type === t)),
    timeoutMs,
  );
  return got.filter((h) => h.subscriber === subscriber);
}
