import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import type { Readable } from "node:stream";

/** Every child we start, so that a stop or a shutdown can kill them all. */
const live = new Set<import("node:child_process").ChildProcess>();
export function killAllChildren(): void {
  for (const child of live) child.kill("SIGKILL");
}

/** Quotes an argument for display only: the command is never run through a shell. */
export function quoteArg(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

export type Logger = (line: string) => void;
let logger: Logger = (line) => process.stderr.write(`${line}\n`);
export function setCommandLogger(fn: Logger): void {
  logger = fn;
}

export interface RunOptions {
  signal?: AbortSignal;
  /** Wall-clock limit; the child is killed past it. */
  timeoutMs?: number;
  /** Gets stdout as it comes; when absent, stdout is collected and returned. */
  onStdout?: (chunk: Buffer) => void;
  onStderrLine?: (line: string) => void;
  /** Hands the child's stdout stream over (for piping PCM); disables collection. */
  takeStdout?: (stream: Readable) => void;
}

export interface RunResult {
  stdout: string;
  /** The last 8 KiB of stderr, for error messages. */
  stderrTail: string;
  ms: number;
}

export class ToolFailed extends Error {
  constructor(
    readonly tool: string,
    readonly exitCode: number | null,
    readonly stderrTail: string,
    readonly reason: "exit" | "timeout" | "aborted" | "spawn",
  ) {
    super(`${tool} ${reason === "exit" ? `exited with ${exitCode}` : reason}: ${lastLines(stderrTail, 3)}`);
    this.name = reason === "aborted" ? "AbortError" : "ToolFailed";
  }
}

function lastLines(text: string, n: number): string {
  return text.trim().split("\n").slice(-n).join(" | ");
}

/**
 * The most data memory (RLIMIT_DATA: heap and private writable mappings) one FFmpeg child may
 * take, so that a crafted input that gets past the probe's pixel limit fails its own job instead
 * of taking the machine. Applied with util-linux's `prlimit` (it execs the tool, no shell); null
 * or no prlimit on the machine: unbounded. CUDA's address-space reservations are not data
 * mappings, so the limit does not stop NVENC.
 */
let memoryLimitBytes: number | null = null;
const PRLIMIT = ["/usr/bin/prlimit", "/bin/prlimit"].find((p) => existsSync(p)) ?? null;
export function setMemoryLimit(bytes: number | null): void {
  memoryLimitBytes = bytes;
}
export const memoryLimit = () => (PRLIMIT ? memoryLimitBytes : null);

/**
 * What FFmpeg prints when an allocation is refused: by its allocators, by a decoder's frame pool,
 * or (EAGAIN) when a thread's stack cannot be mapped. Read as memory only under a limit.
 */
export const OUT_OF_MEMORY = /Cannot allocate memory|Could not allocate|malloc of size \d+ failed|Out of memory|get_buffer\(\) failed|Resource temporarily unavailable/i;

/** Runs ffmpeg or ffprobe with an argument list (never `sh -c`), logging the quoted command. */
export function runTool(tool: "ffmpeg" | "ffprobe", args: string[], opts: RunOptions = {}): Promise<RunResult> {
  const started = Date.now();
  const limit = memoryLimit();
  const [file, argv] = limit ? [PRLIMIT!, [`--data=${limit}`, "--", tool, ...args]] : [tool, args];
  logger(`$ ${[file, ...argv].map(quoteArg).join(" ")}`);
  return new Promise((resolve, reject) => {
    if (opts.signal?.aborted) return reject(new ToolFailed(tool, null, "", "aborted"));
    const child = spawn(file, argv, { stdio: ["ignore", "pipe", "pipe"] });
    live.add(child);
    const out: Buffer[] = [];
    let stderrTail = "";
    let partial = "";
    let reason: "exit" | "timeout" | "aborted" | "spawn" = "exit";

    if (opts.takeStdout) opts.takeStdout(child.stdout);
    else child.stdout.on("data", (chunk: Buffer) => (opts.onStdout ? opts.onStdout(chunk) : out.push(chunk)));
    child.stderr.on("data", (chunk: Buffer) => {
      const text = chunk.toString("utf8");
      stderrTail = (stderrTail + text).slice(-8192);
      if (opts.onStderrLine) {
        const lines = (partial + text).split("\n");
        partial = lines.pop() ?? "";
        for (const l of lines) opts.onStderrLine(l);
      }
    });
    const kill = (why: "timeout" | "aborted") => {
      reason = why;
      child.kill("SIGKILL");
    };
    const timer = opts.timeoutMs ? setTimeout(() => kill("timeout"), opts.timeoutMs) : null;
    const onAbort = () => kill("aborted");
    opts.signal?.addEventListener("abort", onAbort, { once: true });

    child.on("error", (err) => {
      reason = "spawn";
      stderrTail += `\n${err.message}`;
    });
    child.on("close", (code) => {
      live.delete(child);
      if (timer) clearTimeout(timer);
      opts.signal?.removeEventListener("abort", onAbort);
      if (partial && opts.onStderrLine) opts.onStderrLine(partial);
      if (code === 0 && reason === "exit") {
        resolve({ stdout: Buffer.concat(out).toString("utf8"), stderrTail, ms: Date.now() - started });
      } else {
        reject(new ToolFailed(tool, code, stderrTail, reason));
      }
    });
  });
}

/** Flags every FFmpeg run starts with: quiet banner, no stdin, local files only, bounded probing. */
export function baseInputFlags(): string[] {
  return [
    "-hide_banner",
    "-nostdin",
    ...inputLimits(),
  ];
}

/** What every FFmpeg and ffprobe input is held to. */
export function inputLimits(): string[] {
  return [
    // Only local files and pipes: a crafted playlist or concat file cannot reach the network.
    "-protocol_whitelist", "file,pipe",
    // Bounded probing: a hostile header cannot make the probe read gigabytes.
    "-probesize", "50M",
    "-analyzeduration", "20M",
  ];
}
