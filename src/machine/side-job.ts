import type { LifecycleContext } from "./types.ts";

/**
 * What the item's small jobs beside its lifecycle (a ready item's touch-up, ./touch-up.ts; the
 * copy of an original from a URL, ./ingest.ts) ask of the object, and what one of their steps
 * comes to. Both are pure steps over the context, turned into transitions by one chain
 * (lifecycle.ts `sideJobChain`).
 */
export type SideJobEffect = { type: "dispatch"; id: string } | { type: "cancel"; jobId: string };

export type SideJobResult =
  | { outcome: "refused"; code: "INVALID_STATE" | "INVALID_OUTPUT"; message: string }
  | { outcome: "ignored"; reason: string; effects: SideJobEffect[] }
  | { outcome: "applied"; effects: SideJobEffect[]; context: Partial<LifecycleContext> };
