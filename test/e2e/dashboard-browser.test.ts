import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { adminToken, ARTIFACTS, call, corruptFile, creator, env, finished, fixture, openDashboard, putObject, row, upload, useChromium, waitFor } from "./support.ts";

const browser = useChromium();

describe("admin dashboard in Chromium", () => {
  it("lists the items, plays the stream, and its retry button works", async () => {
    const me = await creator();
    const goodId = await upload(env.url, me.token, fixture("small.mp4"));
    await call(env.url, "POST", `/api/media/${goodId}/transcode`, me.token);
    const badId = await upload(env.url, me.token, corruptFile());
    await call(env.url, "POST", `/api/media/${badId}/transcode`, me.token);
    await waitFor(env.url, me.token, goodId, finished);
    expect((await waitFor(env.url, me.token, badId, finished)).status).toBe("failed");

    // The page that holds an admin token runs its own scripts only.
    const csp = (await fetch(`${env.url}/admin/`)).headers.get("content-security-policy") ?? "";
    expect(csp).toContain("script-src 'self';");
    expect(csp).toContain("frame-ancestors 'none'");

    const { page, errors } = await openDashboard(browser(), await adminToken());

    // The overview lists both items, the failure with its code and a retry button.
    await page.locator(`#recent tr[data-id="${goodId}"]`).waitFor();
    await expect.poll(() => page.locator(`#recent tr[data-id="${goodId}"] .pill`).textContent()).toBe("ready");
    const failure = page.locator(`#failures tr[data-id="${badId}"]`);
    await failure.waitFor();
    expect(await failure.textContent()).toContain("INPUT_UNREADABLE");
    await page.screenshot({ path: join(ARTIFACTS, "dashboard-overview.png"), fullPage: true });

    // Put a good original in place, then retry from the dashboard.
    await putObject((await row(badId))!.r2_key, readFileSync(fixture("small.mp4")));
    await failure.locator('button[data-act="retry"]').click();
    await expect.poll(() => page.locator("#toast").textContent()).toContain("Retry started");
    expect(await waitFor(env.url, me.token, badId, finished)).toMatchObject({ status: "ready", retriesUsed: 1 });

    // The item page plays the master playlist through the Worker's admin route.
    await page.goto(`${env.url}/admin/#/media/${goodId}`);
    const video = page.locator("video#player");
    await video.waitFor();
    // Elements are typed loosely here: this file compiles without the DOM library.
    await video.evaluate((v: any) => v.play());
    await expect
      .poll(() => video.evaluate((v: any) => v.currentTime as number), { timeout: 30_000 })
      .toBeGreaterThan(1.5);
    await expect.poll(() => page.locator("#thumb").evaluate((img: any) => img.naturalWidth as number)).toBeGreaterThan(0);
    // Seek previews: hovering the strip shows the storyboard tile of that instant (13 tiles, one a second).
    const seekbar = page.locator("#seekbar");
    await expect.poll(() => seekbar.getAttribute("data-ready")).toBe("13");
    const box = (await seekbar.boundingBox())!;
    await page.mouse.move(box.x + box.width * 0.55, box.y + box.height / 2);
    const preview = page.locator("#seek-preview");
    await preview.waitFor({ state: "visible" });
    const style = await preview.evaluate((el: any) => ({ image: el.style.backgroundImage as string, position: el.style.backgroundPosition as string, width: el.style.width as string }));
    expect(style.image).toMatch(/^url\("?blob:/);
    // 55 % of 13 s is 7.15 s: tile 7, the eighth of the first row of ten (160 px each).
    expect(style).toMatchObject({ position: "-1120px 0px", width: "160px" });
    await page.screenshot({ path: join(ARTIFACTS, "dashboard-item.png") });
    expect(errors).toEqual([]);
    await page.close();
  });

  it("shows a job in flight with its progress, and its cancel button stops it", async () => {
    const me = await creator();
    const id = await upload(env.url, me.token, fixture("hd.mp4"));
    await call(env.url, "POST", `/api/media/${id}/transcode`, me.token);
    const { page } = await openDashboard(browser(), await adminToken());
    const row = page.locator(`#in-flight tr[data-id="${id}"]`);
    await row.waitFor({ timeout: 15_000 });
    expect(await row.locator(".bar").count()).toBe(1);
    // The creator's spending against the per-creator limits (3 in flight, 50 jobs / 24 h by default).
    const creatorRow = page.locator("#creators tr", { hasText: me.id });
    await creatorRow.waitFor();
    expect((await creatorRow.locator("td").allTextContents()).slice(1, 3)).toEqual(["1 / 3", "1 / 50"]);
    await row.locator('button[data-act="cancel"]').click();
    await expect.poll(() => page.locator("#toast").textContent()).toContain("cancelled");
    const s = await waitFor(env.url, me.token, id, finished);
    expect(s).toMatchObject({ status: "failed", error: { code: "CANCELLED" } });
    await page.close();
  });
});
