export * from "./media-items.ts";
