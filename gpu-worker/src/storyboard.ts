/**
 * Seek previews (what Mux, Cloudflare Stream and PeerTube hand players): one JPEG sprite sheet of
 * small frames, one every `interval` seconds, and a WebVTT whose cues name each tile with
 * `storyboard.jpg#xywh=x,y,w,h`. Pure: the plan and the WebVTT; the frames come from the ladder's
 * own decode (ladder-args).
 */
export interface StoryboardPlan {
  /** Seconds between tiles: whole seconds, chosen so one sheet holds at most MAX_TILES. */
  interval: number;
  tiles: number;
  columns: number;
  rows: number;
  tileWidth: number;
  tileHeight: number;
}

export const MAX_TILES = 100;
const COLUMNS = 10;
/** A tile's long side: what a seek-bar preview shows. */
const TILE_LONG_SIDE = 160;

const even = (n: number) => Math.max(2, Math.round(n / 2) * 2);

export function planStoryboard(durationSeconds: number, width: number, height: number): StoryboardPlan {
  const interval = Math.max(1, Math.ceil(durationSeconds / MAX_TILES));
  const tiles = Math.max(1, Math.min(MAX_TILES, Math.ceil(durationSeconds / interval)));
  const columns = Math.min(COLUMNS, tiles);
  const scale = TILE_LONG_SIDE / Math.max(width, height);
  return { interval, tiles, columns, rows: Math.ceil(tiles / columns), tileWidth: even(width * scale), tileHeight: even(height * scale) };
}

/**
 * Which prepared (constant-rate) frames are tiles: tile k is the first frame at or after
 * k·interval, counted on the whole video's frames, so a chunk starting at frame S (fanout/)
 * picks exactly the tiles it holds and a one-job encode picks the same ones. A `select` on the
 * frame number n; frames numbered from the video's first, m = n + S.
 */
export function tileSelect(interval: number, fps: number, startFrame = 0): string {
  const m = `(n+${startFrame})`;
  const per = interval * fps;
  return `select='eq(${m}\\,0)+gt(floor(${m}/${per})\\,floor((${m}-1)/${per}))'`;
}

/** The number (from 1, as image2 counts) of the first tile a chunk starting at frame S holds. */
export function firstTile(interval: number, fps: number, startFrame: number): number {
  return startFrame === 0 ? 1 : Math.floor((startFrame - 1) / (interval * fps)) + 2;
}

/**
 * The filter chain from the ladder's prepared frames to the tiles, one small PNG each. Not the
 * sheet itself: FFmpeg 5.1 prints no -progress for a process one of whose outputs has no frame
 * yet, and a `tile` sheet has none until the end (measured: only the final report came).
 */
export function storyboardFilter(p: StoryboardPlan, fps: number, toCpu: string[] = [], startFrame = 0): string {
  return [
    tileSelect(p.interval, fps, startFrame),
    // NVENC's frames live on the GPU: only these few are brought back.
    ...toCpu,
    `scale=${p.tileWidth}:${p.tileHeight}:flags=bicubic`,
    "setsar=1",
  ].join(",");
}

/** Where the ladder writes the tiles (image2 numbering from 1), and how the sheet is made of them. */
export const TILE_PATTERN = "tile_%04d.png";

/** The tiles (our own PNGs) into the one JPEG sheet, in order, padded black past the last one. */
export function storyboardSheetArgs(p: StoryboardPlan, tilesDir: string, output: string, base: string[]): string[] {
  return [
    ...base,
    "-f", "image2",
    "-framerate", "1",
    "-i", `${tilesDir}/${TILE_PATTERN}`,
    "-vf", `tile=${p.columns}x${p.rows}`,
    "-frames:v", "1",
    // JPEG quality 4 of FFmpeg's 2–31: tiles are small, the sheet stays a few tens of KiB.
    "-q:v", "4",
    "-y", output,
  ];
}

const stamp = (s: number) => {
  const ms = Math.round(s * 1000);
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const sec = (ms % 60_000) / 1000;
  return `${String(h).padStart(2, "0")}:${String(m).padStart(2, "0")}:${sec.toFixed(3).padStart(6, "0")}`;
};

/** The cues: tile i covers [i·interval, (i+1)·interval), the last one ends with the video. */
export function storyboardVtt(p: StoryboardPlan, durationSeconds: number, image = "storyboard.jpg"): string {
  const lines = ["WEBVTT", ""];
  for (let i = 0; i < p.tiles; i++) {
    const start = i * p.interval;
    const end = Math.min((i + 1) * p.interval, durationSeconds);
    if (end <= start) break;
    const x = (i % p.columns) * p.tileWidth;
    const y = Math.floor(i / p.columns) * p.tileHeight;
    lines.push(`${stamp(start)} --> ${stamp(end)}`, `${image}#xywh=${x},${y},${p.tileWidth},${p.tileHeight}`, "");
  }
  return lines.join("\n");
}
