import { Scalar } from "@scalar/hono-api-reference";
import type { Context } from "hono";

/**
 * The API reference page (Scalar). It shares the dashboard's origin, where an admin token sits in
 * sessionStorage, so nothing runs on it but one published build of Scalar's script, pinned by
 * version and by its SRI hash (sha384 of dist/browser/standalone.js in the npm tarball of
 * @scalar/api-reference 1.76.4), and the page's own inline start-up script, by nonce.
 */
export const SCALAR_SCRIPT = "https://cdn.jsdelivr.net/npm/@scalar/api-reference@1.76.4/dist/browser/standalone.js";
const SCALAR_SRI = "sha384-hwB9WroDTpZaI38gr+u9CXA6ksz5gUYgD2GxXazKl/agT1L2GWUiRFWGJYNiFu4Q";

const csp = (nonce: string) =>
  [
    "default-src 'none'",
    `script-src 'nonce-${nonce}' ${SCALAR_SCRIPT}`,
    // Scalar injects its styles and loads its fonts from its own font host.
    "style-src 'self' 'unsafe-inline' https://fonts.scalar.com",
    "font-src https://fonts.scalar.com data:",
    "img-src 'self' data: https:",
    // The document, and "try it" requests to this API.
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join("; ");

export async function docsPage(c: Context): Promise<Response> {
  const nonce = btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(16))));
  const rendered = (await Scalar({ url: "/api/openapi.json", pageTitle: "Media transcoder API", cdn: SCALAR_SCRIPT, nonce })(c, async () => {})) as Response;
  const html = (await rendered.text()).replace(`<script src="${SCALAR_SCRIPT}"`, `<script src="${SCALAR_SCRIPT}" integrity="${SCALAR_SRI}" crossorigin="anonymous"`);
  return c.html(html, 200, { "content-security-policy": csp(nonce), "x-content-type-options": "nosniff", "referrer-policy": "no-referrer" });
}
