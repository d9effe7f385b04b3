import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { z } from "zod";
import { createApp } from "../../src/app.ts";
import { ROUTES } from "../../src/openapi/document.ts";
import { mediaPage, mediaStatus, playbackToken, registered, uploadInfo, deliveryLog } from "../../src/openapi/schemas.ts";
import { adminToken, api, useFakeRunpod, readyItem, registered as register, tokenFor, uuid } from "./helpers.ts";

const runpod = useFakeRunpod();

/** Hono's `/api/media/:id/files/*` as OpenAPI writes it. */
const openApiPath = (p: string) => p.replace(/:(\w+)/g, "{$1}").replace(/\/\*$/, "/{path}");

describe("the OpenAPI document", () => {
  it("is served at /api/openapi.json (3.1) and describes every route the app serves, and nothing it does not", async () => {
    const res = await SELF.fetch("http://control.test/api/openapi.json");
    expect(res.status).toBe(200);
    const doc = (await res.json()) as { openapi: string; paths: Record<string, Record<string, unknown>> };
    expect(doc.openapi).toBe("3.1.0");
    const documented = new Set(Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`)));
    const served = new Set(
      createApp()
        .routes.filter((r) => r.method !== "ALL")
        .map((r) => `${r.method} ${openApiPath(r.path)}`),
    );
    expect([...served].filter((r) => !documented.has(r))).toEqual([]);
    expect([...documented].filter((r) => !served.has(r))).toEqual([]);
    const page = await SELF.fetch("http://control.test/api/docs");
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain("/api/openapi.json");
    // One pinned build of Scalar's script, by SRI hash, and nothing else may run (the page shares the dashboard's origin).
    expect(html).toMatch(/<script src="https:\/\/cdn\.jsdelivr\.net\/npm\/@scalar\/api-reference@\d+\.\d+\.\d+\/dist\/browser\/standalone\.js" integrity="sha384-[A-Za-z0-9+/=]{64}" crossorigin="anonymous"/);
    const csp = page.headers.get("content-security-policy") ?? "";
    const nonce = /'nonce-([^']+)'/.exec(csp)?.[1];
    expect(nonce).toBeTruthy();
    expect(csp).toContain("default-src 'none'");
    expect(html.match(/<script\b[^>]*>/g)!.every((tag) => tag.includes(`nonce="${nonce}"`))).toBe(true);
  });

  it("every example in it validates against the schema it illustrates", async () => {
    const doc = (await (await SELF.fetch("http://control.test/api/openapi.json")).json()) as any;
    let checked = 0;
    for (const route of ROUTES) {
      const op = doc.paths[route.path][route.method];
      const schema = ((route.request?.body?.content?.["application/json"] as { schema?: unknown } | undefined)?.schema ?? null) as z.ZodType | null;
      const example = op.requestBody?.content?.["application/json"]?.schema?.example;
      if (schema && example !== undefined) {
        expect(schema.safeParse(example).success, `${route.method} ${route.path}`).toBe(true);
        checked++;
      }
      for (const [status, response] of Object.entries(route.responses)) {
        const rs = (response as any).content?.["application/json"]?.schema as z.ZodType | undefined;
        const ex = op.responses[status]?.content?.["application/json"]?.schema?.example ?? doc.components?.schemas?.[(op.responses[status]?.content?.["application/json"]?.schema?.$ref ?? "").split("/").pop()]?.example;
        if (rs && ex !== undefined) {
          expect(rs.safeParse(ex).success, `${route.method} ${route.path} ${status}`).toBe(true);
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThanOrEqual(5);
  });

  it("the answers the API really gives match the response schemas in it", async () => {
    const { item } = await readyItem(runpod);
    const status = await api("GET", `/api/media/${item.id}/transcoding-status`, { token: item.token });
    expect(mediaStatus.safeParse(status.body).error).toBeUndefined();
    expect(mediaPage.safeParse((await api("GET", "/api/media", { token: item.token })).body).error).toBeUndefined();
    const minted = await api("POST", `/api/media/${item.id}/playback-token`, { token: item.token });
    expect(playbackToken.safeParse(minted.body).error).toBeUndefined();
    expect(deliveryLog.safeParse((await api("GET", `/api/admin/media/${item.id}/webhooks`, { token: await adminToken() })).body).error).toBeUndefined();
    const token = await tokenFor(uuid());
    const reg = await register(token, 100_000);
    expect(registered.safeParse(reg).error).toBeUndefined();
    expect(uploadInfo.safeParse((await api("GET", `/api/media/${reg.id}/upload`, { token })).body).error).toBeUndefined();
  });
});
