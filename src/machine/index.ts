export * from "./lifecycle.ts";
export * from "./types.ts";
export * from "./outcome.ts";
export * from "./decide.ts";
