import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { parseEbur128Summary } from "../../gpu-worker/src/loudness.ts";
import { adminToken, call, creator, env, finished, fixture, row, upload, waitFor } from "./support.ts";

/** EBU R128 of an item's HLS sound, read through the Worker as a player gets it (FFmpeg prints the summary on stderr). */
function servedLoudness(mediaId: string, admin: string) {
  const url = `${env.url}/api/admin/media/${mediaId}/files/hls/master.m3u8`;
  const run = spawnSync("ffmpeg", ["-hide_banner", "-nostdin", "-headers", `Authorization: Bearer ${admin}\r\n`, "-i", url, "-map", "0:a:0", "-af", "ebur128=peak=true", "-f", "null", "-"], { encoding: "utf8" });
  const measured = parseEbur128Summary(run.stderr);
  if (run.status !== 0 || !measured) throw new Error(`ffmpeg ${run.status}: ${run.stderr.slice(-500)}`);
  return measured;
}

describe("normalizeAudio: false through the stack", () => {
  it("an audio item registered with it keeps the upload's level; the default item is at −16 LUFS; both report the source's loudness", async () => {
    const me = await creator();
    const admin = await adminToken();
    const [kept, normalised] = await Promise.all([
      upload(env.url, me.token, fixture("voice.m4a"), "audio", { register: { normalizeAudio: false } }),
      upload(env.url, me.token, fixture("voice.m4a"), "audio"),
    ]);
    for (const id of [kept, normalised]) await call(env.url, "POST", `/api/media/${id}/transcode`, me.token);
    const [a, b] = await Promise.all([kept, normalised].map((id) => waitFor(env.url, me.token, id, finished)));
    expect(a).toMatchObject({ status: "ready", normalizeAudio: false });
    expect(b).toMatchObject({ status: "ready", normalizeAudio: true });
    expect(a.loudness).toEqual(b.loudness);
    expect((await row(kept))!.normalize_audio).toBe(false);
    const keptLevel = servedLoudness(kept, admin);
    const normalisedLevel = servedLoudness(normalised, admin);
    expect(Math.abs(keptLevel.integrated - a.loudness.integrated)).toBeLessThan(0.5);
    expect(Math.abs(normalisedLevel.integrated - -16)).toBeLessThan(1);
  });
});
