import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { adminToken, ARTIFACTS, env, finished, fixture, openDashboard, platformHooks, useChromium, waitFor } from "./support.ts";

const browser = useChromium();

describe("the dashboard's uploader and webhook log in Chromium", () => {
  it("a file dropped on the page is uploaded in parts and transcoded, with the poster frame, loudness and MP4 download chosen on the page; the item page links the download", async () => {
    const admin = await adminToken();
    const { page, errors } = await openDashboard(browser(), admin);
    await page.locator("#drop").waitFor();
    await page.locator("#poster-seconds").fill("4");
    await page.locator("#keep-loudness").check();
    await page.locator("#mp4-downloads").selectOption("highest");
    // A real drop event, carrying the fixture as a File (as a desktop drag would).
    const bytes = readFileSync(fixture("small.mp4")).toString("base64");
    const dataTransfer = await page.evaluateHandle((b64: string) => {
      const g = globalThis as any;
      const dt = new g.DataTransfer();
      dt.items.add(new g.File([Uint8Array.from(g.atob(b64), (c: string) => c.charCodeAt(0))], "dropped.mp4", { type: "video/mp4", lastModified: Date.now() }));
      return dt;
    }, bytes);
    await page.dispatchEvent("#drop", "drop", { dataTransfer });
    const row = page.locator(".upload[data-id]", { hasText: "dropped.mp4" });
    await expect.poll(() => row.getAttribute("data-state"), { timeout: 30_000 }).toBe("uploaded · transcoding");
    expect(await row.getAttribute("data-percent")).toBe("100");
    const id = (await row.getAttribute("data-id"))!;
    const done = await waitFor(env.url, admin, id, finished);
    expect(done).toMatchObject({ status: "ready", normalizeAudio: false, requestedThumbnailSeconds: 4 });
    expect(done.output.thumbnailSeconds).toBeCloseTo(4, 1);
    await page.goto(`${env.url}/admin/#/media/${id}`);
    await expect.poll(() => page.locator("dd.thumbnail-at").textContent(), { timeout: 10_000 }).toContain("asked for 4.0 s");
    expect(await page.locator("dd.loudness").textContent()).toContain("the upload's, kept");
    // Its download, linked with the viewer's token the page's player got.
    expect(done.downloads.map((d: { name: string }) => d.name)).toEqual(["360p.mp4"]);
    const link = page.locator('a[data-download="360p.mp4"]');
    await expect.poll(() => link.getAttribute("href"), { timeout: 10_000 }).toMatch(/\/play\/[^/]+\/download\/360p\.mp4$/);
    const saved = await fetch((await link.getAttribute("href"))!);
    expect(saved.status).toBe(200);
    expect(saved.headers.get("content-disposition")).toContain('filename="dropped-360p.mp4"');
    expect((await saved.arrayBuffer()).byteLength).toBe(done.downloads[0].bytes);
    expect(errors).toEqual([]);
    await page.close();
  });

  it("an upload cut off after 3 parts resumes after a reload with only the missing parts, then is transcoded; the item page shows its webhooks and redelivers one", async () => {
    const admin = await adminToken();
    const { page, errors } = await openDashboard(browser(), admin);
    await page.locator("#drop").waitFor();

    // The network dies after three parts.
    let sent = 0;
    await page.route(/partNumber=/, (route) => (sent++ < 3 ? route.continue() : route.abort("connectionreset")));
    await page.locator("#file").setInputFiles(fixture("small.mp4"));
    const first = page.locator(".upload[data-id]").first();
    await expect.poll(() => first.getAttribute("data-state"), { timeout: 20_000 }).toMatch(/^stopped/);
    const id = (await first.getAttribute("data-id"))!;
    await page.unroute(/partNumber=/);

    // After a reload the page remembers it; choosing the file again sends only what is missing.
    await page.reload();
    await page.locator(`[data-pending="${id}"]`).waitFor();
    const putParts: string[] = [];
    page.on("request", (r) => r.method() === "PUT" && /partNumber=/.test(r.url()) && putParts.push(new URL(r.url()).searchParams.get("partNumber")!));
    await page.locator("#file").setInputFiles(fixture("small.mp4"));
    const resumed = page.locator(`.upload[data-id="${id}"]`).first();
    await expect.poll(() => resumed.getAttribute("data-state"), { timeout: 30_000 }).toBe("uploaded · transcoding");
    const status: any = await (await fetch(`${env.url}/api/media/${id}/transcoding-status`, { headers: { authorization: `Bearer ${admin}` } })).json();
    expect(status.status === "transcoding" || status.status === "ready").toBe(true);
    expect(putParts.length).toBeGreaterThan(0);
    expect(putParts).not.toContain("1");
    await page.screenshot({ path: join(ARTIFACTS, "dashboard-uploader.png") });
    expect(await waitFor(env.url, admin, id, finished)).toMatchObject({ status: "ready" });

    // The item page: its deliveries to the platform, and a redeliver of media.ready.
    await page.goto(`${env.url}/admin/#/media/${id}`);
    const ready = page.locator('#deliveries tr[data-outcome="delivered"]', { hasText: "media.ready" });
    await ready.waitFor({ timeout: 20_000 });
    const messageId = (await ready.getAttribute("data-message"))!;
    expect(await page.locator('#deliveries tr[data-outcome="delivered"]').count()).toBeGreaterThanOrEqual(4);
    await ready.locator('button[data-act="redeliver"]').click();
    await expect.poll(() => page.locator("#toast").textContent()).toContain("Redelivery queued");
    await expect.poll(async () => (await platformHooks(id)).filter((h) => h.id === messageId).length, { timeout: 20_000 }).toBe(2);
    // The player plays through the viewers' route (/play/<token>/…).
    const video = page.locator("video#player");
    await video.waitFor();
    expect(await video.getAttribute("data-src")).toMatch(/\/play\/[^/]+\/master\.m3u8$/);
    await video.evaluate((v: any) => v.play());
    await expect.poll(() => video.evaluate((v: any) => v.currentTime as number), { timeout: 30_000 }).toBeGreaterThan(1);
    await page.screenshot({ path: join(ARTIFACTS, "dashboard-webhooks.png"), fullPage: true });
    expect(errors).toEqual([]);
    await page.close();
  });
});
