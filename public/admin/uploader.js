// The dashboard's uploader: the resumable multipart API, the way a creator's app would use it.
// A file is registered, sent in parts straight to object storage (4 at a time), completed and
// triggered. Each upload is remembered in localStorage by the file's name, size and date: after a
// reload, choosing the same file again resumes it (only the parts storage lacks are sent).
"use strict";

(() => {
  const panel = document.getElementById("uploader");
  const drop = document.getElementById("drop");
  const input = document.getElementById("file");
  const list = document.getElementById("uploads");
  const bearer = () => sessionStorage.getItem("adminToken");
  const STORE = "dashboardUploads";
  const PARALLEL = 4;
  const BATCH = 100;

  const remembered = () => JSON.parse(localStorage.getItem(STORE) || "{}");
  const remember = (fp, v) => localStorage.setItem(STORE, JSON.stringify({ ...remembered(), [fp]: v }));
  const forget = (fp) => {
    const all = remembered();
    delete all[fp];
    localStorage.setItem(STORE, JSON.stringify(all));
  };
  const fingerprint = (f) => `${f.name}|${f.size}|${f.lastModified}`;
  const escape = (s) => String(s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);

  async function call(method, path, body) {
    const res = await fetch(path, {
      method,
      headers: { authorization: `Bearer ${bearer()}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = await res.json().catch(() => null);
    if (!res.ok) throw Object.assign(new Error(json?.error?.message || `HTTP ${res.status}`), { status: res.status });
    return json;
  }

  function row(file) {
    const el = document.createElement("div");
    el.className = "upload";
    el.innerHTML = `<div><strong>${escape(file.name)}</strong> <span class="muted state">starting…</span></div><div class="bar"><span></span></div>`;
    list.prepend(el);
    return {
      el,
      progress(done, total) {
        el.querySelector(".bar span").style.width = `${((done / total) * 100).toFixed(1)}%`;
        el.dataset.percent = String(Math.round((done / total) * 100));
      },
      state(text, bad) {
        const s = el.querySelector(".state");
        s.textContent = text;
        s.classList.toggle("error", !!bad);
        el.dataset.state = text;
      },
    };
  }

  async function send(file) {
    const fp = fingerprint(file);
    const ui = row(file);
    try {
      let id = remembered()[fp]?.id;
      let resumed = !!id;
      if (id) {
        // Still open? Otherwise start that item's upload again.
        await call("GET", `/api/media/${id}/upload`).catch(() => call("POST", `/api/media/${id}/upload`));
      } else {
        const mediaType = file.type.startsWith("audio/") ? "audio" : "video";
        // The registration's choices, from the panel above the drop zone.
        const normalizeAudio = !document.getElementById("keep-loudness").checked;
        const poster = document.getElementById("poster-seconds").value;
        const downloads = { mp4: document.getElementById("mp4-downloads").value, audio: document.getElementById("m4a-download").checked };
        const choices = { normalizeAudio, downloads, ...(poster === "" ? {} : { thumbnailSeconds: Number(poster) }) };
        const reg = await call("POST", "/api/media", { mediaType, filename: file.name, size: file.size, contentType: file.type || `${mediaType}/mp4`, ...choices });
        id = reg.id;
        remember(fp, { id, name: file.name, at: Date.now() });
      }
      ui.el.dataset.id = id;
      const status = await call("GET", `/api/media/${id}/upload`);
      const have = new Set(status.parts.map((p) => p.partNumber));
      let done = status.parts.reduce((n, p) => n + p.size, 0);
      ui.progress(done, file.size);
      ui.state(resumed ? `resuming: ${have.size} of ${status.partCount} parts already there` : `uploading ${status.partCount} parts`);
      const todo = Array.from({ length: status.partCount }, (_, i) => i + 1).filter((n) => !have.has(n));
      for (let b = 0; b < todo.length; b += BATCH) {
        const { parts } = await call("POST", `/api/media/${id}/upload/parts`, { partNumbers: todo.slice(b, b + BATCH) });
        const queue = [...parts];
        await Promise.all(
          Array.from({ length: PARALLEL }, async () => {
            for (let p = queue.shift(); p; p = queue.shift()) {
              const start = (p.partNumber - 1) * status.partSize;
              const blob = file.slice(start, Math.min(file.size, start + status.partSize));
              const res = await fetch(p.url, { method: "PUT", body: blob });
              if (!res.ok) throw new Error(`part ${p.partNumber}: storage answered ${res.status}`);
              done += blob.size;
              ui.progress(done, file.size);
            }
          }),
        );
      }
      ui.state("checking…");
      await call("POST", `/api/media/${id}/upload-complete`);
      forget(fp);
      await call("POST", `/api/media/${id}/transcode`);
      ui.state("uploaded · transcoding");
      ui.el.insertAdjacentHTML("beforeend", `<a href="#/media/${id}">open</a>`);
    } catch (e) {
      ui.state(`stopped: ${e.message}. Choose the same file again to resume.`, true);
    }
  }

  function showPending() {
    const pending = Object.values(remembered());
    for (const p of pending) {
      if (list.querySelector(`[data-pending="${CSS.escape(p.id)}"]`)) continue;
      list.insertAdjacentHTML("beforeend", `<div class="upload muted" data-pending="${escape(p.id)}">Unfinished: <strong>${escape(p.name)}</strong>: choose it again to resume.</div>`);
    }
  }

  input.addEventListener("change", () => {
    for (const f of input.files) {
      list.querySelector(`[data-pending="${CSS.escape(remembered()[fingerprint(f)]?.id ?? "")}"]`)?.remove();
      send(f);
    }
    input.value = "";
  });
  drop.addEventListener("dragover", (e) => (e.preventDefault(), drop.classList.add("over")));
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (e) => {
    e.preventDefault();
    drop.classList.remove("over");
    for (const f of e.dataTransfer.files) send(f);
  });
  // Or an original copied from a URL by the service (POST /api/media with `url`), with the same choices; its page shows the copy.
  document.getElementById("ingest-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const url = document.getElementById("ingest-url").value.trim();
    const mediaType = /\.(mp3|m4a|aac|wav|flac|ogg|opus)(\?|$)/i.test(url) ? "audio" : "video";
    const poster = document.getElementById("poster-seconds").value;
    const downloads = { mp4: document.getElementById("mp4-downloads").value, audio: document.getElementById("m4a-download").checked };
    const body = { mediaType, url, transcode: true, normalizeAudio: !document.getElementById("keep-loudness").checked, downloads, ...(poster === "" ? {} : { thumbnailSeconds: Number(poster) }) };
    try {
      const made = await call("POST", "/api/media", body);
      location.hash = `#/media/${made.id}`;
    } catch (err) {
      const box = document.createElement("div");
      box.className = "upload error ingest-refused";
      box.textContent = `${url}: ${err.message}`;
      list.prepend(box);
    }
  });
  const show = () => {
    panel.hidden = !bearer() || /^#\/media\//.test(location.hash);
    if (!panel.hidden) showPending();
  };
  window.addEventListener("hashchange", show);
  setInterval(show, 2000);
  show();
})();
