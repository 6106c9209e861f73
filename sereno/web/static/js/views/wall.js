// The video wall: 1, 4, 9 or 16 cameras live, each tile with its camera picker and state badge; the analysis
// overlay (boxes, plate text) on or off for all. The layout is remembered on this screen. A click opens the camera.
// Each tile plays the camera's recording stream over its own WebSocket (live.js playVideo); a camera that cannot be
// played so falls back to MJPEG, which in a grid larger than 4 shares ONE event stream with the other fallbacks.

import { h, fill } from "../dom.js";
import { onEvent } from "../events.js";
import { t } from "../i18n.js";
import { MAX_STREAMS, playVideo, playWall, signalText } from "../live.js";
import { loadOrExplain, stateBadge } from "../ui.js";

const STORAGE_KEY = "sereno.wall";
const SIZES = [1, 4, 9, 16];

/** MJPEG fallbacks of a large grid over ONE event stream: `add(tile, overlay)` returns the tile's stop function. */
function sharedFallback() {
  const tiles = new Set();
  let overlay = false;
  let stop = null;
  let timer = null;
  const restart = () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      stop?.();
      stop = tiles.size ? playWall([...tiles], { overlay }) : null;
    }, 50); // the tiles that fall back together start one stream
  };
  return {
    add(tile, on) {
      overlay = on;
      tiles.add(tile);
      restart();
      return () => { tiles.delete(tile); restart(); };
    },
    stop() { clearTimeout(timer); stop?.(); },
  };
}

function loadLayout() {
  try {
    return { size: 4, overlay: false, tiles: [], ...JSON.parse(localStorage.getItem(STORAGE_KEY)) };
  } catch {
    return { size: 4, overlay: false, tiles: [] };
  }
}

export async function mount(root) {
  const cameras = await loadOrExplain(root, "/api/cameras");
  if (!cameras) return undefined;
  const layout = loadLayout();
  const grid = h("div.wall-grid#wall-grid");
  const toolbar = h("div.toolbar.wall-toolbar");
  let players = [];
  let shared = sharedFallback();

  const save = () => localStorage.setItem(STORAGE_KEY, JSON.stringify(layout));
  const cameraFor = (index) => {
    const chosen = layout.tiles[index];
    if (chosen === "") return null;
    return cameras.find((c) => c.id === chosen) || (chosen === undefined ? cameras[index] : null) || null;
  };

  function stopAll() {
    players.forEach((player) => player.stop());
    players = [];
    shared.stop();
  }

  function render() {
    stopAll();
    shared = sharedFallback();
    fill(toolbar,
      h("div.segmented", { role: "group", "aria-label": t("wall.grid") }, SIZES.map((size) =>
        h("button", { type: "button", class: size === layout.size ? "active" : "", dataset: { size },
          onclick: () => { layout.size = size; save(); render(); } }, `${Math.sqrt(size)}×${Math.sqrt(size)}`))),
      h("label.switch", h("input#overlay-toggle", { type: "checkbox", checked: layout.overlay, onchange: (e) => {
        layout.overlay = e.target.checked;
        save();
        players.forEach((player) => player.setOverlay(layout.overlay));
      } }), t("wall.overlay")));
    grid.dataset.size = String(layout.size);
    fill(grid, Array.from({ length: layout.size }, (_, index) => tile(index)));
  }

  function tile(index) {
    const camera = cameraFor(index);
    const picker = h("select.tile-picker", { "aria-label": t("wall.pick"), onchange: (e) => {
      layout.tiles[index] = e.target.value;
      save();
      render();
    } }, h("option", { value: "" }, t("wall.empty")),
    cameras.map((c) => h("option", { value: c.id, selected: camera?.id === c.id }, c.name)));
    const head = h("div.tile-head", picker, camera ? stateBadge(camera.state, camera.reason) : null);
    if (!camera) return h("div.tile.empty", head, h("div.tile-body", h("span.muted", t("wall.empty"))));
    // Shown until the first frame arrives (a stopped or offline camera never sends one).
    const signal = h("span.no-signal", t(signalText("connecting", camera)));
    const onState = (state) => {
      signal.hidden = state === "playing";
      signal.textContent = t(signalText(state, camera));
    };
    const body = h("a.tile-body", { href: `#/camera/${encodeURIComponent(camera.id)}`, title: t("wall.open"),
      "aria-label": t("wall.live_of", { name: camera.name }) }, signal, h("span.tile-name", camera.name));
    const fallback = layout.size > MAX_STREAMS
      ? (img, overlay) => shared.add({ img, cameraId: camera.id, onState }, overlay)
      : undefined; // playVideo's own: one MJPEG stream
    players.push(playVideo(body, camera.id, { overlay: layout.overlay, onState, fallback }));
    return h("div.tile", { dataset: { camera: camera.id } }, head, body);
  }

  fill(root, h("div.wall", toolbar, grid));
  render();
  const stopEvents = onEvent("camera", (event) => {
    const camera = cameras.find((c) => c.id === event.id);
    if (!camera) return;
    Object.assign(camera, { state: event.state, reason: event.reason });
    for (const el of grid.querySelectorAll(`.tile[data-camera="${CSS.escape(event.id)}"] .state`)) {
      el.replaceWith(stateBadge(event.state, event.reason));
    }
  });
  return () => {
    stopEvents();
    stopAll();
  };
}
