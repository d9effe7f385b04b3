import { stat } from "node:fs/promises";
import { refusePlaylists } from "./containers.ts";
import { PipelineError } from "./errors.ts";
import { runTool, ToolFailed } from "./ffmpeg/spawn.ts";
import { admit, type Limits } from "./probe/admit.ts";
import { probeArgs } from "./probe/args.ts";
import { parseProbe, type ProbeJson } from "./probe/parse.ts";
import type { MediaInfo } from "./probe/types.ts";

export type * from "./probe/types.ts";
export { MAX_PIXELS } from "./probe/admit.ts";

export interface ProbeOptions extends Limits {
  signal?: AbortSignal;
  timeoutMs?: number;
}

/**
 * Reads the original with ffprobe and decides whether the job takes it: the file is there and not
 * empty, is no playlist, is a media container FFmpeg reads, and is within the limits.
 * Argument building, parsing and admission are the pure ./probe/ modules.
 */
export async function probe(input: string, opts: ProbeOptions): Promise<MediaInfo> {
  const st = await stat(input).catch(() => null);
  if (!st) throw new PipelineError("INPUT_NOT_FOUND", `The input file ${input} does not exist`);
  if (st.size === 0) throw new PipelineError("INPUT_UNREADABLE", "The input file is empty (0 bytes): the upload did not complete");
  // Before FFmpeg sees it: a playlist is refused with a message that says so.
  await refusePlaylists(input);

  let json: ProbeJson;
  try {
    const { stdout } = await runTool("ffprobe", probeArgs(input), { signal: opts.signal, timeoutMs: opts.timeoutMs ?? 60_000 });
    json = JSON.parse(stdout);
  } catch (error) {
    if (error instanceof ToolFailed && error.reason === "aborted") throw error;
    const detail = error instanceof ToolFailed ? error.stderrTail.trim().split("\n").at(-1) : (error as Error).message;
    throw new PipelineError("INPUT_UNREADABLE", `The file is not a media file FFmpeg can read (${detail}); upload it again or export it as MP4`, false, { cause: error });
  }
  return admit(parseProbe(json), opts);
}
