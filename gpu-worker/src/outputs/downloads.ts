import { mkdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { downloadKey, downloadsFor, playlistSegments, type Download, type DownloadName, type DownloadsRequest, type KeyScope } from "../../../src/contract/index.ts";
import { runTool, type RunOptions } from "../ffmpeg/spawn.ts";
import { nonEmpty } from "../pipeline/step.ts";
import type { OutputFile } from "../pipeline/types.ts";

/** The main sound's media playlist in the HLS folder (the default track is the first rendition). */
const SOUND = "audio/index.m3u8";

/**
 * A download master: one rung and the main sound, so that FFmpeg's HLS demuxer reads both on one
 * clock (two separate inputs would each be shifted to start at zero, moving the sound against the
 * picture by the AAC priming). Our own playlists only, in our own folder: nothing the upload names.
 */
export function downloadMaster(rung: string, withSound: boolean): string {
  return [
    "#EXTM3U",
    ...(withSound ? [`#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="a",NAME="main",DEFAULT=YES,AUTOSELECT=YES,URI="${SOUND}"`] : []),
    `#EXT-X-STREAM-INF:BANDWIDTH=1${withSound ? ',AUDIO="a"' : ""}`,
    `${rung}/index.m3u8`,
    "",
  ].join("\n");
}

/**
 * A download remuxed from HLS segments already encoded: no second encode, the same frames.
 * `input`: a download master (picture and sound) or the sound's media playlist (M4A).
 */
export function downloadArgs(cmd: { input: string; picture: boolean; output: string; base: string[] }): string[] {
  return [
    ...cmd.base,
    // Our own playlist, read by the HLS demuxer from local files (the base flags allow no network).
    "-f", "hls",
    "-i", cmd.input,
    // The rung's picture (a video download) and the main sound, if the item has any.
    ...(cmd.picture ? ["-map", "0:v:0", "-map", "0:a:0?"] : ["-map", "0:a:0"]),
    // Packets as they are: the download's frames are the stream's.
    "-c", "copy",
    // The index first, so a browser plays it while it downloads (progressive, no MSE).
    "-movflags", "+faststart",
    "-y", cmd.output,
  ];
}

/** The width and height of a file's picture, as ffprobe reads them. */
async function pictureSize(path: string, opts: RunOptions): Promise<{ width: number; height: number }> {
  const { stdout } = await runTool("ffprobe", ["-v", "error", "-select_streams", "v:0", "-show_entries", "stream=width,height", "-of", "csv=p=0", path], opts);
  const [width, height] = stdout.trim().split(",").map(Number);
  if (!width || !height) throw new Error(`ffprobe found no picture in ${path}`);
  return { width, height };
}

/**
 * The downloads an item asked for, from the finished (VOD) playlists in `hlsDir`: each rung's MP4
 * with the main sound, and the sound's M4A. `fetch` brings a segment that is not on this disk (a
 * split video's stitch: the chunk jobs uploaded them); what it brought is removed afterwards, so
 * that it is not uploaded again. Answers the files to upload and the result's `downloads`.
 */
export async function makeDownloads(a: {
  request: DownloadsRequest | undefined;
  hlsDir: string;
  /** The rungs, tallest first; a size not given (a touch-up knows only the names) is read from the file made. */
  rungs: { name: string; width?: number; height?: number }[];
  hasAudio: boolean;
  scope: KeyScope;
  at: (key: string) => string;
  base: string[];
  opts: RunOptions;
  fetch?: (path: string) => Promise<void>;
}): Promise<{ files: OutputFile[]; downloads: Download[] }> {
  const names = a.request ? downloadsFor(a.request, a.rungs.map((r) => r.name), a.hasAudio) : [];
  const files: OutputFile[] = [];
  const downloads: Download[] = [];
  const fetched: string[] = [];
  const local = async (playlist: string) => {
    if (!a.fetch) return;
    for (const s of playlistSegments(await readFile(join(a.hlsDir, playlist), "utf8"))) {
      const path = join(a.hlsDir, dirname(playlist), s.uri);
      if (await stat(path).then(() => true, () => false)) continue;
      await a.fetch(path);
      fetched.push(path);
    }
  };
  try {
    for (const name of names) {
      const key = downloadKey(a.scope, name);
      const output = a.at(key);
      await mkdir(dirname(output), { recursive: true });
      const rung = a.rungs.find((r) => `${r.name}.mp4` === name);
      if (rung) {
        await local(`${rung.name}/index.m3u8`);
        if (a.hasAudio) await local(SOUND);
        const master = join(a.hlsDir, `.download-${rung.name}.m3u8`);
        await writeFile(master, downloadMaster(rung.name, a.hasAudio));
        try {
          await runTool("ffmpeg", downloadArgs({ input: master, picture: true, output, base: a.base }), a.opts);
        } finally {
          await rm(master, { force: true });
        }
      } else {
        await local(SOUND);
        await runTool("ffmpeg", downloadArgs({ input: join(a.hlsDir, SOUND), picture: false, output, base: a.base }), a.opts);
      }
      await nonEmpty(output, name);
      files.push({ bucket: "media", key, path: output });
      const size = rung ? (rung.width && rung.height ? { width: rung.width, height: rung.height } : await pictureSize(output, a.opts)) : { width: null, height: null };
      downloads.push({ name: name as DownloadName, key, bytes: (await stat(output)).size, ...size });
    }
  } finally {
    await Promise.all(fetched.map((p) => rm(p, { force: true })));
  }
  return { files, downloads };
}
