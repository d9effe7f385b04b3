import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { lockDataDir } from "../../dev/data-lock.ts";

describe("one local stack per data directory", () => {
  it("refuses a second stack while the first holds the directory, and frees it on release", () => {
    const dir = mkdtempSync(join(tmpdir(), "lock-"));
    const release = lockDataDir(dir);
    expect(() => lockDataDir(dir)).toThrow(`in use by another local stack (pid ${process.pid})`);
    release();
    expect(existsSync(join(dir, "stack.lock"))).toBe(false);
    lockDataDir(dir)();
  });

  it("takes over a lock whose process is gone", () => {
    const dir = mkdtempSync(join(tmpdir(), "lock-"));
    const gone = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" }).stdout;
    writeFileSync(join(dir, "stack.lock"), gone);
    const release = lockDataDir(dir);
    expect(existsSync(join(dir, "stack.lock"))).toBe(true);
    release();
  });
});
