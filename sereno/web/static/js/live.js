// Live video. `playVideo`: the camera's recording stream at its own frame rate, as fragmented MP4 over a WebSocket
// (/api/cameras/{id}/live.ws) into a <video> through Media Source Extensions, with the analysis overlay drawn on a
// <canvas> over it. WebSockets do not count against the 6 HTTP/1.1 connections a browser opens per server, so a
// 16-tile wall holds one per tile. Where MSE or the codec (H.265...) is missing, or the camera is not recorded, it
// falls back to the analysed frames as MJPEG: `playLive` (one <img> per stream) or `playWall` (many cameras over ONE
// event stream, for grids larger than 4).

import { apiUrl } from "./api.js";

export const MAX_STREAMS = 4; // 4 streams + the event stream leave a connection free for the API calls
const RETRY_MS = 5000;
const RECONNECT_MIN_MS = 1000; // the video socket reconnects after 1, 2, 4... s, at most 15 s apart
const RECONNECT_MAX_MS = 15000;
// Latency: the player keeps about TARGET_S of video ahead of the playhead (less and Chromium stalls, waiting for
// more, at every late frame), plays 10 % faster while it has more, and jumps when it is LIVE_EDGE_S behind. A jump
// costs a decode from the previous keyframe, which is why small delays are caught up by speed instead.
const TARGET_S = 0.5;
const CATCH_UP_S = 0.8;
const CATCH_UP_RATE = 1.1;
const LIVE_EDGE_S = 1.5;
// A screen that cannot decode the stream (software decoding, many large tiles) shows a frozen picture; after
// STARVED_CHECKS windows of WATCH_MS in which video arrived but almost no frame was shown, the tile switches to
// the analysed frames as MJPEG (a few frames a second, decoded by the server) and says so in data-fallback.
const WATCH_MS = 5000;
const STARVED_SHOWN = 0.2; // shown / decoded-or-dropped frames below this in a window
const STARVED_CHECKS = 3;
const JUMP_SPACING_MS = 5000; // a screen that cannot decode as fast as the camera sends would only thrash
const KEEP_S = 10; // video kept behind the playhead (the rest is removed from the buffer)
const OVERLAY_HOLD_MS = 1500; // analysis boxes older than this (by the video's clock) are no longer drawn
const SIGNAL_TEXT = { connecting: "wall.connecting", offline: "wall.camera_offline",
  denied: "wall.not_authorised", ended: "wall.feed_ended", "no-signal": "wall.no_signal" };

/** The i18n key of what a player in state `state` shows over its tile ("playing" shows the video itself); `camera`
 * (optional) tells a camera known to be down from one still connecting. */
export function signalText(state, camera) {
  if (state === "connecting" && camera && !["online", "starting"].includes(camera.state)) return "wall.no_signal";
  return SIGNAL_TEXT[state] || "wall.no_signal";
}
const COLOURS = { plate: "#ffd700", person: "#3ca0ff" };
const VEHICLE_COLOUR = "#50dc50";

/** Show camera `cameraId` live in `img` as MJPEG. Returns a function that stops it (and closes the connection). */
export function playLive(img, cameraId, { overlay = false, onState } = {}) {
  let stopped = false;
  let timer = null;
  const query = { overlay: overlay ? 1 : 0 };
  const path = (name) => `/api/cameras/${encodeURIComponent(cameraId)}/${name}`;
  const next = () => {
    if (stopped) return;
    img.src = apiUrl(path("live.mjpg"), query);
  };
  img.dataset.stream = "1";
  img.onload = () => onState?.("playing");
  img.onerror = () => {
    if (stopped || !img.isConnected) return; // a removed tile no longer retries
    onState?.("no-signal");
    timer = setTimeout(next, RETRY_MS);
  };
  next();
  return () => {
    stopped = true;
    clearTimeout(timer);
    img.onload = img.onerror = null;
    img.removeAttribute("src");
  };
}

/**
 * Show many cameras live over one connection: `tiles` is a list of {img, cameraId, onState}. Returns a function
 * that stops them all. The browser's EventSource reconnects by itself after a dropped connection.
 */
