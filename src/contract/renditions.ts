import { z } from "zod";

/** Renditions of the HLS ladder, tallest first. Heights are of the short side (portrait-safe). */
export const RENDITIONS = {
  "1080p": { shortSide: 1080, videoKbps: 5000 },
  "720p": { shortSide: 720, videoKbps: 3000 },
  "480p": { shortSide: 480, videoKbps: 1500 },
  "360p": { shortSide: 360, videoKbps: 800 },
} as const;
export type RenditionName = keyof typeof RENDITIONS;
/** The ladder's names, from RENDITIONS itself (tallest first). */
export const RENDITION_NAMES = Object.keys(RENDITIONS) as [RenditionName, ...RenditionName[]];
export const renditionName = z.enum(RENDITION_NAMES);
