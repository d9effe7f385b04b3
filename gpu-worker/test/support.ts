import { execFileSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setCommandLogger } from "../src/ffmpeg/spawn.ts";
import { DEFAULTS, runPipeline, type PipelineJob } from "../src/pipeline.ts";

setCommandLogger(() => {});
const DIR = join(process.cwd(), "test/.fixtures");

function ffmpeg(args: string[]) {
  execFileSync("ffmpeg", ["-hide_banner", "-loglevel", "error", "-y", ...args], { stdio: ["ignore", "ignore", "inherit"] });
}

const tone = (seconds: number) => ["-f", "lavfi", "-i", `sine=f=440:r=48000:d=${seconds}`];
const pattern = (w: number, h: number, seconds: number, rate = 30) => ["-f", "lavfi", "-i", `testsrc2=s=${w}x${h}:r=${rate}:d=${seconds}`];
const h264 = ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"];

/** Small real media made by FFmpeg, cached per name for the run. */
const RECIPES: Record<string, (out: string) => void> = {
  "hd.mp4": (o) => ffmpeg([...pattern(1920, 1080, 7), ...tone(7), ...h264, "-c:a", "aac", "-shortest", o]),
  "small.mp4": (o) => ffmpeg([...pattern(640, 360, 13), ...tone(13), ...h264, "-c:a", "aac", "-shortest", o]),
  "portrait.mp4": (o) => ffmpeg([...pattern(720, 1280, 3), ...tone(3), ...h264, "-c:a", "aac", "-shortest", o]),
  "rotated.mp4": (o) => {
    const plain = `${o}.plain.mp4`;
    ffmpeg([...pattern(1280, 720, 3), ...tone(3), ...h264, "-c:a", "aac", "-shortest", plain]);
    // The display matrix is only written when stream-copying (FFmpeg 5.1).
    ffmpeg(["-i", plain, "-c", "copy", "-metadata:s:v", "rotate=90", o]);
    rmSync(plain);
  },
  "silent.mp4": (o) => ffmpeg([...pattern(640, 360, 3), ...h264, o]),
  "odd.mp4": (o) => ffmpeg([...pattern(641, 361, 2), ...tone(2), "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv444p", "-c:a", "aac", "-shortest", o]),
  "tenbit.mkv": (o) => ffmpeg([...pattern(640, 360, 2), ...tone(2), "-c:v", "ffv1", "-pix_fmt", "yuv420p10le", "-c:a", "flac", "-shortest", o]),
  // HDR10: 10-bit HEVC tagged PQ / BT.2020, as phones record it.
  "hdr.mkv": (o) =>
    ffmpeg([...pattern(640, 360, 2), ...tone(2), "-vf", "format=yuv420p10le", "-c:v", "libx265", "-preset", "ultrafast", "-x265-params", "log-level=error",
      "-color_primaries", "bt2020", "-color_trc", "smpte2084", "-colorspace", "bt2020nc", "-c:a", "aac", "-shortest", o]),
  // Variable frame rate: every third frame dropped, timestamps kept (30 fps nominal, 20 fps average, uneven gaps), in MP4 as phones write it.
  "vfr.mp4": (o) =>
    ffmpeg([...pattern(640, 360, 4), ...tone(4), "-vf", "select='not(eq(mod(n\\,3)\\,2))'", "-fps_mode", "vfr", ...h264, "-c:a", "aac", "-shortest", o]),
  "one-second.mp4": (o) => ffmpeg([...pattern(640, 360, 1), ...tone(1), ...h264, "-c:a", "aac", "-shortest", o]),
  // A 220 Hz sine at exactly half of full scale.
  "voice.m4a": (o) => ffmpeg(["-f", "lavfi", "-i", "aevalsrc=0.5*sin(2*PI*220*t):s=44100:d=12", "-af", "aformat=channel_layouts=stereo", "-c:a", "aac", o]),
  // 50 s of a 440 Hz tone (stereo, 48 kHz, lossless): long enough for two 24 s-aligned chunks.
  "tone-50s.flac": (o) => ffmpeg(["-f", "lavfi", "-i", "aevalsrc=0.4*sin(2*PI*440*t):s=48000:d=50", "-af", "aformat=channel_layouts=stereo", "-c:a", "flac", o]),
  // 50 s at 44.1 kHz of a gliding tone (left) and a 523 Hz tone (right): a chunk whose samples
  // were shifted against the one before it cannot match a one-process encode of this.
  // 75 s at 44.1 kHz in four parts for loudness gating and range: quiet noise, a −12 dB tone, a
  // hard-edged square wave (its true peak lies between samples), near silence.
  "levels-75s-44k.flac": (o) =>
    ffmpeg([
      "-f", "lavfi", "-i",
      "aevalsrc=if(lt(t\\,20)\\,0.03*(random(0)*2-1)\\,if(lt(t\\,40)\\,0.25*sin(2*PI*440*t)\\,if(lt(t\\,60)\\,0.6*sgn(sin(2*PI*997*t))\\,0.001*sin(2*PI*200*t)))):s=44100:d=75",
      "-af", "aformat=channel_layouts=stereo", "-c:a", "flac", o,
    ]),
  // 80 s of quiet speech-like noise and tone with a loud blip every 7 s: raising it to −16 LUFS
  // would push the blips over −1.5 dBTP, so it is normalised dynamically (loudnorm).
  "peaky-80s.flac": (o) =>
    ffmpeg([
      "-f", "lavfi", "-i",
      "aevalsrc=0.02*sin(2*PI*220*t)+0.02*(random(0)*2-1)+if(lt(mod(t\\,7)\\,0.01)\\,0.9*sin(2*PI*1000*t)\\,0):s=48000:d=80",
      "-af", "aformat=channel_layouts=stereo", "-c:a", "flac", o,
    ]),
  "sweep-50s-44k.flac": (o) => ffmpeg(["-f", "lavfi", "-i", "aevalsrc=0.4*sin(2*PI*(300+200*sin(2*PI*0.1*t))*t)|0.3*sin(2*PI*523*t):s=44100:d=50", "-c:a", "flac", o]),
  "truncated.mp4": (o) => {
    const whole = `${o}.whole.mp4`;
    ffmpeg([...pattern(640, 360, 3), ...h264, whole]);
    const bytes = readFileSync(whole);
    // The moov atom is at the end without faststart: half a file has no index.
    writeFileSync(o, bytes.subarray(0, Math.floor(bytes.length / 2)));
    rmSync(whole);
  },
  "random.mp4": (o) => writeFileSync(o, Buffer.from(Array.from({ length: 65536 }, (_, i) => (i * 7919 + 13) % 251))),
  "empty.mp4": (o) => writeFileSync(o, Buffer.alloc(0)),
};

