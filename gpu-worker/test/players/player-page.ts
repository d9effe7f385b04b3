/**
 * What runs in the browser page: load one master with hls.js or shaka-player, play it, then
 * force every variant once and see the clock move on each. Returned, never thrown, so the test
 * can say which output and which player failed and why. Plain JS in a string: this file is
 * compiled without the DOM library.
 */
export const PLAYER_SCRIPT = String.raw`
window.playAll = async function (url, which) {
  const video = document.createElement("video");
  video.muted = true;
  document.body.appendChild(video);
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
  const result = { variants: [], errors, audioTracks: [], textTracks: [], played: false };
  let hls, player;
  try {
    if (which === "hls.js") {
      hls = new Hls({ capLevelToPlayerSize: false });
      hls.on(Hls.Events.ERROR, (_e, d) => { if (d.fatal) errors.push("hls.js " + d.type + " " + d.details); });
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
      await player.attach(video);
      player.addEventListener("error", (e) => errors.push("shaka " + e.detail.code + " " + (e.detail.data || []).join(" ")));
      player.configure({ abr: { enabled: false } });
      await player.load(url);
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
    if (video.error) errors.push("video element error " + video.error.code + " " + video.error.message);
    if (hls) hls.destroy();
    if (player) await player.destroy();
    video.remove();
  }
  return result;
};
`;
