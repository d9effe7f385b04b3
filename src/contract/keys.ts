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
    /** In the archive bucket, not in `media`. */
    mezzanine: `mezzanine/${creatorId}/${mediaId}/${attemptId}/mezzanine.mp4`,
  };
}