export function playWall(tiles, { overlay = false } = {}) {
  const byCamera = new Map();
  for (const tile of tiles) {
    if (!byCamera.has(tile.cameraId)) byCamera.set(tile.cameraId, []);
    byCamera.get(tile.cameraId).push(tile);
    tile.img.dataset.stream = "1";
  }
  if (!byCamera.size) return () => {};
  const source = new EventSource(apiUrl("/api/wall/stream", { camera: [...byCamera.keys()], overlay: overlay ? 1 : 0 }));
  source.addEventListener("frame", (event) => {
    const { camera, jpeg } = JSON.parse(event.data);
    for (const tile of byCamera.get(camera) || []) {
      tile.img.src = `data:image/jpeg;base64,${jpeg}`;
      tile.onState?.("playing");
    }
  });
  source.addEventListener("ended", (event) => {
    for (const tile of byCamera.get(JSON.parse(event.data).camera) || []) tile.onState?.("no-signal");
  });
  source.onerror = () => { for (const list of byCamera.values()) list.forEach((tile) => tile.onState?.("no-signal")); };
  return () => {
    source.close();
    for (const list of byCamera.values()) list.forEach((tile) => tile.img.removeAttribute("src"));
  };
}

function socketUrl(path, query) {
  const url = new URL(apiUrl(path, query), location.href);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  return url.href;
}

function joined(chunks) {
  if (chunks.length === 1) return chunks[0];
  const all = new Uint8Array(chunks.reduce((n, c) => n + c.byteLength, 0));
  let at = 0;
  for (const chunk of chunks) {
    all.set(new Uint8Array(chunk), at);
    at += chunk.byteLength;
  }
  return all;
}

/**
 * Play camera `cameraId` in `box` (a positioned element): <video> from the recording stream, overlay on a <canvas>.
 * `onState(state)`: connecting, playing, offline (no connection to the camera), denied (not authorised: the
 * element's data-error says why), ended (a tablet's grant ran out), no-signal (fallback only).
 * `fallback(img, overlay)` plays the MJPEG fallback in `img` and returns its stop function (default: `playLive`).
 * Returns {video, stop(), setOverlay(on)}.
 */
