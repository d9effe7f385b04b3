// Admin dashboard: reads /api/admin/* (the Postgres projection) and acts through the public API.
"use strict";

const app = document.getElementById("app");
const live = document.getElementById("live");
let timer = null;
let player = null;
/** What the player plays: the item and attempt, and its signed URLs. */
let playing = null;

// ---- auth: a token entered once per browser tab (or handed over in the URL fragment) ----------
function takeTokenFromHash() {
  const m = /[#&?]token=([^&]+)/.exec(location.hash);
  if (!m) return;
  sessionStorage.setItem("adminToken", decodeURIComponent(m[1]));
  history.replaceState(null, "", location.pathname + location.hash.replace(/[?&]token=[^&]+/, "").replace(/#token=[^&]+&?/, "#"));
}
const token = () => sessionStorage.getItem("adminToken");

function askToken(message) {
  const dialog = document.getElementById("login");
  document.getElementById("login-error").textContent = message || "";
  if (!dialog.open) dialog.showModal();
}
document.getElementById("login-form").addEventListener("submit", () => {
  sessionStorage.setItem("adminToken", document.getElementById("token").value.trim());
  route();
});
document.getElementById("signout").addEventListener("click", () => {
  sessionStorage.removeItem("adminToken");
  askToken();
});

async function api(method, path, payload) {
  const headers = { authorization: `Bearer ${token()}`, ...(payload === undefined ? {} : { "content-type": "application/json" }) };
  const res = await fetch(path, { method, headers, body: payload === undefined ? undefined : JSON.stringify(payload) });
  const body = await res.json().catch(() => null);
  if (res.status === 401 || res.status === 403) {
    askToken(body?.error?.message || "This token is not an admin token");
    throw new Error("unauthorised");
  }
  if (!res.ok) throw Object.assign(new Error(body?.error?.message || `HTTP ${res.status}`), { status: res.status, body });
  return body;
}

// ---- helpers ---------------------------------------------------------------------------------
const esc = (s) => String(s ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
const pct = (x) => (x === null || x === undefined ? "—" : `${(x * 100).toFixed(1)} %`);
const secs = (s) => (s === null || s === undefined ? "—" : s < 90 ? `${s.toFixed(1)} s` : `${(s / 60).toFixed(1)} min`);
const ago = (iso) => {
  if (!iso) return "—";
  const d = (Date.now() - new Date(iso).getTime()) / 1000;
  return d < 60 ? `${Math.max(0, Math.round(d))} s ago` : d < 3600 ? `${Math.round(d / 60)} min ago` : d < 86400 ? `${Math.round(d / 3600)} h ago` : new Date(iso).toLocaleString();
};
const pill = (status) => `<span class="pill ${esc(status)}">${esc(status)}</span>`;
/** A split video's chunks: how many are in, out of how many. */
const chunksLine = (secs) => (Array.isArray(secs) ? `<div class="muted chunks">${secs.filter((s) => s !== null).length}/${secs.length} chunks</div>` : "");
const bar = (p) => `<div class="bar" title="${p ?? 0} %"><span style="width:${Math.max(0, Math.min(100, p ?? 0))}%"></span></div>`;
const rows = (list, cols, empty) => (list.length ? list.map(cols).join("") : `<tr><td colspan="9" class="empty">${empty}</td></tr>`);
const lufs = (v) => (v === null || v === undefined ? "—" : (v / 100).toFixed(2));

function toast(text, bad) {
  const el = document.getElementById("toast");
  el.textContent = text;
  el.style.borderColor = bad ? "var(--bad)" : "var(--line)";
  el.classList.add("show");
  setTimeout(() => el.classList.remove("show"), 4000);
}

async function act(kind, id, button) {
  button.disabled = true;
  try {
    if (kind === "redeliver") {
      await api("POST", `/api/admin/media/${id}/webhooks/${button.dataset.message}/redeliver`, { subscriber: button.dataset.subscriber });
      toast("Redelivery queued (same webhook-id)");
      return void refresh();
    }
    if (kind === "poster" || kind === "downloads") {
      // A touch-up of the ready item: a small job; the page shows it running, then its result.
      const body = kind === "poster"
        ? { seconds: Number(document.getElementById("poster-at").value) }
        : { mp4: document.getElementById("touch-mp4").value, audio: document.getElementById("touch-m4a").checked };
      await api("POST", `/api/media/${id}/${kind === "poster" ? "thumbnail" : "downloads"}`, body);
      toast(kind === "poster" ? `New poster frame at ${body.seconds} s asked for` : "Downloads asked for");
      return void refresh();
    }
    if (kind === "clip") {
      // A new item cut from this one: off to its page, where it transcodes like any upload.
      const range = { startSeconds: Number(document.getElementById("clip-start").value), endSeconds: Number(document.getElementById("clip-end").value) };
      const clip = await api("POST", `/api/media/${id}/clips`, range);
      toast(`Clip ${range.startSeconds}–${range.endSeconds} s: ${clip.status}`);
      location.hash = `#/media/${clip.mediaId}`;
      return;
    }
    const path = kind === "retry" ? `/api/media/${id}/retry-transcoding` : `/api/media/${id}/cancel-transcoding`;
    const s = await api("POST", path);
    toast(kind === "retry" ? `Retry started (attempt ${s.retriesUsed + 1})` : "Job cancelled");
    refresh();
  } catch (e) {
    if (e.message !== "unauthorised") toast(e.message, true);
    button.disabled = false;
  }
}
app.addEventListener("click", (e) => {
  const b = e.target.closest("button[data-act]");
  if (b) act(b.dataset.act, b.dataset.id, b);
});

// ---- overview --------------------------------------------------------------------------------
const bytes = (n) => {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) (n /= 1024), i++;
  return `${Math.round(n * 10) / 10} ${units[i]}`;
};
/** "used / limit", marked once the creator has reached the limit. */
const usage = (used, limit, fmt = String) => `<span class="${used >= limit ? "at-limit" : ""}">${fmt(used)} / ${fmt(limit)}</span>`;
function overviewView(d) {
  const c = d.counts;
  const total = Object.values(c).reduce((a, b) => a + b, 0);
  const card = (label, value, sub = "") => `<div class="card"><div class="label">${label}</div><div class="value">${value}</div><div class="sub">${sub}</div></div>`;
  const name = (r) => `<a href="#/media/${r.id}">${esc(r.originalFilename)}</a> <span class="muted">${esc(r.mediaType)}</span>`;
  return `
  <h1>Overview</h1>
  <div class="grid">
    ${card("Items", total, ["ready", "transcoding", "failed", "uploaded"].map((s) => `${s} ${c[s] ?? 0}`).join(" · "))}
    ${card("In flight", c.transcoding ?? 0, `${c.uploaded ?? 0} waiting for a trigger`)}
    ${card("Success 24 h", pct(d.last24h.successRate), `${d.last24h.ready} ready · ${d.last24h.failed} failed`)}
    ${card("Success 7 d", pct(d.last7d.successRate), `${d.last7d.ready} ready · ${d.last7d.failed} failed`)}
    ${card("Time to ready p50", secs(d.timeToReady.p50Seconds), `trigger → ready, ${d.timeToReady.samples} items, 7 d`)}
    ${card("Time to ready p95", secs(d.timeToReady.p95Seconds), "trigger → ready, 7 d")}
  </div>
  <div class="section">
    <h2>Jobs in flight</h2>
    <table id="in-flight"><thead><tr><th>Item</th><th>Phase</th><th style="width:30%">Progress</th><th class="num">%</th><th>Started</th><th></th></tr></thead><tbody>
    ${rows(d.inFlight, (r) => `<tr data-id="${r.id}"><td>${name(r)}</td><td>${esc(r.phase ?? "queued")}${r.playableAt ? ` <span class="pill ready playable" title="playable for ${secs(r.playableSeconds)}">playable</span>` : ""}${chunksLine(r.chunkEncodeSeconds)}</td><td>${bar(r.percent)}</td><td class="num">${r.percent ?? 0}</td><td>${ago(r.startedAt)}</td>
      <td><button class="danger" data-act="cancel" data-id="${r.id}">Cancel</button></td></tr>`, "Nothing is transcoding.")}
    </tbody></table>
  </div>
  <div class="cols">
    <div class="section">
      <h2>Recent failures</h2>
      <table id="failures"><thead><tr><th>Item</th><th>Error</th><th>When</th><th></th></tr></thead><tbody>
      ${rows(d.recentFailures, (r) => `<tr data-id="${r.id}"><td>${name(r)}</td><td><span class="code">${esc(r.errorCode)}</span><div class="muted">${esc((r.error ?? "").slice(0, 140))}</div></td><td>${ago(r.finishedAt)}</td>
        <td>${r.retriesUsed < 1 ? `<button data-act="retry" data-id="${r.id}">Retry</button>` : `<span class="muted" title="The one retry is spent">retried</span>`}</td></tr>`, "No failures.")}
      </tbody></table>
    </div>
    <div class="section">
      <h2>Failure reasons</h2>
      <table><thead><tr><th>Code</th><th class="num">24 h</th><th class="num">7 d</th></tr></thead><tbody>
      ${rows(d.failureReasons, (r) => `<tr><td class="code">${esc(r.code)}</td><td class="num">${r.last24h}</td><td class="num">${r.last7d}</td></tr>`, "None in 7 days.")}
      </tbody></table>
    </div>
  </div>
  <div class="section">
    <h2>Creators against their limits</h2>
    <table id="creators"><thead><tr><th>Creator</th><th class="num">Jobs in flight</th><th class="num">Jobs 24 h</th><th class="num">Uploaded 24 h</th></tr></thead><tbody>
    ${rows(d.creators, (r) => `<tr><td class="code">${esc(r.creatorId)}</td>
      <td class="num">${usage(r.jobsInFlight, d.limits.jobsInFlight)}</td>
      <td class="num">${usage(r.jobsLast24h, d.limits.jobsPerDay)}</td>
      <td class="num">${usage(r.uploadBytesLast24h, d.limits.uploadBytesPerDay, bytes)}</td></tr>`, "No activity in 24 hours.")}
    </tbody></table>
    <p class="muted">Limits per creator: ${d.limits.jobsInFlight} jobs in flight, ${d.limits.jobsPerDay} jobs, ${d.limits.registrationsPerDay} registrations and ${bytes(d.limits.uploadBytesPerDay)} uploaded per 24 h, ${d.limits.openUploads} uploads open at once; beyond them the API answers 429 with Retry-After.</p>
  </div>
  <div class="section">
    <h2>Recently updated</h2>
    <table id="recent"><thead><tr><th>Item</th><th>Status</th><th class="num">Duration</th><th class="num">Attempts</th><th>Updated</th></tr></thead><tbody>
    ${rows(d.recent, (r) => `<tr data-id="${r.id}"><td>${name(r)}</td><td>${pill(r.status)}</td><td class="num">${secs(r.durationSeconds)}</td><td class="num">${r.retriesUsed}</td><td>${ago(r.updatedAt)}</td></tr>`, "No media yet.")}
    </tbody></table>
  </div>`;
}

// ---- one item --------------------------------------------------------------------------------
async function authedBlobUrl(path) {
  const res = await fetch(path, { headers: { authorization: `Bearer ${token()}` } });
  if (!res.ok) return null;
  return URL.createObjectURL(await res.blob());
}

/** Cues of a storyboard WebVTT: [{ start, end, x, y, w, h }]. */
function storyboardCues(vtt) {
  const t = (s) => s.split(":").reduce((acc, p) => acc * 60 + Number(p), 0);
  return [...vtt.matchAll(/^([\d:.]+) --> ([\d:.]+)\s*\n\S*#xywh=(\d+),(\d+),(\d+),(\d+)/gm)].map((m) => ({
    start: t(m[1]), end: t(m[2]), x: +m[3], y: +m[4], w: +m[5], h: +m[6],
  }));
}

/** Seek previews: hovering the strip under the player shows the storyboard tile of that instant; a click seeks there. */
async function startStoryboard(id, urls) {
  const bar = document.getElementById("seekbar");
  const preview = document.getElementById("seek-preview");
  const video = document.getElementById("player");
  if (!bar || !preview || !video) return;
  const [image, res] = await Promise.all([
    authedBlobUrl(`/api/admin/media/${id}/files/storyboard`),
    fetch(urls.storyboard),
  ]);
  if (!image || !res.ok) return;
  const cues = storyboardCues(await res.text());
  const total = () => (Number.isFinite(video.duration) && video.duration > 0 ? video.duration : cues.at(-1)?.end ?? 0);
  const at = (e) => Math.max(0, Math.min(1, (e.clientX - bar.getBoundingClientRect().left) / bar.clientWidth)) * total();
  bar.dataset.ready = String(cues.length);
  bar.addEventListener("mousemove", (e) => {
    const t = at(e);
    const cue = cues.find((c) => t >= c.start && t < c.end) ?? cues.at(-1);
    if (!cue) return;
    Object.assign(preview.style, {
      backgroundImage: `url(${image})`,
      backgroundPosition: `-${cue.x}px -${cue.y}px`,
      width: `${cue.w}px`,
      height: `${cue.h}px`,
      left: `${Math.max(0, Math.min(bar.clientWidth - cue.w, e.clientX - bar.getBoundingClientRect().left - cue.w / 2))}px`,
    });
    preview.dataset.time = t.toFixed(1);
    preview.hidden = false;
  });
  bar.addEventListener("mouseleave", () => (preview.hidden = true));
  bar.addEventListener("click", (e) => (video.currentTime = at(e)));
}

/**
 * The item's page drawn anew around a player that is playing: the title, the column under the
 * video and the facts are replaced; the video element is never taken out of the page (that
 * would interrupt its playback). The webhook log keeps its own refresh.
 */
function redrawAroundPlayer(r) {
  const next = document.createElement("div");
  next.innerHTML = itemView(r);
  document.getElementById("item-title").replaceWith(next.querySelector("#item-title"));
  const col = document.getElementById("media-col");
  for (const el of [...col.children]) if (el.id !== "player") el.remove();
  for (const el of [...next.querySelector("#media-col").children]) if (el.id !== "player") col.appendChild(el);
  document.getElementById("item-info").replaceWith(next.querySelector("#item-info"));
}

/** A ready item's touch-ups: a new poster frame (video), downloads; the one running or the last that failed. */
function touchUpForm(r) {
  const t = r.touchUp;
  const state = !t ? "" : t.status === "running" ? `<span class="pill transcoding touch-up">touch-up running</span>` : `<span class="pill failed touch-up" title="${esc(t.error?.message ?? "")}">touch-up failed: ${esc(t.error?.code ?? "")}</span>`;
  const busy = t && t.status === "running" ? " disabled" : "";
  return `<p class="touch-up-form">${state}
    ${r.mediaType === "video" ? `Poster at <input type="number" id="poster-at" min="0" step="0.1" value="${r.thumbnailSeconds ?? 0}" size="6"> s <button data-act="poster" data-id="${r.id}"${busy}>Set poster</button>` : ""}
    Downloads <select id="touch-mp4"><option value="none">no MP4</option><option value="highest">highest MP4</option><option value="all">every MP4</option></select>
    <label><input type="checkbox" id="touch-m4a"> M4A</label> <button data-act="downloads" data-id="${r.id}"${busy}>Make downloads</button></p>`;
}

/** A viewer can play the item: ready, or still encoding but playable (its playlists grow as it goes). */
const canPlay = (r) => r.status === "ready" || (r.status === "transcoding" && !!r.playableAt);

function itemView(r) {
  const variants = (r.readyVariants || []).map((v) => `<span class="pill">${esc(v)}</span>`).join("") || '<span class="muted">none yet</span>';
  return `
  <h1 id="item-title">${esc(r.originalFilename)} ${pill(r.status)}</h1>
  <div class="item">
    <div id="media-col">
      ${canPlay(r) ? `<video id="player" controls muted playsinline></video>${r.status === "ready" && r.storyboardKey ? `<div id="seekbar" class="seekbar" title="Seek previews"><div id="seek-preview" class="seek-preview" hidden></div></div>` : ""}` : ""}
      ${r.status === "ready" ? "" : `<div class="section">${r.status === "transcoding" ? `${esc(r.transcodingPhase ?? "queued")} ${bar(r.transcodingPercent)}${r.playableAt ? ` <span class="muted" id="playable-note">playable: ${secs(r.playableSeconds)} so far</span>` : ""}` : `<span class="muted">No stream: the item is ${esc(r.status)}.</span>`}</div>`}
      ${r.waveformImageKey ? `<h2 style="margin-top:16px">Waveform</h2><img class="media-img" id="waveform" alt="waveform">` : ""}
    </div>
    <div class="section" id="item-info">
      ${r.thumbnailKey ? `<img class="media-img" id="thumb" alt="thumbnail" style="margin-bottom:12px">` : ""}
      <dl>
        <dt>Id</dt><dd class="code">${esc(r.id)}</dd>
        <dt>Type</dt><dd>${esc(r.mediaType)}</dd>
        <dt>Duration</dt><dd>${secs(r.durationSeconds)}</dd>
        <dt>Size</dt><dd>${r.width ? `${r.width}×${r.height}` : "—"}</dd>
        <dt>Variants</dt><dd class="tags">${variants}</dd>
        <dt>Loudness</dt><dd class="loudness">${r.loudnessIntegrated === null ? "—" : `${lufs(r.loudnessIntegrated)} LUFS · ${lufs(r.loudnessPeak)} dBTP · ${lufs(r.loudnessRange)} LU`} <span class="muted">${r.normalizeAudio === false ? "(the upload's, kept)" : "(the upload's; outputs at −16 LUFS)"}</span></dd>
        ${r.clipSourceMediaId ? `<dt>Clip of</dt><dd class="clip-of"><a href="#/media/${esc(r.clipSourceMediaId)}">${esc(r.clipSourceMediaId.slice(0, 8))}…</a> ${secs(r.clipStartSeconds)}–${secs(r.clipEndSeconds)}</dd>` : ""}
        ${r.ingest ? `<dt>Copy from URL</dt><dd class="ingest" data-status="${esc(r.ingest.status)}">${esc(r.ingest.origin ?? "")} · ${esc(r.ingest.status)}${r.ingest.status === "running" ? ` ${bytes(r.ingest.bytes)}${r.ingest.totalBytes ? ` of ${bytes(r.ingest.totalBytes)}` : ""}` : ""}${r.ingest.error ? ` <span class="code">${esc(r.ingest.error.code)}</span> ${esc(r.ingest.error.message)}` : ""}</dd>` : ""}
        <dt>Encoder</dt><dd>${esc(r.encoder ?? "—")}</dd>
        ${(r.downloads || []).length ? `<dt>Downloads</dt><dd class="downloads">${r.downloads.map((d) => `<a data-download="${esc(d.name)}" download>${esc(d.name)}</a> <span class="muted">${bytes(d.bytes)}</span>`).join(" · ")}</dd>` : ""}
        ${r.playableAt ? `<dt>Playable</dt><dd class="playable">${ago(r.playableAt)} · ${secs(r.playableSeconds)}</dd>` : ""}
        ${r.chunkEncodeSeconds ? `<dt>Chunks</dt><dd class="chunks">${r.chunkEncodeSeconds.length} chunks · encode s ${esc(r.chunkEncodeSeconds.map((s) => (s === null ? "…" : s.toFixed(1))).join(", "))}</dd>` : ""}
        ${r.thumbnailSeconds === null ? "" : `<dt>Thumbnail at</dt><dd class="thumbnail-at">${secs(r.thumbnailSeconds)} <span class="muted">${r.requestedThumbnailSeconds == null ? "(10 % of the video)" : `(asked for ${secs(r.requestedThumbnailSeconds)})`}</span></dd>`}
        ${(r.subtitles || []).length ? `<dt>Subtitles</dt><dd class="tags">${r.subtitles.map((s) => `<span class="pill" title="${esc(s.codec)}">${esc(s.name)}${s.status === "skipped" ? " (skipped)" : ""}</span>`).join("")}</dd>` : ""}
        <dt>Attempts</dt><dd>${r.transcodingAttempts} (retries left ${Math.max(0, 1 - r.transcodingAttempts)})</dd>
        <dt>Job</dt><dd class="code">${esc(r.runpodJobId ?? "—")}</dd>
        <dt>Started</dt><dd>${ago(r.transcodingStartedAt)}</dd>
        <dt>Finished</dt><dd>${ago(r.transcodingFinishedAt)}</dd>
        ${r.transcodingError ? `<dt>Error</dt><dd class="error"><span class="code">${esc(r.transcodingErrorCode)}</span> ${esc(r.transcodingError)}</dd>` : ""}
        <dt>Mezzanine</dt><dd>${esc(r.mezzanineStatus ?? "—")}</dd>
      </dl>
      <p>
        ${r.status === "failed" && r.transcodingAttempts < 1 ? `<button data-act="retry" data-id="${r.id}">Retry</button>` : ""}
        ${r.status === "transcoding" ? `<button class="danger" data-act="cancel" data-id="${r.id}">Cancel</button>` : ""}
      </p>
      ${r.status === "ready" ? touchUpForm(r) : ""}
      ${r.status === "ready" && r.durationSeconds ? `<p class="clip-form">Clip from <input type="number" id="clip-start" min="0" step="0.1" value="0" size="6"> to <input type="number" id="clip-end" min="1" step="0.1" value="${Math.min(10, Math.floor(r.durationSeconds * 10) / 10)}" size="6"> s <button data-act="clip" data-id="${r.id}">Make a clip</button></p>` : ""}
    </div>
  </div>
  <h2>Webhooks to the platform</h2>
  <div class="section" id="webhooks"><span class="muted">Loading…</span></div>`;
}

/** The item's outbound webhook deliveries: queued first, then settled, each try's answer, a redeliver button. */
function webhooksView(w) {
  if (!w.subscribers.length) return `<span class="muted">No subscriber is configured (PLATFORM_WEBHOOK_URLS).</span>`;
  const tries = (d) => d.attempts.map((a) => `<span class="pill ${a.status && a.status < 300 ? "ready" : "failed"}" title="${esc(a.at)} · ${a.ms} ms">${esc(a.status ?? a.error ?? "?")}</span>`).join("");
  return `<table id="deliveries"><thead><tr><th>Event</th><th>Subscriber</th><th>Outcome</th><th>Tries</th><th>Next try</th><th></th></tr></thead><tbody>
    ${rows(w.deliveries, (d) => `<tr data-message="${esc(d.messageId)}" data-outcome="${esc(d.outcome)}"><td><span class="code">${esc(d.type)}</span><br><span class="muted code">${esc(d.messageId)}</span></td><td class="code">${esc(d.subscriber)}</td><td>${pill(d.outcome === "delivered" ? "ready" : d.outcome === "pending" ? "transcoding" : "failed")} ${esc(d.outcome)}</td><td class="tags">${tries(d)}</td><td>${d.nextAttemptAt ? ago(d.nextAttemptAt).replace(" ago", "") : "—"}</td><td>${d.outcome === "pending" ? "" : `<button data-act="redeliver" data-id="${esc(w.mediaId)}" data-message="${esc(d.messageId)}" data-subscriber="${esc(d.subscriber)}">Redeliver</button>`}</td></tr>`, "Nothing sent yet.")}
    </tbody></table>`;
}

async function refreshWebhooks(id) {
  const el = document.getElementById("webhooks");
  if (!el) return;
  const w = await api("GET", `/api/admin/media/${id}/webhooks`).catch(() => null);
  if (!w) return;
  const html = webhooksView(w);
  if (el.dataset.html !== html) (el.innerHTML = html), (el.dataset.html = html);
}

/** A viewer's signed playback URLs for this item (what the Access Service would hand a player). */
async function playback(id) {
  return api("POST", `/api/media/${id}/playback-token`, { expiresInSeconds: 3600, viewerId: "admin-dashboard" });
}

/** The download links, from the viewer's token the player got (the same URL a platform would hand out). */
function fillDownloads(urls) {
  for (const a of document.querySelectorAll("a[data-download]")) a.href = urls.hls.replace(/master\.m3u8$/, `download/${a.dataset.download}`);
}

async function startPlayer(id, urls) {
  const video = document.getElementById("player");
  if (!video) return;
  const src = urls.hls;
  video.dataset.src = src;
  if (window.Hls && window.Hls.isSupported()) {
    // The token is in the path: no header to add, every child URI carries it.
    // From the start, also on a growing (EVENT) playlist, where hls.js would otherwise start near its live edge.
    player = new window.Hls({ startPosition: 0 });
    player.loadSource(src);
    player.attachMedia(video);
    player.on(window.Hls.Events.ERROR, (_e, data) => data.fatal && toast(`Player: ${data.details}`, true));
  } else {
    toast("This browser cannot play HLS with hls.js", true);
  }
}

// ---- routing and refresh ---------------------------------------------------------------------
let shown = null;
/**
 * One refresh at a time (a second asked for meanwhile runs once the first is done), and an answer
 * for a page the viewer has left is dropped: a timer's overview landing after a click to an item
 * redrew the page under the viewer, resetting what they were typing.
 */
let refreshing = null;
let refreshAgain = false;
function refresh() {
  if (refreshing) return void (refreshAgain = true);
  refreshing = refreshOnce().finally(() => {
    refreshing = null;
    if (refreshAgain) (refreshAgain = false), refresh();
  });
}
async function refreshOnce() {
  const hash = location.hash;
  const m = /^#\/media\/([0-9a-f-]{36})/.exec(hash);
  try {
    if (m) {
      const r = await api("GET", `/api/admin/media/${m[1]}`);
      if (location.hash !== hash) return;
      // A touch-up (running, failed, its result: a new thumbnail, downloads) changes a ready item's page too.
      const touched = `${r.touchUp ? `${r.touchUp.id}:${r.touchUp.status}` : ""}:${r.thumbnailKey}:${(r.downloads || []).length}:${r.ingest ? `${r.ingest.status}:${r.ingest.bytes}` : ""}`;
      const key = `${r.id}:${r.status}:${r.transcodingPercent}:${r.transcodingAttempts}:${r.playableSeconds}:${touched}`;
      if (shown !== key) {
        const same = shown && shown.startsWith(`${r.id}:${r.status}:`) && r.status === "ready";
        if (same && playing && document.getElementById("player")) {
          // Everything but the player: the touch-up's state, the new thumbnail, the download links.
          redrawAroundPlayer(r);
          if (playing.urls) fillDownloads(playing.urls);
          if (r.storyboardKey && playing.urls && playing.urls.storyboard) startStoryboard(r.id, playing.urls);
          if (r.thumbnailKey) authedBlobUrl(`/api/admin/media/${r.id}/files/thumbnail`).then((u) => { const img = document.getElementById("thumb"); if (u && img) img.src = u; });
        }
        if (!same) {
          // The player that started at `playable` plays on through `ready`: everything around it is redrawn, never its element.
          const key = `${r.id}:${r.attemptId}`;
          if (canPlay(r) && playing && playing.key === key && document.getElementById("player")) {
            redrawAroundPlayer(r);
            if (r.status === "ready" && r.storyboardKey && playing.urls && playing.urls.storyboard) startStoryboard(r.id, playing.urls);
            if (playing.urls) fillDownloads(playing.urls);
          } else {
            if (player) player.destroy(), (player = null);
            playing = null;
            app.innerHTML = itemView(r);
            if (canPlay(r)) {
              playing = { key, urls: null };
              playback(r.id).then((p) => {
                if (!playing || playing.key !== key) return;
                playing.urls = p.urls;
                startPlayer(r.id, p.urls);
                fillDownloads(p.urls);
                if (r.status === "ready" && r.storyboardKey && p.urls.storyboard) startStoryboard(r.id, p.urls);
              }, (e) => toast(`Playback: ${e.message}`, true));
            }
          }
          // The page may have moved on by the time an image arrives: fill it only if it is still there.
          const fill = (elId) => (u) => {
            const img = document.getElementById(elId);
            if (u && img) img.src = u;
          };
          if (r.thumbnailKey) authedBlobUrl(`/api/admin/media/${r.id}/files/thumbnail`).then(fill("thumb"));
          if (r.waveformImageKey) authedBlobUrl(`/api/admin/media/${r.id}/files/waveform-image`).then(fill("waveform"));
        }
        shown = key;
      }
      await refreshWebhooks(r.id);
    } else {
      const data = await api("GET", "/api/admin/overview");
      if (location.hash !== hash) return;
      // Redraw only when something changed, so a button is never swapped out under a click.
      const key = JSON.stringify({ ...data, generatedAt: null });
      if (shown !== key) app.innerHTML = overviewView(data);
      shown = key;
    }
    live.classList.remove("stale");
    document.getElementById("signout").hidden = false;
  } catch (e) {
    live.classList.add("stale");
    if (e.message !== "unauthorised") app.innerHTML = `<p class="error">${esc(e.message)}</p>`;
  }
}

function route() {
  takeTokenFromHash();
  clearInterval(timer);
  shown = null;
  if (player) player.destroy(), (player = null);
  playing = null;
  if (!token()) return askToken();
  document.getElementById("login").close();
  refresh();
  timer = setInterval(refresh, 2000);
}
window.addEventListener("hashchange", route);
route();
