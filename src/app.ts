import { Hono } from "hono";
import { requestId } from "hono/request-id";
import { configFrom } from "./config.ts";
import { notFound, onError } from "./http/errors.ts";
import type { AppEnv } from "./http/types.ts";
import { adminRoutes } from "./routes/admin.ts";
import { mediaRoutes } from "./routes/media.ts";
import { clipRoutes } from "./routes/clips.ts";
import { playRoutes } from "./routes/play.ts";
import { callbackRoutes } from "./routes/callbacks.ts";
import { docsPage } from "./http/docs-page.ts";
import { openApiDocument } from "./openapi/document.ts";

export function createApp() {
  const app = new Hono<AppEnv>();
  app.use(requestId());
  app.use(async (c, next) => {
    c.set("config", configFrom(c.env));
    await next();
    c.header("x-request-id", c.get("requestId"));
  });
  app.get("/health", (c) => c.json({ ok: true }));
  let doc: ReturnType<typeof openApiDocument> | null = null;
  app.get("/api/openapi.json", (c) => {
    doc ??= openApiDocument(new URL(c.req.url).origin);
    c.header("cache-control", "public, max-age=300");
    return c.json(doc);
  });
  // The reference page (Scalar): one pinned build of its script, by SRI hash, under a strict CSP.
  app.get("/api/docs", docsPage);
  app.route("/api/media", mediaRoutes);
  app.route("/api/media", clipRoutes);
  app.route("/api/transcoding/webhook", callbackRoutes);
  app.route("/api/admin", adminRoutes);
  // Players on the platform's pages fetch across origins: its refusals too (a 404 once an item
  // fails, a 403 once a token expires) must be readable, or a player sees only "failed to fetch".
  app.use("/play/*", async (c, next) => {
    await next();
    c.res.headers.set("access-control-allow-origin", "*");
  });
  app.route("/play", playRoutes);
  app.onError(onError);
  app.notFound(notFound);
  return app;
}
