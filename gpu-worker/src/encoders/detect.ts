import { runTool, ToolFailed } from "../ffmpeg/spawn.ts";
import { nvenc } from "./nvenc.ts";
import { x264 } from "./x264.ts";
import type { VideoEncoder } from "./types.ts";

export type EncoderChoice = "auto" | "nvenc" | "x264";

/** The arguments of the probe encode: one tiny frame through NVENC, nothing written. */
export function nvencProbeArgs(): string[] {
  return [
    "-hide_banner", "-nostdin",
    "-loglevel", "error",
    // A synthetic 256×256 frame: no input file needed.
    "-f", "lavfi", "-i", "color=c=black:s=256x256:d=0.1",
    "-frames:v", "1",
    "-c:v", "h264_nvenc",
    "-f", "null", "-",
  ];
}

let cached: Promise<boolean> | null = null;

/**
 * Whether an NVENC session really opens. Debian's FFmpeg lists h264_nvenc on every machine, and
 * GPUs without NVENC (A100, H100) have CUDA but fail here, so only a real encode tells.
 */
export function nvencAvailable(): Promise<boolean> {
  cached ??= runTool("ffmpeg", nvencProbeArgs(), { timeoutMs: 20_000 }).then(
    () => true,
    () => false,
  );
  return cached;
}

export async function chooseEncoder(choice: EncoderChoice): Promise<VideoEncoder> {
  if (choice === "x264") return x264;
  const available = await nvencAvailable();
  if (choice === "nvenc" && !available) throw new Error("NVENC was requested but no NVENC session can be opened on this machine");
  return available ? nvenc : x264;
}

/**
 * Runs an encode with the encoder chosen, and once more on the CPU if an NVENC session fails
 * mid-encode (a busy or faulty GPU); a failure of any other kind, or of libx264, is thrown.
 * Answers the encoder that finished it.
 */
export async function encodeWithFallback(encoder: VideoEncoder, encode: (e: VideoEncoder) => Promise<unknown>, log?: (line: string) => void): Promise<VideoEncoder> {
  try {
    await encode(encoder);
    return encoder;
  } catch (error) {
    if (encoder.name !== "h264_nvenc" || (error instanceof ToolFailed && error.reason !== "exit")) throw error;
    log?.(`NVENC failed (${(error as Error).message}); falling back to libx264`);
    await encode(x264);
    return x264;
  }
}