export function fixture(name: keyof typeof RECIPES | string): string {
  mkdirSync(DIR, { recursive: true });
  const path = join(DIR, name);
  if (!existsSync(path)) RECIPES[name]!(path);
  return path;
}

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), "tx-"));
}

export function jobFor(input: string, overrides: Partial<PipelineJob> = {}): PipelineJob {
  return {
    input,
    outDir: tempDir(),
    creatorId: randomUUID(),
    mediaId: randomUUID(),
    attemptId: randomUUID(),
    mediaType: "video",
    ...DEFAULTS,
    encoder: "x264",
    archive: true,
    ...overrides,
  };
}

export const transcode = (input: string, overrides: Partial<PipelineJob> = {}) => {
  const job = jobFor(input, overrides);
  return runPipeline(job).then((r) => ({ ...r, job, path: (key: string) => join(job.outDir, key) }));
};

export function ffprobeJson(path: string, extra: string[] = []): any {
  return JSON.parse(
    execFileSync("ffprobe", ["-v", "error", "-print_format", "json", "-show_format", "-show_streams", ...extra, path], { encoding: "utf8" }),
  );
}

/** The first frame of a segment, with its type. */
export function firstFrameIsKey(segment: string): boolean {
  const out = execFileSync(
    "ffprobe",
    ["-v", "error", "-select_streams", "v:0", "-read_intervals", "%+#1", "-show_entries", "frame=key_frame,pict_type", "-of", "csv=p=0", segment],
    { encoding: "utf8" },
  );
  return out.trim().split("\n")[0]!.startsWith("1");
}

export function mediaPlaylist(path: string): { uri: string; duration: number }[] {
  const lines = readFileSync(path, "utf8").split("\n");
  const out: { uri: string; duration: number }[] = [];
  let d = 0;
  for (const l of lines) {
    const m = /^#EXTINF:([\d.]+)/.exec(l);
    if (m) d = Number(m[1]);
    else if (l && !l.startsWith("#")) out.push({ uri: l, duration: d });
  }
  return out;
}
