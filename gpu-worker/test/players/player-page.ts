/**
 * What runs in the browser page: load one master with hls.js or shaka-player, play it, then
 * force every variant once and see the clock move on each. Returned, never thrown, so the test
 * can say which output and which player failed and why. Plain JS in a string: this file is
 * compiled without the DOM library.
 */
export const PLAYER_SCRIPT = String.raw`
function watchHlsErrors(hls, video, errors, appendRaces, checks, result = {}) {
  // Every error event counts, fatal or not: a non-fatal one is a stall or a refetch a viewer feels.
  hls.on(Hls.Events.ERROR, (_e, d) => {
    const what = "hls.js " + (d.fatal ? "fatal " : "") + d.type + " " + d.details +
      (d.frag ? " " + d.frag.type + " level " + d.frag.level + " sn " + d.frag.sn : "") + (d.error ? " (" + d.error.message + ")" : "");
    // "aborted" is hls.js's INTERNAL_ABORTED: a load it cancelled itself because the viewer
    // seeked or a level was forced (playAcross does both); not a fault of the stream.
    if (d.details === "aborted" && !d.fatal) return;
    // On a growing (EVENT) stream a player that catches up with the encode waits for the next
    // segment: hls.js says bufferStalledError. Counted apart there (and still an error on a
    // finished stream); whether it then plays to the end is what the test asserts.
    if (result.growing && d.details === "bufferStalledError" && !d.fatal) return void result.stalls.push(what);
    if (d.details !== "bufferAppendNoProgress" || !d.frag) return void errors.push(what);
    // hls.js 1.7.4 (its new no-progress check, PR #7941) also raises this when it judges a
    // fragment before that fragment's own append has finished: seen on playlists of one
    // segment, where end-of-stream follows at once. What tells the two apart is the buffer
    // itself: look once the append has had 250 ms; a fragment whose media really is short
    // (as when the first picture came 2 frames late) is still short then.
    const from = d.frag.start;
    const to = d.frag.start + d.frag.duration;
    checks.push(new Promise((resolve) => setTimeout(() => {
      const b = video.buffered;
      let covered = false;
      for (let i = 0; i < b.length; i++) if (b.start(i) <= from + 0.05 && b.end(i) >= to - 0.05) covered = true;
      if (covered) appendRaces.push(what); else errors.push(what + " buffered " + JSON.stringify([...Array(b.length)].map((_, i) => [b.start(i), b.end(i)])));
      resolve();
    }, 250)));
  });
}

/** shaka-player on the element, every error recorded, ABR off (variants are forced), the master loaded (from "start", when given). */
async function loadShaka(player, video, url, errors, start) {
  await player.attach(video);
  player.addEventListener("error", (e) => errors.push("shaka " + e.detail.code + " " + (e.detail.data || []).join(" ")));
  player.configure({ abr: { enabled: false } });
  await player.load(url, start);
}

/**
 * What shaka asked for and when, and what the element did: the playlists it re-reads are how it
 * follows a growing item, so a run that ends early or never hears of a 404 can be read back.
 */
function traceShaka(player, video, trace) {
  const t0 = Date.now();
  const at = () => ((Date.now() - t0) / 1000).toFixed(2) + "s v" + video.currentTime.toFixed(2);
  player.getNetworkingEngine().registerRequestFilter((type, req) => {
    if (type === shaka.net.NetworkingEngine.RequestType.MANIFEST) trace.push(at() + " get " + req.uris[0].split("/").slice(-2).join("/").split("?")[0]);
  });
  player.getNetworkingEngine().registerResponseFilter((type, res) => {
    if (type === shaka.net.NetworkingEngine.RequestType.MANIFEST) trace.push(at() + " got " + res.uri.split("/").slice(-2).join("/").split("?")[0] + " " + (res.status || "") + (res.fromCache ? " cache" : "") + " " + (/ENDLIST/.test(new TextDecoder().decode(res.data)) ? "end" : "open"));
  });
  for (const name of ["error", "buffering", "manifestupdated", "loaded"]) player.addEventListener(name, (e) => trace.push(at() + " " + name + (e.detail ? " " + (e.detail.code || "") : "") + (name === "buffering" ? " " + e.buffering : "")));
  for (const name of ["pause", "ended", "waiting", "durationchange"]) video.addEventListener(name, () => trace.push(at() + " video " + name + " d" + video.duration));
}

/** A muted video element in the page. */
function newVideo() {
  const video = document.createElement("video");
  video.muted = true;
  document.body.appendChild(video);
  return video;
}

/**
 * hls.js or shaka-player on the element with the master loaded, and each variant as something
 * to pick and to check. The players go into "open" as soon as they exist, for the teardown.
 * "start": where to begin (0 on a growing EVENT playlist, where both would start near its live edge).
 */
async function openVariants(which, url, video, errors, result, checks, open, start) {
  if (which === "hls.js") {
    const hls = (open.hls = new Hls({ capLevelToPlayerSize: false, ...(start === undefined ? {} : { startPosition: start }) }));
    watchHlsErrors(hls, video, errors, result.appendRaces, checks, result);
    await new Promise((resolve) => { hls.on(Hls.Events.MANIFEST_PARSED, resolve); hls.loadSource(url); hls.attachMedia(video); });
    return hls.levels.map((l, i) => ({ height: l.height, pick: () => { hls.currentLevel = i; }, on: () => hls.currentLevel === i }));
  }
  shaka.polyfill.installAll();
  const player = (open.player = new shaka.Player());
  if (result.trace) traceShaka(player, video, result.trace);
  await loadShaka(player, video, url, errors, start);
  const heights = [...new Set(player.getVariantTracks().map((t) => t.height))];
  return heights.map((h) => ({
    height: h,
    pick: () => player.selectVariantTrack(player.getVariantTracks().find((t) => t.height === h), true),
    on: () => { const a = player.getVariantTracks().find((t) => t.active); return !!a && a.height === h; },
  }));
}

/** After a run: the pending buffer checks, the element's own error, then both players gone. */
async function teardown(video, hls, player, checks, errors) {
  await Promise.all(checks);
  if (video.error) errors.push("video element error " + video.error.code + " " + video.error.message);
  if (hls) hls.destroy();
  if (player) await player.destroy();
  video.remove();
}

window.playAll = async function (url, which) {
  const video = newVideo();
  const errors = [];
  const advance = (seconds, timeoutMs) => new Promise((resolve) => {
    const from = video.currentTime;
    const started = Date.now();
    const tick = () => {
      if (video.currentTime - from >= seconds) return resolve(true);
      if (Date.now() - started > timeoutMs) return resolve(false);
      setTimeout(tick, 50);
    };
    tick();
  });
  const checks = [];
  const result = { variants: [], errors, appendRaces: [], audioTracks: [], textTracks: [], played: false };
  let hls, player;
  try {
    if (which === "hls.js") {
      hls = new Hls({ capLevelToPlayerSize: false });
      watchHlsErrors(hls, video, errors, result.appendRaces, checks);
      await new Promise((resolve, reject) => {
        hls.on(Hls.Events.MANIFEST_PARSED, resolve);
        setTimeout(() => reject(new Error("manifest not parsed in 10 s")), 10000);
        hls.loadSource(url);
        hls.attachMedia(video);
      });
      result.audioTracks = hls.audioTracks.map((t) => t.lang + ":" + t.name + (t.default ? "*" : ""));
      result.textTracks = hls.subtitleTracks.map((t) => t.lang + ":" + t.name);
      await video.play();
      result.played = await advance(0.5, 15000);
      for (let i = 0; i < hls.levels.length; i++) {
        hls.currentLevel = i;
        const moved = await advance(0.5, 15000);
        result.variants.push({ height: hls.levels[i].height, ok: moved && hls.currentLevel === i });
        if (video.duration - video.currentTime < 1.5) video.currentTime = 0;
      }
      if (hls.subtitleTracks.length) {
        // The first subtitle track on, then what is showing at 1 s and at 3 s of the picture.
        hls.subtitleDisplay = true;
        hls.subtitleTrack = 0;
        result.cues = [];
        for (const at of [1, 3]) {
          video.currentTime = at;
          const started = Date.now();
          let text = null;
          while (Date.now() - started < 10000 && !text) {
            await new Promise((r) => setTimeout(r, 100));
            const track = [...video.textTracks].find((t) => t.mode === "showing");
            const active = track && track.activeCues && track.activeCues[0];
            text = active ? active.text : null;
          }
          result.cues.push(text);
        }
        video.currentTime = 0;
      }
      for (let i = 0; i < hls.audioTracks.length; i++) {
        hls.audioTrack = i;
        const moved = await advance(0.5, 15000);
        result.variants.push({ audio: i, ok: moved && hls.audioTrack === i });
        if (video.duration - video.currentTime < 1.5) video.currentTime = 0;
      }
    } else {
      shaka.polyfill.installAll();
      player = new shaka.Player();
      await loadShaka(player, video, url, errors);
      result.audioTracks = player.getAudioTracks().map((t) => t.language + ":" + (t.label || "") + (t.active ? "*" : ""));
      result.textTracks = player.getTextTracks().map((t) => t.language + ":" + (t.label || ""));
      await video.play();
      result.played = await advance(0.5, 15000);
      const heights = [...new Set(player.getVariantTracks().map((t) => t.height))];
      for (const h of heights) {
        const track = player.getVariantTracks().find((t) => t.height === h);
        player.selectVariantTrack(track, true);
        const moved = await advance(0.5, 15000);
        const active = player.getVariantTracks().find((t) => t.active);
        result.variants.push({ height: h, ok: moved && active && active.height === h });
        if (video.duration - video.currentTime < 1.5) video.currentTime = 0;
      }
      const audioTracks = player.getAudioTracks();
      if (audioTracks.length > 1) {
        for (const track of audioTracks) {
          player.selectAudioTrack(track);
          const moved = await advance(0.5, 15000);
          const active = player.getAudioTracks().find((t) => t.active);
          result.variants.push({ audio: track.language, ok: moved && active && active.language === track.language });
          if (video.duration - video.currentTime < 1.5) video.currentTime = 0;
        }
      }
    }
  } catch (e) {
    errors.push(which + " threw " + (e && (e.code ? "code " + e.code + " " + JSON.stringify(e.data) : e.message)));
  } finally {
    await teardown(video, hls, player, checks, errors);
  }
  return result;
};

/**
 * Every variant forced in turn, played across each join of a stitched output: from half a
 * second before it to past it. Returned per variant and join, never thrown.
 */
window.playAcross = async function (url, which, joins) {
  const video = newVideo();
  const errors = [];
  const checks = [];
  const result = { crossings: [], errors, appendRaces: [] };
  const across = (at, timeoutMs) => new Promise((resolve) => {
    const started = Date.now();
    const tick = () => {
      if (video.currentTime >= at + 0.3) return resolve(true);
      if (Date.now() - started > timeoutMs) return resolve(false);
      setTimeout(tick, 50);
    };
    tick();
  });
  const open = {};
  try {
    const variants = await openVariants(which, url, video, errors, result, checks, open);
    await video.play();
    for (const v of variants) {
      v.pick();
      for (const at of joins) {
        video.currentTime = Math.max(0, at - 0.5);
        const ok = await across(at, 15000);
        result.crossings.push({ height: v.height, at, ok: ok && v.on() });
      }
    }
  } catch (e) {
    errors.push(which + " threw " + (e && (e.code ? "code " + e.code + " " + JSON.stringify(e.data) : e.message)));
  } finally {
    await teardown(video, open.hls, open.player, checks, errors);
  }
  return result;
};

/**
 * An item that is playable but not ready (README "Playable while it transcodes"): its playlists
 * are EVENT playlists that grow. Starts at 0 (a player would start near the live edge), plays
 * on at normal speed, forces each variant in turn for a stretch, and goes on to the end, over
 * what lands after it started, until the element ends (the playlists got EXT-X-ENDLIST). The
 * page's own clock says when it started playing and when it ended, for the test to set beside
 * the item's status. Returned, never thrown.
 */
window.playGrowing = async function (url, which, opts) {
  const video = newVideo();
  const errors = [];
  const checks = [];
  const result = { errors, appendRaces: [], variants: [], playingAt: null, endedAt: null, lastTime: 0, duration: null, waits: 0, growing: true, stalls: [], trace: [] };
  const until = (check, timeoutMs) => new Promise((resolve) => {
    const started = Date.now();
    const tick = () => {
      if (check()) return resolve(true);
      if (Date.now() - started > timeoutMs) return resolve(false);
      setTimeout(tick, 50);
    };
    tick();
  });
  video.addEventListener("waiting", () => result.waits++);
  const open = {};
  try {
    const variants = await openVariants(which, url, video, errors, result, checks, open, 0);
    await video.play();
    if (await until(() => video.currentTime > 0.3, 20000)) result.playingAt = Date.now();
    // Each variant forced for a stretch of playing time, none skipped ahead: the clock must move on each.
    for (const v of variants) {
      v.pick();
      const from = video.currentTime;
      const moved = await until(() => video.currentTime - from >= opts.stretchSeconds, opts.timeoutMs);
      result.variants.push({ height: v.height, ok: moved && v.on(), at: from });
    }
    // The end: the element's "ended", or its clock at the item's last frame (a player that began on
    // a live playlist need not end the media source when the playlist gets EXT-X-ENDLIST).
    const ended = await until(() => video.ended || video.currentTime >= opts.endSeconds - 0.25, opts.timeoutMs);
    if (ended) result.endedAt = Date.now();
    result.ended = video.ended;
    result.lastTime = video.currentTime;
    result.duration = video.duration;
    const b = video.buffered;
    result.state = { paused: video.paused, readyState: video.readyState, buffered: [...Array(b.length)].map((_, i) => [b.start(i), b.end(i)]), live: open.player ? open.player.isLive() : open.hls ? !!(open.hls.levels[open.hls.currentLevel] || {}).details?.live : null };
  } catch (e) {
    errors.push(which + " threw " + (e && (e.code ? "code " + e.code + " " + JSON.stringify(e.data) : e.message)));
  } finally {
    await teardown(video, open.hls, open.player, checks, errors);
  }
  return result;
};

/**
 * A playable item that fails while being watched: plays until the player says the stream is
 * gone (hls.js: a fatal error; shaka: an error event) or the time runs out. Answers what it said,
 * how far it played, and whether the clock stopped (no picture from nowhere).
 */
window.playUntilGone = async function (url, which, timeoutMs) {
  const video = newVideo();
  const result = { playing: false, gone: null, lastTime: 0, stopped: false, trace: [] };
  let hls, player;
  let loaded;
  const gone = new Promise((resolve) => {
    if (which === "hls.js") {
      hls = new Hls({ startPosition: 0 });
      hls.on(Hls.Events.ERROR, (_e, d) => d.fatal && resolve("hls.js fatal " + d.type + " " + d.details + (d.response ? " " + d.response.code : "")));
      loaded = new Promise((r) => hls.on(Hls.Events.MANIFEST_PARSED, r));
      hls.loadSource(url);
      hls.attachMedia(video);
    } else {
      shaka.polyfill.installAll();
      player = new shaka.Player();
      traceShaka(player, video, result.trace);
      player.addEventListener("error", (e) => resolve("shaka " + e.detail.code + " " + (e.detail.data || []).slice(1, 2).join(" ")));
      loaded = player.attach(video).then(() => player.load(url, 0)).catch((e) => resolve("shaka load " + (e && e.code)));
    }
  });
  await Promise.race([loaded, gone]);
  video.play().catch(() => {});
  const started = Date.now();
  await new Promise((resolve) => { const t = () => (video.currentTime > 0.3 || Date.now() - started > 20000 ? resolve() : setTimeout(t, 50)); t(); });
  result.playing = video.currentTime > 0.3;
  result.gone = await Promise.race([gone, new Promise((r) => setTimeout(() => r(null), timeoutMs))]);
  // Once gone, the clock may run out what is buffered, then stops for good (within 30 s).
  for (let i = 0, still = 0; i < 60 && still < 4; i++) {
    const a = video.currentTime;
    await new Promise((r) => setTimeout(r, 500));
    still = video.currentTime - a < 0.05 ? still + 1 : 0;
    result.stopped = still >= 4;
  }
  result.lastTime = video.currentTime;
  if (hls) hls.destroy();
  if (player) await player.destroy();
  video.remove();
  return result;
};
`;
