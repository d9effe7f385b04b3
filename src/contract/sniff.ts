/**
 * What a file's first bytes say it is. The control plane checks an upload against its declared
 * type when the upload completes; the GPU worker refuses playlists before FFmpeg sees them. Both
 * use these rules, so what one half lets through the other does not refuse for a different reason.
 */
export type Sniffed =
  | { kind: "media"; container: string; holds: "video" | "audio" | "either" }
  | { kind: "playlist" }
  | { kind: "image"; format: string }
  | { kind: "unknown" };

/** Text a playlist or concat list starts with (after a BOM and blank space). */
const PLAYLIST_STARTS = [/^#EXTM3U/i, /^#EXTINF/i, /^ffconcat\b/i, /^\[playlist\]/i, /^<\?xml[\s\S]{0,400}<(smil|asx|MPD|playlist)\b/i, /^<(asx|smil|MPD)\b/i, /^file\s+'/i];

/** How many first bytes the rules look at. */
export const SNIFF_BYTES = 4096;

export function isPlaylist(head: Uint8Array): boolean {
  const text = new TextDecoder().decode(head).replace(/^\uFEFF/, "").trimStart();
  return PLAYLIST_STARTS.some((re) => re.test(text));
}

const ascii = (b: Uint8Array, at: number, s: string) => s.split("").every((c, i) => b[at + i] === c.charCodeAt(0));
const bytes = (b: Uint8Array, at: number, xs: number[]) => xs.every((x, i) => b[at + i] === x);

export function sniff(head: Uint8Array): Sniffed {
  const b = head;
  if (isPlaylist(b)) return { kind: "playlist" };
  const media = (container: string, holds: "video" | "audio" | "either" = "either"): Sniffed => ({ kind: "media", container, holds });
  // ISO BMFF (MP4, MOV, M4A, 3GP) and old QuickTime atoms at offset 4.
  if (["ftyp", "moov", "mdat", "free", "wide", "skip"].some((box) => ascii(b, 4, box))) return media("isobmff");
  if (bytes(b, 0, [0x1a, 0x45, 0xdf, 0xa3])) return media("matroska");
  if (ascii(b, 0, "RIFF") && ascii(b, 8, "AVI ")) return media("avi");
  if (ascii(b, 0, "RIFF") && ascii(b, 8, "WAVE")) return media("wav", "audio");
  if (ascii(b, 0, "FORM") && (ascii(b, 8, "AIFF") || ascii(b, 8, "AIFC"))) return media("aiff", "audio");
  if (b[0] === 0x47 && (b.length <= 188 || b[188] === 0x47)) return media("mpegts");
  // M2TS / AVCHD: a 4-byte timestamp before each 188-byte packet.
  if (b[4] === 0x47 && (b.length <= 196 || b[196] === 0x47)) return media("m2ts");
  if (bytes(b, 0, [0x00, 0x00, 0x01, 0xba])) return media("mpegps");
  if (bytes(b, 0, [0x00, 0x00, 0x01, 0xb3])) return media("mpeg-video", "video");
  if (bytes(b, 0, [0x00, 0x00, 0x00, 0x01]) || bytes(b, 0, [0x00, 0x00, 0x01])) return media("annexb", "video");
  if (ascii(b, 0, "FLV")) return media("flv");
  if (bytes(b, 0, [0x30, 0x26, 0xb2, 0x75, 0x8e, 0x66, 0xcf, 0x11])) return media("asf");
  if (ascii(b, 0, "OggS")) return media("ogg");
  if (bytes(b, 0, [0x06, 0x0e, 0x2b, 0x34])) return media("mxf");
  if (ascii(b, 0, ".RMF")) return media("realmedia");
  if (ascii(b, 0, "YUV4MPEG2")) return media("y4m", "video");
  if (ascii(b, 0, "nut/multimedia")) return media("nut");
  if (ascii(b, 0, "fLaC")) return media("flac", "audio");
  if (ascii(b, 0, "ID3")) return media("mp3", "audio");
  if (ascii(b, 0, "#!AMR")) return media("amr", "audio");
  if (ascii(b, 0, "caff")) return media("caf", "audio");
  if (ascii(b, 0, "wvpk")) return media("wavpack", "audio");
  if (ascii(b, 0, "MAC ")) return media("ape", "audio");
  // MPEG audio frame sync (MP3, ADTS AAC): 11 set bits.
  if (b[0] === 0xff && ((b[1] ?? 0) & 0xe0) === 0xe0) return media("mpeg-audio", "audio");
  if (bytes(b, 0, [0x89, 0x50, 0x4e, 0x47])) return { kind: "image", format: "PNG" };
  if (bytes(b, 0, [0xff, 0xd8, 0xff])) return { kind: "image", format: "JPEG" };
  if (ascii(b, 0, "GIF8")) return { kind: "image", format: "GIF" };
  if (ascii(b, 0, "RIFF") && ascii(b, 8, "WEBP")) return { kind: "image", format: "WebP" };
  return { kind: "unknown" };
}

/** Why these first bytes cannot be an upload of this type, or null when they can. */
export function sniffRejection(head: Uint8Array, declared: "video" | "audio"): string | null {
  const s = sniff(head);
  switch (s.kind) {
    case "playlist":
      return "The file is a playlist (HLS, DASH, concat or similar), not media: playlists are not accepted. Upload the video or audio file itself";
    case "image":
      return `The file is a still image (${s.format}), not ${declared}`;
    case "unknown":
      return `The file's first bytes are not those of any ${declared} container this service reads`;
    case "media":
      return s.holds === "either" || s.holds === declared ? null : `The file is ${s.holds} (${s.container}) but was declared ${declared}`;
  }
}
