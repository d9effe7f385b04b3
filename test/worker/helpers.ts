/** Everything the Workers tests share, one module per concern under ./support/. */
export * from "./support/api.ts";
export * from "./support/buckets.ts";
export * from "./support/callbacks.ts";
export * from "./support/items.ts";
export * from "./support/object.ts";
export * from "./support/postgres.ts";
export * from "./support/runpod.ts";
export * from "./support/subscribers.ts";
