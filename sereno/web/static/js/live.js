// Live video in an <img>: the MJPEG stream of /api/cameras/{id}/live.mjpg, or (where a page shows many cameras)
// the latest snapshot every 2 s. Browsers open at most 6 HTTP/1.1 connections per server and an MJPEG stream holds
// one for as long as it plays, so grids larger than 4 poll snapshots instead; each snapshot is a live-view
// decision in the ledger, hence the slow rate (see docs/web.md).

import { apiUrl } from "./api.js";

export const MAX_STREAMS = 4; // 4 streams + the event stream leave a connection free for the API calls
const SNAPSHOT_INTERVAL_MS = 2000;
const RETRY_MS = 5000;

/** Show camera `cameraId` live in `img`. Returns a function that stops it (and closes the connection). */
export function playLive(img, cameraId, { overlay = false, stream = true, onState } = {}) {
  let stopped = false;
  let timer = null;
  const query = { overlay: overlay ? 1 : 0 };
  const path = (name) => `/api/cameras/${encodeURIComponent(cameraId)}/${name}`;
  const next = () => {
    if (stopped) return;
    img.src = stream ? apiUrl(path("live.mjpg"), query) : apiUrl(path("snapshot.jpg"), { ...query, t: Date.now() });
  };
  img.dataset.stream = "1";
  img.onload = () => {
    onState?.("playing");
    if (!stream && img.isConnected) timer = setTimeout(next, SNAPSHOT_INTERVAL_MS);
  };
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
