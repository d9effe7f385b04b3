import { outputKeys } from "../../../src/contract/index.ts";
import { putObject, readyItem, type FakeRunpod } from "../helpers.ts";

const MASTER = `#EXTM3U
#EXT-X-VERSION:7
#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="aud",NAME="English",DEFAULT=YES,URI="audio_0/index.m3u8"
#EXT-X-STREAM-INF:BANDWIDTH=900000,RESOLUTION=640x360,AUDIO="aud"
360p/index.m3u8
#EXT-X-STREAM-INF:BANDWIDTH=900000,RESOLUTION=640x360
https://elsewhere.example/steal.m3u8
`;
const RUNG = `#EXTM3U
#EXT-X-TARGETDURATION:4
#EXT-X-MAP:URI="init.mp4"
#EXTINF:4.0,
seg_000.m4s
#EXTINF:4.0,
../../../../other/seg.m4s
#EXT-X-ENDLIST
`;

/** A ready item whose master, rung, init segment, segment and thumbnail are in the bucket. */
export async function playableItem(runpod: FakeRunpod) {
  const { item, job } = await readyItem(runpod);
  const k = outputKeys(job.input);
  await Promise.all([
    putObject("media", k.hlsMaster, MASTER),
    putObject("media", `${k.hlsRoot}/360p/index.m3u8`, RUNG),
    putObject("media", `${k.hlsRoot}/360p/init.mp4`, "init-bytes"),
    putObject("media", `${k.hlsRoot}/360p/seg_000.m4s`, "0123456789abcdef"),
    putObject("media", k.thumbnail, "jpeg-bytes"),
  ]);
  return { item, job };
}

