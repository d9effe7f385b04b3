export * from "./lifecycle.ts";
export * from "./types.ts";
