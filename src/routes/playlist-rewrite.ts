/**
 * Rewrites an HLS playlist at `path` (inside the item's tree) so that every URI it names, on URI
 * lines and in `URI="…"` attributes (EXT-X-MAP, EXT-X-MEDIA, EXT-X-I-FRAME-STREAM-INF, keys),
 * becomes an absolute path under `base` (`/play/<token>/`): the token travels with every child
 * request whatever the player's URL resolution. A URI that leaves the tree (`..` above the root,
 * another host, an absolute path) is dropped: a playlist must never point a viewer elsewhere.
 */
export function rewritePlaylist(text: string, path: string, base: string): string {
  const dir = path.includes("/") ? path.slice(0, path.lastIndexOf("/") + 1) : "";
  const resolve = (uri: string): string | null => {
    if (/^[a-z][a-z0-9+.-]*:/i.test(uri) || uri.startsWith("/")) return null;
    const [pathPart, ...fragment] = uri.split("#");
    const parts: string[] = [];
    for (const seg of `${dir}${pathPart}`.split("/")) {
      if (seg === "..") {
        if (!parts.length) return null;
        parts.pop();
      } else if (seg !== "." && seg !== "") parts.push(seg);
    }
    return `${base}${parts.join("/")}${fragment.length ? `#${fragment.join("#")}` : ""}`;
  };
  const out: string[] = [];
  for (const line of text.split(/\r?\n/)) {
    const trimmed = line.trim();
    if (!trimmed) {
      out.push(line);
    } else if (trimmed.startsWith("#")) {
      out.push(line.replace(/URI="([^"]*)"/g, (_m, uri: string) => `URI="${resolve(uri) ?? ""}"`));
    } else {
      const resolved = resolve(trimmed);
      // The tag line before a dropped URI would describe nothing: drop it too.
      if (resolved) out.push(resolved);
      else if (out.length && /^#EXT(INF|-X-STREAM-INF)/.test(out.at(-1)!.trim())) out.pop();
    }
  }
  return out.join("\n");
}
