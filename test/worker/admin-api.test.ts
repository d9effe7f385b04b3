import { env, SELF } from "cloudflare:test";
import { AwsClient } from "aws4fetch";
import { describe, expect, it } from "vitest";
import { adminToken, api, useFakeRunpod, payloadFor, rowWhen, sendCallback, tokenFor, uploadedItem, uuid, videoOutput } from "./helpers.ts";

const runpod = useFakeRunpod();

/** Writes an object straight into the media bucket, as the GPU worker would. */
async function putMedia(key: string, body: string) {
  const aws = new AwsClient({ accessKeyId: "S3RVER", secretAccessKey: "S3RVER", service: "s3", region: "us-east-1" });
  const res = await aws.fetch(`${env.S3_ENDPOINT}/media/${key}`, { method: "PUT", body, headers: { "content-type": "application/vnd.apple.mpegurl" } });
  expect(res.ok).toBe(true);
}

async function readyItem() {
  const item = await uploadedItem(uuid());
  await api("POST", `/api/media/${item.id}/transcode`, { token: item.token });
  const job = runpod.lastJob();
  const output = videoOutput(job.input);
  await sendCallback(payloadFor(job, { status: "completed", output }));
  await rowWhen(item.id, (r) => r.status === "ready");
  return { ...item, output };
}

describe("admin API behind the dashboard", () => {
  it("needs an admin: no token 401, a creator 403", async () => {
    expect((await api("GET", "/api/admin/overview")).status).toBe(401);
    const creator = await api("GET", "/api/admin/overview", { token: await tokenFor(uuid()) });
    expect(creator.status).toBe(403);
    expect(creator.body.error).toMatchObject({ code: "FORBIDDEN" });
  });

  it("the overview reads the projection: the figures and lists are there", async () => {
    const item = await readyItem();
    const res = await api("GET", "/api/admin/overview", { token: await adminToken() });
    expect(res.status).toBe(200);
    expect(res.body.counts.ready).toBeGreaterThanOrEqual(1);
    expect(res.body.last24h.ready).toBeGreaterThanOrEqual(1);
    expect(res.body.recent.some((r: { id: string }) => r.id === item.id)).toBe(true);
    expect(res.headers.get("cache-control")).toBe("no-store");
  });

  it("one item's row, and 404 / 400 for unknown and malformed ids", async () => {
    const item = await readyItem();
    const admin = await adminToken();
    const res = await api("GET", `/api/admin/media/${item.id}`, { token: admin });
    expect(res.body).toMatchObject({ id: item.id, status: "ready", hlsMasterPlaylistKey: item.output.hlsMasterKey });
    expect((await api("GET", `/api/admin/media/${uuid()}`, { token: admin })).status).toBe(404);
    expect((await api("GET", "/api/admin/media/not-a-uuid", { token: admin })).status).toBe(400);
  });

  it("serves the item's HLS files from storage, and nothing outside its attempt folder", async () => {
    const item = await readyItem();
    await putMedia(item.output.hlsMasterKey, "#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\n720p/index.m3u8\n");
    const admin = await adminToken();
    const get = (path: string) => SELF.fetch(`http://control.test/api/admin/media/${item.id}/files/${path}`, { headers: { authorization: `Bearer ${admin}` } });
    const master = await get("hls/master.m3u8");
    expect(master.status).toBe(200);
    expect(await master.text()).toContain("720p/index.m3u8");
    expect(master.headers.get("cache-control")).toMatch(/^private/);
    expect((await get("hls/720p/seg_00000.ts")).status).toBe(404); // not in storage
    // Encoded separators that would climb out of the folder are refused; dot segments are
    // already resolved by URL parsing and then name nothing this item has.
    expect((await get("hls/..%2F..%2Fother/master.m3u8")).status).toBe(400);
    expect((await get("hls/%2e%2e/%2e%2e/secret")).status).toBe(404);
    expect((await get("waveform")).status).toBe(404); // a video has no waveform
    const creator = await SELF.fetch(`http://control.test/api/admin/media/${item.id}/files/hls/master.m3u8`, { headers: { authorization: `Bearer ${item.token}` } });
    expect(creator.status).toBe(403);
  });
});
