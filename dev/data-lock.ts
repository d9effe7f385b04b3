import { closeSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";
import { join } from "node:path";

/**
 * One stack per data directory: two would open the same PGlite files and corrupt them. The lock
 * is a file holding the owner's pid; one whose process is gone (a crash, a kill -9) is taken over.
 * Answers the release function.
 */
export function lockDataDir(dataDir: string): () => void {
  const path = join(dataDir, "stack.lock");
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, "wx");
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => rmSync(path, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const pid = Number(readFileSync(path, "utf8").trim());
      if (pid && alive(pid)) {
        throw new Error(`${dataDir} is in use by another local stack (pid ${pid}): stop it first, or give this one another data directory`);
      }
      rmSync(path, { force: true }); // stale: its process is gone
    }
  }
  throw new Error(`could not lock ${dataDir}`);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
