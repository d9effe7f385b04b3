import { execFileSync, spawnSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { setCommandLogger } from "../src/ffmpeg/spawn.ts";
import { runFanoutLocally } from "../src/fanout/local.ts";
import { DEFAULTS, runPipeline, type PipelineJob } from "../src/pipeline.ts";

setCommandLogger(() => {});
const DIR = join(process.cwd(), "test/.fixtures");

function ffmpeg(args: string[]) {
  execFileSync("ffmpeg", ["-hide_banner", "-loglevel", "error", "-y", ...args], { stdio: ["ignore", "ignore", "inherit"] });
}

const tone = (seconds: number) => ["-f", "lavfi", "-i", `sine=f=440:r=48000:d=${seconds}`];
const pattern = (w: number, h: number, seconds: number, rate = 30) => ["-f", "lavfi", "-i", `testsrc2=s=${w}x${h}:r=${rate}:d=${seconds}`];
const h264 = ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"];

/** A phone video: stored landscape (w×h), shown turned by `degrees` through its display matrix. */
function rotatedPhone(out: string, w: number, h: number, seconds: number, degrees: 90 | 180 | 270) {
  const plain = `${out}.plain.mp4`;
  ffmpeg([...pattern(w, h, seconds), ...tone(seconds), ...h264, "-c:a", "aac", "-shortest", plain]);
  // The display matrix is only written when stream-copying (FFmpeg 5.1).
  ffmpeg(["-i", plain, "-c", "copy", "-metadata:s:v", `rotate=${degrees}`, out]);
  rmSync(plain);
}

/** Small real media made by FFmpeg, cached per name for the run. */
const RECIPES: Record<string, (out: string) => void> = {
  "hd.mp4": (o) => ffmpeg([...pattern(1920, 1080, 7), ...tone(7), ...h264, "-c:a", "aac", "-shortest", o]),
  "small.mp4": (o) => ffmpeg([...pattern(640, 360, 13), ...tone(13), ...h264, "-c:a", "aac", "-shortest", o]),
  "portrait.mp4": (o) => ffmpeg([...pattern(720, 1280, 3), ...tone(3), ...h264, "-c:a", "aac", "-shortest", o]),
  // A phone held upright: 1080×1920 at 60 fps, and the same stored landscape with a 90° display matrix.
  "portrait-1080.mp4": (o) => ffmpeg([...pattern(1080, 1920, 3, 60), ...tone(3), ...h264, "-c:a", "aac", "-shortest", o]),
  "rotated-1080.mp4": (o) => rotatedPhone(o, 1920, 1080, 3, 270),
  "rotated.mp4": (o) => rotatedPhone(o, 1280, 720, 3, 90),
  // A phone held upside down: stored landscape with a 180° display matrix.
  "rotated-180.mp4": (o) => rotatedPhone(o, 1280, 720, 3, 180),
  // What a current phone or camera records in HDR: 2160p60 HEVC Main10 with PQ (HDR10), and
  // 2160p50 HEVC Main10 with HLG (broadcast HDR), both BT.2020, 2 s.
  "hdr10-2160p60.mp4": (o) =>
    ffmpeg([...pattern(3840, 2160, 2, 60), ...tone(2), "-vf", "format=yuv420p10le", "-c:v", "libx265", "-preset", "ultrafast", "-x265-params", "log-level=error",
      "-tag:v", "hvc1", "-color_primaries", "bt2020", "-color_trc", "smpte2084", "-colorspace", "bt2020nc", "-c:a", "aac", "-shortest", o]),
  "hlg-2160p50.mov": (o) =>
    ffmpeg([...pattern(3840, 2160, 2, 50), ...tone(2), "-vf", "format=yuv420p10le", "-c:v", "libx265", "-preset", "ultrafast", "-x265-params", "log-level=error",
      "-tag:v", "hvc1", "-color_primaries", "bt2020", "-color_trc", "arib-std-b67", "-colorspace", "bt2020nc", "-c:a", "aac", "-shortest", o]),
  // A screen recording: 1080p at 10 fps with little motion, 60 s (a frame every 100 ms, so B-frame
  // reordering shifts timestamps by 200 ms, where 30 fps shifts them by 67 ms).
  "screen-10fps-60s.mp4": (o) =>
    ffmpeg(["-f", "lavfi", "-i", "testsrc=s=1920x1080:r=10:d=60", ...tone(60), ...h264, "-c:a", "aac", "-shortest", o]),
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
  // ---- issue 20: shapes a fan-out must stitch, each 13–14 s (three segments: two chunk joins) ----
  "ntsc-2997.mp4": (o) => ffmpeg(["-f", "lavfi", "-i", "testsrc2=s=640x360:r=30000/1001:d=14", ...tone(14), ...h264, "-c:a", "aac", "-shortest", o]),
  /** 30 s of 480p, a keyframe every 2 s (as phones and cameras write): three chunks of 12 + 12 + 6 s for the stack's split tests (test/e2e/fanout.test.ts). */
  "wide-30s.mp4": (o) => ffmpeg([...pattern(854, 480, 30), ...tone(30), ...h264, "-g", "60", "-c:a", "aac", "-shortest", o]),
  "pal-25.mp4": (o) => ffmpeg([...pattern(640, 360, 14, 25), ...tone(14), ...h264, "-c:a", "aac", "-shortest", o]),
  "sixty-14s.mp4": (o) => ffmpeg([...pattern(640, 360, 14, 60), ...tone(14), ...h264, "-c:a", "aac", "-shortest", o]),
  "vfr-14s.mp4": (o) =>
    ffmpeg([...pattern(640, 360, 14), ...tone(14), "-vf", "select='not(eq(mod(n\\,3)\\,2))'", "-fps_mode", "vfr", ...h264, "-c:a", "aac", "-shortest", o]),
  "interlaced-14s.ts": (o) =>
    ffmpeg([...pattern(720, 576, 14, 50), ...tone(14), "-vf", "interlace=scan=tff", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
      "-flags", "+ildct+ilme", "-x264opts", "tff=1", "-c:a", "mp2", "-f", "mpegts", o]),
  "rotated-14s.mp4": (o) => rotatedPhone(o, 640, 360, 14, 90),
  "late-audio-14s.mp4": (o) =>
    ffmpeg([...pattern(640, 360, 14, 25), "-itsoffset", "2", "-f", "lavfi", "-i", "sine=f=440:r=48000:d=12", "-map", "0:v", "-map", "1:a", ...h264, "-c:a", "aac", o]),
  // ---- issue 12: real-world shapes -------------------------------------------------------
  // 1080i25 broadcast capture: fields interleaved top first, flagged interlaced, in MPEG-TS with MP2 sound.
  "interlaced-1080i25.ts": (o) =>
    ffmpeg([...pattern(1920, 1080, 6, 50), ...tone(6), "-vf", "interlace=scan=tff", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
      "-flags", "+ildct+ilme", "-x264opts", "tff=1", "-c:a", "mp2", "-f", "mpegts", o]),
  // Combed pictures in a stream that says progressive (a careless export): only idet can tell.
  "interlaced-unflagged.mp4": (o) =>
    ffmpeg([...pattern(1280, 720, 4, 50), ...tone(4), "-vf", "interlace=scan=tff", ...h264, "-c:a", "aac", "-shortest", o]),
  // MPEG-TS whose 33-bit clock wraps 1.7 s in (a broadcast recording started late in the day).
  "wrapped.ts": (o) => ffmpeg([...pattern(640, 360, 20, 25), ...tone(20), ...h264, "-c:a", "aac", "-shortest", "-output_ts_offset", "95442", "-f", "mpegts", o]),
  // PAL 16:9 anamorphic: 720×576 stored, pixels 64:45 wide (displays 1024×576).
  "anamorphic.mp4": (o) => ffmpeg([...pattern(720, 576, 3, 25), ...tone(3), "-vf", "setsar=64/45", ...h264, "-c:a", "aac", "-shortest", o]),
  // 10 s of video whose sound starts 2 s late (and so ends 2 s early).
  "late-audio.mp4": (o) =>
    ffmpeg([...pattern(640, 360, 10, 25), "-itsoffset", "2", "-f", "lavfi", "-i", "sine=f=440:r=48000:d=6", "-map", "0:v", "-map", "1:a", ...h264, "-c:a", "aac", o]),
  // 5 s of video with 9 s of sound.
  "long-audio.mkv": (o) => ffmpeg([...pattern(640, 360, 5, 25), ...tone(9), ...h264, "-c:a", "aac", o]),
  // A release with a French commentary first (300 Hz) and the English main track second and default (2 kHz).
  "two-tracks.mkv": (o) =>
    ffmpeg([...pattern(640, 360, 4, 25), "-f", "lavfi", "-i", "sine=f=300:r=48000:d=4", "-f", "lavfi", "-i", "sine=f=2000:r=48000:d=4",
      "-map", "0:v", "-map", "1:a", "-map", "2:a", ...h264, "-c:a", "aac",
      "-metadata:s:a:0", "language=fra", "-metadata:s:a:0", "title=Commentaire", "-metadata:s:a:1", "language=eng", "-metadata:s:a:1", "title=English",
      "-disposition:a:0", "0", "-disposition:a:1", "default", o]),
  // Opens on 3 s of black: the frame at 10 % (1 s) is black.
  "black-open.mp4": (o) =>
    ffmpeg(["-f", "lavfi", "-i", "color=c=black:s=640x360:r=25:d=3", ...pattern(640, 360, 7, 25), ...tone(10),
      "-filter_complex", "[0:v][1:v]concat=n=2:v=1:a=0[v]", "-map", "[v]", "-map", "2:a", ...h264, "-c:a", "aac", o]),
  // A release with English subtitles (SRT) and French ones (ASS), and a phone-style MP4 with mov_text.
  "subtitled.mkv": (o) => {
    const srt = `${o}.en.srt`;
    const ass = `${o}.fr.ass`;
    writeFileSync(srt, "1\n00:00:00,500 --> 00:00:02,000\nHello there\n\n2\n00:00:02,500 --> 00:00:03,800\nSecond line\n");
    writeFileSync(ass, ["[Script Info]", "ScriptType: v4.00+", "", "[V4+ Styles]",
      "Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, Bold, Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, Shadow, Alignment, MarginL, MarginR, MarginV, Encoding",
      "Style: Default,Arial,20,&H00FFFFFF,&H000000FF,&H00000000,&H00000000,0,0,0,0,100,100,0,0,1,1,0,2,10,10,10,1", "", "[Events]",
      "Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text",
      "Dialogue: 0,0:00:00.50,0:00:02.00,Default,,0,0,0,,{\\i1}Bonjour{\\i0} à tous", ""].join("\n"));
    ffmpeg([...pattern(640, 360, 4, 25), ...tone(4), "-i", srt, "-i", ass, "-map", "0:v", "-map", "1:a", "-map", "2:s", "-map", "3:s", ...h264, "-c:a", "aac",
      "-c:s:0", "srt", "-c:s:1", "ass", "-metadata:s:s:0", "language=eng", "-metadata:s:s:1", "language=fra", "-metadata:s:s:1", "title=Français", o]);
    rmSync(srt);
    rmSync(ass);
  },
  // A Blu-ray-style PGS track next to an SRT one. FFmpeg cannot author bitmap subtitles, so the
  // SRT track's CodecID is rewritten to S_HDMV/PGS in place (EBML strings may be NUL-padded): the
  // packets are not real PGS, which is fine, since a bitmap track is never decoded, only listed.
  "pgs.mkv": (o) => {
    const srt = `${o}.srt`;
    writeFileSync(srt, "1\n00:00:00,500 --> 00:00:02,000\nHello\n");
    const plain = `${o}.plain.mkv`;
    ffmpeg([...pattern(640, 360, 3, 25), ...tone(3), "-i", srt, "-i", srt, "-map", "0:v", "-map", "1:a", "-map", "2:s", "-map", "3:s", ...h264, "-c:a", "aac", "-c:s", "srt",
      "-metadata:s:s:0", "language=eng", "-metadata:s:s:1", "language=deu", plain]);
    const bytes = readFileSync(plain);
    const at = bytes.lastIndexOf(Buffer.from("S_TEXT/UTF8"));
    writeFileSync(o, Buffer.concat([bytes.subarray(0, at), Buffer.from("S_HDMV/PGS\0"), bytes.subarray(at + 11)]));
    rmSync(plain);
    rmSync(srt);
  },
  "subtitled.mp4": (o) => {
    const srt = `${o}.srt`;
    writeFileSync(srt, "1\n00:00:01,000 --> 00:00:02,500\nFrom the phone\n");
    ffmpeg([...pattern(640, 360, 3, 30), ...tone(3), "-i", srt, "-map", "0:v", "-map", "1:a", "-map", "2:s", ...h264, "-c:a", "aac", "-c:s", "mov_text", "-metadata:s:s:0", "language=spa", o]);
    rmSync(srt);
  },
  "still.png": (o) => ffmpeg(["-f", "lavfi", "-i", "testsrc2=s=640x360:d=1", "-frames:v", "1", o]),
  "still.jpg": (o) => ffmpeg(["-f", "lavfi", "-i", "testsrc2=s=640x360:d=1", "-frames:v", "1", o]),
  // A 2400×2400 PNG in Matroska (5.8 MP): a pixel bomb against a lowered limit.
  "big-frame.mkv": (o) => ffmpeg(["-f", "lavfi", "-i", "testsrc2=s=2400x2400:r=1:d=2", "-c:v", "png", o]),
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

/** The same job split into chunks, each step in its own process (fanout/local.ts), stitched. */
export const fanout = (input: string, split: { chunks?: number; chunkSeconds?: number }, overrides: Partial<PipelineJob> = {}) => {
  const job = jobFor(input, overrides);
  return runFanoutLocally(job, { split }).then((r) => ({ ...r, job, path: (key: string) => join(job.outDir, key) }));
};

/** Every packet of a file: stream kind, PTS, DTS and the key flag, as ffprobe reads them (90 kHz). */
export function packetList(path: string): string[] {
  return execFileSync("ffprobe", ["-v", "error", "-show_entries", "packet=codec_type,pts,dts,flags", "-of", "csv=p=0", path], { encoding: "utf8" })
    .split("\n")
    .filter((l) => l.trim());
}

/** Per-frame SSIM (All) of `a` against `b`, both from their first frame; `bFilters` prepare b first. */
export function ssimPerFrame(a: string, b: string, bFilters: string): number[] {
  const stats = join(tempDir(), "ssim.log");
  ffmpeg(["-i", a, "-i", b, "-lavfi", `[0:v]setpts=PTS-STARTPTS[x];[1:v]${bFilters},setpts=PTS-STARTPTS[y];[x][y]ssim=stats_file=${stats}`, "-f", "null", "-"]);
  return readFileSync(stats, "utf8").trim().split("\n").map((l) => Number(/All:([\d.]+)/.exec(l)![1]));
}

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

/** An FFmpeg run's stderr (info level), for reading what a filter printed. */
export function ffmpegStderr(args: string[]): string {
  const r = spawnSync("ffmpeg", ["-hide_banner", "-nostdin", ...args], { encoding: "utf8", maxBuffer: 64 * 2 ** 20 });
  if (r.status !== 0) throw new Error(`ffmpeg failed: ${r.stderr.slice(-500)}`);
  return r.stderr;
}

/** Total of a media playlist's EXTINF durations. */
export const playlistSeconds = (path: string) => mediaPlaylist(path).reduce((t, s) => t + s.duration, 0);

/** The media playlists a master names (variants and EXT-X-MEDIA URIs), as paths beside it. */
export function playlistsOf(master: string): string[] {
  const text = readFileSync(master, "utf8");
  const uris = [...text.matchAll(/URI="([^"]+)"/g)].map((m) => m[1]!);
  const variants = text.split("\n").filter((l) => l && !l.startsWith("#"));
  return [...uris, ...variants].map((u) => join(dirname(master), u));
}

/** Joins a playlist's segments into one file (MPEG-TS segments concatenate), for filters to judge. */
export function joinedSegments(playlist: string, out: string): string {
  const dir = dirname(playlist);
  writeFileSync(out, Buffer.concat(mediaPlaylist(playlist).map((s) => readFileSync(join(dir, s.uri)))));
  return out;
}

/** Mean luma (signalstats YAVG, 8-bit) of the first frame of an image or video. */
export function meanLuma(path: string): number {
  const err = ffmpegStderr(["-i", path, "-frames:v", "1", "-vf", "signalstats,metadata=mode=print:key=lavfi.signalstats.YAVG", "-f", "null", "-"]);
  return Number(/lavfi\.signalstats\.YAVG=([\d.]+)/.exec(err)![1]);
}
