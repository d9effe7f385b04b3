import { RENDITIONS, type RenditionName } from "../../src/contract/index.ts";
import type { MediaInfo, VideoInfo } from "./probe.ts";

export interface Rung {
  name: RenditionName;
  width: number;
  height: number;
  videoKbps: number;
  /** Peak rate and VBV buffer: 1.5× and 2× the target keep segment sizes predictable. */
  maxrateKbps: number;
  bufsizeKbps: number;
  /** H.264 level written in the stream and in CODECS. */
  level: "3.0" | "3.1" | "4.0" | "4.2";
}

export interface VideoPlan {
  /** The source stream encoded (`0:<index>`; 0:v:0 when not given). */
  stream?: string;
  rungs: Rung[];
  /** Constant output frame rate (variable sources are made constant). */
  fps: number;
  /** Frames per GOP: 2 s, identical on every rung so segments align. */
  gop: number;
  /** Rotation is baked into the pixels by FFmpeg's autorotate; nothing to do but know it. */
  rotated: boolean;
  /** 10-bit or HDR sources become 8-bit SDR that every browser decodes. */
  toneMap: boolean;
  toEightBit: boolean;
  /** Interlaced source: deinterlaced (one frame per frame) before anything else. */
  deinterlace?: boolean;
}

/** 4:2:0 needs even sizes: the nearest even number, but never a pixel above `limit` (the source). */
const even = (n: number, limit = Infinity) => Math.max(2, Math.min(Math.round(n / 2) * 2, Math.floor(limit / 2) * 2));

/** Common frame rates, so 29.97 stays 29.97 and a jittery VFR average lands on a standard one. */
const STANDARD_RATES = [23.976, 24, 25, 29.97, 30, 48, 50, 59.94, 60];
export function outputFps(v: VideoInfo): number {
  // A variable-rate source keeps the rate its camera aimed at (gaps become repeated frames,
  // motion is not thinned); a constant one keeps its own.
  const source = v.variableFrameRate && v.nominalFps && v.nominalFps <= 120 ? v.nominalFps : v.fps;
  const capped = Math.min(source || 30, 60);
  const nearest = STANDARD_RATES.reduce((best, r) => (Math.abs(r - capped) < Math.abs(best - capped) ? r : best));
  return Math.abs(nearest - capped) / capped < 0.05 ? nearest : Math.round(capped * 1000) / 1000;
}

function levelFor(width: number, height: number, fps: number): Rung["level"] {
  const mbps = Math.ceil(width / 16) * Math.ceil(height / 16) * fps;
  if (mbps <= 40_500) return "3.0";
  if (mbps <= 108_000) return "3.1";
  if (mbps <= 245_760) return "4.0";
  return "4.2";
}

/**
 * The HLS ladder for a source: rungs whose short side the source reaches (portrait-safe), never
 * upscaled, aspect kept, even dimensions, at least one rung. A source below the smallest rung
 * gets one rung at its own size, with the bitrate scaled to its pixel count.
 */
export function planVideo(info: MediaInfo, wanted: RenditionName[], opts: { interlaced?: boolean } = {}): VideoPlan {
  const v = info.video;
  if (!v) throw new Error("planVideo needs a video stream");
  const fps = outputFps(v);
  const sw = v.displayWidth;
  const sh = v.displayHeight;
  const shortSide = Math.min(sw, sh);
  const landscape = sw >= sh;
  const sizeFor = (target: number) => {
    const scale = target / shortSide;
    return landscape
      ? { width: even(sw * scale, sw), height: even(target, sh) }
      : { width: even(target, sw), height: even(sh * scale, sh) };
  };
  const ordered = (Object.keys(RENDITIONS) as RenditionName[]).filter((n) => wanted.includes(n));
  const fitting = ordered.filter((n) => RENDITIONS[n].shortSide <= shortSide);
  const sourceKbps = v.bitRate ? v.bitRate / 1000 : Infinity;

  const rungs: Rung[] = (fitting.length > 0 ? fitting : [ordered.at(-1)!]).map((name) => {
    const spec = RENDITIONS[name];
    const fits = spec.shortSide <= shortSide;
    const { width, height } = fits ? sizeFor(spec.shortSide) : { width: even(sw, sw), height: even(sh, sh) };
    // The rung's nominal pixel count at the source's aspect, against what this source has.
    const nominalPixels = spec.shortSide * spec.shortSide * (Math.max(sw, sh) / shortSide);
    const pixelRatio = fits ? 1 : Math.min(1, (width * height) / nominalPixels);
    // Never spend more bits than the source has (with headroom for re-encoding loss), never under 200k.
    const videoKbps = Math.max(200, Math.round(Math.min(spec.videoKbps * pixelRatio, sourceKbps * 1.2)));
    return {
      name,
      width,
      height,
      videoKbps,
      maxrateKbps: Math.round(videoKbps * 1.5),
      bufsizeKbps: videoKbps * 2,
      level: levelFor(width, height, fps),
    };
  });
  return {
    stream: v.stream,
    rungs,
    fps,
    gop: Math.max(1, Math.round(fps * 2)),
    rotated: v.rotation !== 0,
    toneMap: v.hdr,
    toEightBit: v.bitDepth > 8 || !/^(yuv420p|yuvj420p|nv12)$/.test(v.pixFmt),
    deinterlace: opts.interlaced ?? v.fieldOrder === "interlaced",
  };
}

/** The rung a preview uses: the middle of the ladder, the lower one when two tie (480p on a full ladder). */
export function previewRung(plan: VideoPlan): Rung {
  return plan.rungs[Math.ceil((plan.rungs.length - 1) / 2)]!;
}

/** avc1 CODECS string for High profile at the rung's level. */
export function avcCodecs(level: Rung["level"]): string {
  const hex = Math.round(Number(level) * 10).toString(16).padStart(2, "0");
  return `avc1.6400${hex}`;
}
