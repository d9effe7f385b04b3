import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { signPayload, SIGNATURE_HEADER } from "../src/contract/index.ts";

export interface StackInfo {
  url: string;
  secrets: Record<string, string>;
  databaseUrl: string;
  dbWsProxy: string;
  s3Endpoint: string;
}

/**
 * The local stack without a GPU worker, in its own process (PGlite's queries block an event
 * loop): the benchmark's clock then measures the control plane, not its own waiting. `env` goes
 * to the stack (PLATFORM_WEBHOOK_URLS: the benchmark's own subscriber).
 */
export async function startStackProcess(env: Record<string, string> = {}): Promise<{ stack: StackInfo; stop(): Promise<void> }> {
  const child = spawn(process.execPath, ["--import", "tsx", "scripts/dev.ts", "--no-worker", "--json", "--ephemeral", "--port", "0", "--log-level", process.env.LOG_LEVEL ?? "warn"], {
    stdio: ["ignore", "pipe", "inherit"],
    env: { ...process.env, ...env },
  });
  const stack = await new Promise<StackInfo>((resolve, reject) => {
    let buf = "";
    child.stdout!.on("data", (d) => {
      buf += d;
      const line = buf.split("\n").find((l) => l.startsWith("{"));
      if (line) resolve(JSON.parse(line));
    });
    child.once("exit", (code) => reject(new Error(`the stack exited with ${code}`)));
  });
  return {
    stack,
    stop: () =>
      new Promise<void>((resolve) => {
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
      }),
  };
}

/** Plays the GPU worker: one signed callback (fresh eventId, sentAt now); throws unless the object applied it. */
export async function applyCallback(stack: StackInfo, body: Record<string, unknown>): Promise<void> {
  const raw = JSON.stringify({ eventId: randomUUID(), sentAt: new Date().toISOString(), ...body });
  const res = await fetch(`${stack.url}/api/transcoding/webhook`, {
    method: "POST",
    headers: { "content-type": "application/json", "accept-encoding": "identity", [SIGNATURE_HEADER]: await signPayload(stack.secrets.RUNPOD_WEBHOOK_SECRET!, raw) },
    body: raw,
  });
  const answer = (await res.json()) as { outcome?: string };
  if (res.status !== 200 || answer.outcome !== "applied") throw new Error(`callback answered ${res.status} ${JSON.stringify(answer)}`);
}
