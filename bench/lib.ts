import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";

export const OUT = join(process.cwd(), "bench/out");
mkdirSync(OUT, { recursive: true });

export function ffmpeg(args: string[]): void {
  const r = spawnSync("ffmpeg", ["-hide_banner", "-nostdin", "-loglevel", "error", "-y", ...args], { stdio: ["ignore", "ignore", "inherit"] });
  if (r.status !== 0) throw new Error(`ffmpeg failed: ${args.join(" ")}`);
}

/** Creates `name` under bench/out once; later runs reuse it. */
export function cached(name: string, make: (path: string) => void): string {
  const path = join(OUT, name);
  if (!existsSync(path)) {
    const t = Date.now();
    make(path);
    console.log(`  generated ${name} in ${((Date.now() - t) / 1000).toFixed(1)} s`);
  }
  return path;
}

export async function time<T>(fn: () => Promise<T> | T): Promise<{ value: T; seconds: number }> {
  const t = performance.now();
  const value = await fn();
  return { value, seconds: (performance.now() - t) / 1000 };
}

export function fresh(dir: string): string {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** SSIM of `encoded` against the source scaled (bicubic) to the same size. */
export function ssim(encoded: string, source: string, width: number, height: number): number {
  const r = spawnSync(
    "ffmpeg",
    ["-hide_banner", "-nostdin", "-i", encoded, "-i", source, "-lavfi", `[1:v]scale=${width}:${height}:flags=bicubic[ref];[0:v][ref]ssim`, "-f", "null", "-"],
    { encoding: "utf8" },
  );
  const m = /All:([\d.]+)/.exec(r.stderr);
  if (!m) throw new Error(`no SSIM in output: ${r.stderr.slice(-300)}`);
  return Number(m[1]);
}

export const cpuInfo = () => `${execFileSync("nproc").toString().trim()} cores`;
