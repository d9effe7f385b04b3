/** Content-Type and Cache-Control of each uploaded asset, chosen by its key. */
export interface AssetHeaders {
  contentType: string;
  cacheControl: string;
}

// Every output lives under a per-attempt path (design.md §1), so media bytes never change:
// segments, images and the mezzanine are immutable. Playlists stay short-lived anyway so
// that a CDN in front can be corrected without a purge if a playlist is ever rewritten.
const IMMUTABLE = "public, max-age=31536000, immutable";
const SHORT = "public, max-age=60";

const TYPES: [RegExp, string, string][] = [
  [/\.m3u8$/, "application/vnd.apple.mpegurl", SHORT],
  [/\.ts$/, "video/mp2t", IMMUTABLE],
  [/\.m4s$/, "video/iso.segment", IMMUTABLE],
  [/\.(mp4|m4v)$/, "video/mp4", IMMUTABLE],
  [/\.aac$/, "audio/aac", IMMUTABLE],
  [/\.jpe?g$/, "image/jpeg", IMMUTABLE],
  [/\.png$/, "image/png", IMMUTABLE],
  [/\.json$/, "application/json", IMMUTABLE],
];

export function assetHeaders(key: string): AssetHeaders {
  for (const [pattern, contentType, cacheControl] of TYPES) if (pattern.test(key)) return { contentType, cacheControl };
  return { contentType: "application/octet-stream", cacheControl: SHORT };
}
