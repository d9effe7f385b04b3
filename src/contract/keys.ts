import { downloadKey, type DownloadName } from "./downloads.ts";

/** Storage keys of design.md §1, in one place so that both halves build the same paths. */
export interface KeyScope {
  creatorId: string;
  mediaId: string;
  attemptId: string;
}

export function originalKey(creatorId: string, mediaId: string, filename: string): string {
  return `${creatorId}/originals/${mediaId}/${filename}`;
}

export function outputKeys({ creatorId, mediaId, attemptId }: KeyScope) {
  const hls = `${creatorId}/hls/${mediaId}/${attemptId}`;
  return {
    hlsRoot: hls,
    hlsMaster: `${hls}/master.m3u8`,
    hlsPreview: `${hls}/preview/preview.m3u8`,
    thumbnail: `${creatorId}/thumbnails/media/${mediaId}/${attemptId}/auto-generated.jpg`,
    waveform: `${creatorId}/waveforms/${mediaId}/${attemptId}/waveform.json`,
    waveformImage: `${creatorId}/thumbnails/media/${mediaId}/${attemptId}/waveform.png`,
    /** Seek-preview sprite sheet and its WebVTT of `storyboard.jpg#xywh=` cues (same folder). */
    storyboard: `${creatorId}/thumbnails/media/${mediaId}/${attemptId}/storyboard.jpg`,
    storyboardVtt: `${creatorId}/thumbnails/media/${mediaId}/${attemptId}/storyboard.vtt`,
    /** In the archive bucket, not in `media`. */
    mezzanine: `mezzanine/${creatorId}/${mediaId}/${attemptId}/mezzanine.mp4`,
  };
}

/**
 * Every folder an item's files live in, across all its attempts: the media bucket's and the
 * archive's. Deleting an item deletes these; a test checks that each key above falls in one.
 */
export function itemPrefixes(creatorId: string, mediaId: string): { media: string[]; archive: string[] } {
  return {
    media: [`${creatorId}/originals/${mediaId}/`, `${creatorId}/hls/${mediaId}/`, `${creatorId}/downloads/${mediaId}/`, `${creatorId}/fanout/${mediaId}/`, `${creatorId}/thumbnails/media/${mediaId}/`, `${creatorId}/waveforms/${mediaId}/`],
    archive: [`mezzanine/${creatorId}/${mediaId}/`],
  };
}

/**
 * The output fields of a completed job that name a key other than the contract's for this item
 * and attempt (a field may be null where it does not apply, never another key). Empty: all good.
 */
export function foreignOutputKeys(
  output: {
    hlsMasterKey: string;
    hlsPreviewKey: string | null;
    thumbnailKey: string | null;
    waveformKey: string | null;
    waveformImageKey: string | null;
    mezzanineKey: string | null;
    storyboardKey?: string | null;
    storyboardVttKey?: string | null;
    downloads?: { name: DownloadName; key: string }[];
  },
  scope: KeyScope,
): string[] {
  const k = outputKeys(scope);
  const expected = {
    hlsMasterKey: k.hlsMaster,
    hlsPreviewKey: k.hlsPreview,
    thumbnailKey: k.thumbnail,
    waveformKey: k.waveform,
    waveformImageKey: k.waveformImage,
    mezzanineKey: k.mezzanine,
    storyboardKey: k.storyboard,
    storyboardVttKey: k.storyboardVtt,
  } as const;
  const fields = (Object.keys(expected) as (keyof typeof expected)[]).filter((field) => {
    const value = output[field] ?? null;
    return field === "hlsMasterKey" ? value !== expected[field] : value !== null && value !== expected[field];
  });
  // Each download is its own name in the attempt's downloads folder, once.
  const names = new Set<string>();
  const downloads = (output.downloads ?? []).some((d) => d.key !== downloadKey(scope, d.name) || names.size === names.add(d.name).size);
  return downloads ? [...fields, "downloads"] : fields;
}