export function playVideo(box, cameraId, { overlay = false, onState, fallback } = {}) {
  const video = document.createElement("video");
  video.className = "live";
  Object.assign(video, { muted: true, autoplay: true, playsInline: true, disablePictureInPicture: true });
  const canvas = document.createElement("canvas");
  canvas.className = "live-overlay";
  canvas.hidden = !overlay;
  box.prepend(video, canvas);
  const path = `/api/cameras/${encodeURIComponent(cameraId)}/live.ws`;
  const playFallback = fallback || ((img, on) => playLive(img, cameraId, { overlay: on, onState }));

  let socket = null;
  let media = null;
  let buffer = null;
  let queue = [];
  let origin = 0;
  let overlays = [];
  let retryMs = RECONNECT_MIN_MS;
  let timer = null;
  let frameRequest = null;
  let stopped = false;
  let img = null;
  let stopFallback = null;
  let lastJump = -Infinity;
  let drawn = ""; // what the overlay canvas shows now
  let received = 0; // video bytes received since the last watch
  let starved = 0; // consecutive watch windows that showed (almost) nothing
  let quality = { total: 0, dropped: 0 };

  const setState = (state) => { box.dataset.state = state; onState?.(state); };

  function connect() {
    setState("connecting");
    let final = false; // refused, ended or fallen back: no reconnection
    socket = new WebSocket(socketUrl(path, { overlay: overlay ? 1 : 0 }));
    socket.binaryType = "arraybuffer";
    socket.onmessage = (event) => {
      if (typeof event.data !== "string") {
        received += event.data.byteLength;
        queue.push(event.data);
        pump();
        return;
      }
      const message = JSON.parse(event.data);
      if (message.type === "init") {
        if (!startMedia(message)) {
          final = true;
          useFallback();
        }
      } else if (message.type === "overlay") {
        overlays.push(message);
        if (overlays.length > 40) overlays.shift();
        canvas.dataset.overlayAt = String(message.at);
      } else if (message.type === "state") {
        if (message.state === "unavailable") {
          final = true;
          useFallback();
        } else if (message.state === "offline") setState("offline");
      } else if (message.type === "error") {
        final = true;
        box.dataset.error = message.error;
        setState("denied");
      } else if (message.type === "ended") {
        final = true;
        setState("ended");
      }
    };
    socket.onclose = () => {
      if (stopped || final) return;
      setState("connecting");
      timer = setTimeout(connect, retryMs);
      retryMs = Math.min(retryMs * 2, RECONNECT_MAX_MS);
    };
  }

  function startMedia(info) {
    const type = `video/mp4; codecs="${info.codec}"`;
    if (!window.MediaSource || !MediaSource.isTypeSupported(type)) return false;
    closeMedia();
    origin = info.origin;
    video.dataset.origin = String(origin); // stream time of the video's time 0 (ms since 1970)
    queue = []; // the init segment comes next
    quality = { total: 0, dropped: 0 }; // a new source counts its frames from 0
    starved = 0;
    media = new MediaSource();
    video.src = URL.createObjectURL(media);
    media.addEventListener("sourceopen", () => {
      URL.revokeObjectURL(video.src);
      buffer = media.addSourceBuffer(type);
      buffer.mode = "segments"; // the fragments' own times: origin + currentTime is the stream time on screen
      buffer.addEventListener("updateend", pump);
      pump();
    }, { once: true });
    return true;
  }

  function closeMedia() {
    buffer = null;
    media = null;
    video.removeAttribute("src");
    video.load();
  }

  function pump() {
    if (!buffer || buffer.updating || media?.readyState !== "open") return;
    const ranges = buffer.buffered;
    if (ranges.length) {
      const start = ranges.start(ranges.length - 1);
      const end = ranges.end(ranges.length - 1);
      const ahead = end - video.currentTime;
      const mayJump = performance.now() - lastJump > JUMP_SPACING_MS;
      if (video.currentTime < start || (ahead > LIVE_EDGE_S && mayJump)) {
        lastJump = performance.now();
        video.currentTime = Math.max(start, end - TARGET_S);
        video.dataset.jumps = String(Number(video.dataset.jumps || 0) + 1); // counted by benchmarks/live_view.py
      }
      video.playbackRate = ahead > CATCH_UP_S ? CATCH_UP_RATE : 1;
      if (video.paused) video.play().catch(() => {});
      if (video.currentTime - ranges.start(0) > 2 * KEEP_S) {
        buffer.remove(0, video.currentTime - KEEP_S); // pump() runs again at its updateend
        return;
      }
    }
    if (!queue.length) return;
    const data = joined(queue);
    queue = [];
    try {
      buffer.appendBuffer(data);
    } catch (error) { // the buffer is full or the media element failed: start again from the next keyframe
      restart();
    }
  }

  function restart() {
    closeMedia();
    socket?.close(); // onclose reconnects
  }

  function useFallback() {
    closeMedia();
    socket?.close();
    video.hidden = true;
    canvas.hidden = true;
    img = document.createElement("img");
    img.className = "live";
    img.alt = ""; // the tile (or frame) around it says which camera it is
    box.prepend(img);
    stopFallback = playFallback(img, overlay);
  }

  /** Every WATCH_MS: fall back to MJPEG when video keeps arriving but the screen cannot show it. */
  function watchDecoding() {
    if (!buffer || !video.getVideoPlaybackQuality) return;
    if (document.hidden) { // a background tab shows no frames on purpose
      starved = 0;
      return;
    }
    const now = video.getVideoPlaybackQuality();
    const frames = now.totalVideoFrames - quality.total;
    const shown = frames - (now.droppedVideoFrames - quality.dropped);
    quality = { total: now.totalVideoFrames, dropped: now.droppedVideoFrames };
    const arrived = received > 0;
    received = 0;
    starved = arrived && shown < Math.max(1, frames * STARVED_SHOWN) ? starved + 1 : 0;
    if (starved >= STARVED_CHECKS) {
      box.dataset.fallback = "starved";
      useFallback();
    }
  }
  const watcher = setInterval(() => { if (!stopFallback) watchDecoding(); }, WATCH_MS);

  function draw() {
    frameRequest = requestAnimationFrame(draw);
    // The analysed frame on screen: the newest one at or before the video's own stream time.
    const now = origin + video.currentTime * 1000;
    let shown = null;
    for (const item of overlays) if (item.at <= now) shown = item;
    if (shown && now - shown.at > OVERLAY_HOLD_MS) shown = null;
    const width = canvas.clientWidth;
    const height = canvas.clientHeight;
    const ratio = window.devicePixelRatio || 1;
    const key = `${shown?.at} ${width}x${height} ${video.videoWidth}`;
    if (key === drawn) return; // redrawn only when the boxes or the size change
    drawn = key;
    if (canvas.width !== Math.round(width * ratio) || canvas.height !== Math.round(height * ratio)) {
      canvas.width = Math.round(width * ratio);
      canvas.height = Math.round(height * ratio);
    }
    const context = canvas.getContext("2d");
    if (!context) { // Chromium gives none while it restores a lost canvas (memory pressure): try next frame
      drawn = "";
      return;
    }
    context.setTransform(ratio, 0, 0, ratio, 0, 0);
    context.clearRect(0, 0, width, height);
    canvas.dataset.boxes = "0";
    if (!shown || !video.videoWidth) return;
    const scale = Math.min(width / video.videoWidth, height / video.videoHeight); // object-fit: contain
    const left = (width - video.videoWidth * scale) / 2;
    const top = (height - video.videoHeight * scale) / 2;
    const sx = (video.videoWidth * scale) / shown.width;
    const sy = (video.videoHeight * scale) / shown.height;
    const font = Math.max(11, Math.round(width / 70));
    context.font = `600 ${font}px system-ui, sans-serif`;
    context.lineWidth = Math.max(1.5, width / 600);
    const outline = ([x1, y1, x2, y2], colour, text, below) => {
      const x = left + x1 * sx;
      const y = top + y1 * sy;
      context.strokeStyle = colour;
      context.strokeRect(x, y, (x2 - x1) * sx, (y2 - y1) * sy);
      const textWidth = context.measureText(text).width + 6;
      const ty = below ? top + y2 * sy + 2 : Math.max(0, y - font - 4);
      context.fillStyle = colour;
      context.fillRect(x, ty, textWidth, font + 4);
      context.fillStyle = "#000";
      context.fillText(text, x + 3, ty + font);
    };
    for (const o of shown.objects) outline(o.box, COLOURS[o.label] || VEHICLE_COLOUR, `${o.label} ${o.score.toFixed(2)}`, false);
    for (const p of shown.plates) {
      outline(p.box, COLOURS.plate, p.text ? `${p.text} ${p.confidence.toFixed(2)}` : "plate", true);
    }
    canvas.dataset.boxes = String(shown.objects.length + shown.plates.length);
  }

  function setOverlay(on) {
    overlay = on;
    if (stopFallback) {
      stopFallback();
      stopFallback = playFallback(img, on);
      return;
    }
    canvas.hidden = !on;
    if (socket?.readyState === WebSocket.OPEN) socket.send(JSON.stringify({ overlay: on }));
    cancelAnimationFrame(frameRequest);
    overlays = [];
    drawn = "";
    if (on) draw();
  }

  video.addEventListener("playing", () => {
    retryMs = RECONNECT_MIN_MS;
    setState("playing");
  });
  video.addEventListener("error", () => { if (media && !stopped) restart(); });
  connect();
  if (overlay) draw();
  return {
    video,
    setOverlay,
    stop() {
      stopped = true;
      clearTimeout(timer);
      clearInterval(watcher);
      cancelAnimationFrame(frameRequest);
      socket?.close();
      stopFallback?.();
      closeMedia();
      video.remove();
      canvas.remove();
      img?.remove();
    },
  };
}
