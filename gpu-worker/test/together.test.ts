import { describe, expect, it } from "vitest";
import { together } from "../src/ffmpeg/together.ts";

/** A task that resolves after `ms` unless stopped, recording how it ended. */
const task = (ms: number, log: string[], name: string, fail = false) => (signal: AbortSignal) =>
  new Promise<string>((resolve, reject) => {
    const t = setTimeout(() => {
      signal.removeEventListener("abort", onStop);
      log.push(`${name} ${fail ? "failed" : "done"}`);
      if (fail) reject(new Error(`${name} broke`));
      else resolve(name);
    }, ms);
    const onStop = () => {
      clearTimeout(t);
      log.push(`${name} stopped`);
      reject(new Error(`${name} stopped`));
    };
    signal.addEventListener("abort", onStop);
  });

describe("together", () => {
  it("answers every result in order", async () => {
    const log: string[] = [];
    expect(await together(undefined, [task(20, log, "a"), task(5, log, "b")])).toEqual(["a", "b"]);
  });

  it("stops the others at the first failure and reports that failure", async () => {
    const log: string[] = [];
    await expect(together(undefined, [task(1000, log, "slow"), task(5, log, "bad", true)])).rejects.toThrow("bad broke");
    expect(log).toEqual(["bad failed", "slow stopped"]);
  });

  it("passes the caller's stop to every task", async () => {
    const log: string[] = [];
    const stop = new AbortController();
    setTimeout(() => stop.abort(), 5);
    await expect(together(stop.signal, [task(1000, log, "a"), task(1000, log, "b")])).rejects.toThrow("a stopped");
    expect(log.sort()).toEqual(["a stopped", "b stopped"]);
  });
});
