// Live video in <img> elements: the MJPEG stream of /api/cameras/{id}/live.mjpg for one camera, or, where a page
// shows many, /api/wall/stream: every camera's frames over ONE event stream. Browsers open at most 6 HTTP/1.1
// connections per server and an MJPEG stream holds one for as long as it plays, so grids larger than 4 share one.

import { apiUrl } from "./api.js";

export const MAX_STREAMS = 4; // 4 streams + the event stream leave a connection free for the API calls
const RETRY_MS = 5000;

/** Show camera `cameraId` live in `img`. Returns a function that stops it (and closes the connection). */
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
