/** The contract between the control plane and the GPU worker. Both sides import only this module. */
export * from "./job.ts";
export * from "./callback.ts";
export * from "./signature.ts";
export * from "./keys.ts";
export * from "./backoff.ts";
export * from "./sniff.ts";
export * from "./fanout.ts";
export * from "./playlists.ts";
export * from "./downloads.ts";
export * from "./touch-up.ts";
export * from "./ingest.ts";
