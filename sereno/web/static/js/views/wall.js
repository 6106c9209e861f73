// The video wall: 1, 4, 9 or 16 cameras live, each tile with its camera picker and state badge; the analysis
// overlay (boxes, plate text) on or off for all. The layout is remembered on this screen. A click opens the camera.

import { h, fill } from "../dom.js";
import { onEvent } from "../events.js";
import { t } from "../i18n.js";
import { MAX_STREAMS, playLive, playWall } from "../live.js";
import { loadOrExplain, stateBadge } from "../ui.js";

const STORAGE_KEY = "sereno.wall";
const SIZES = [1, 4, 9, 16];

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
  let stops = [];

  const save = () => localStorage.setItem(STORAGE_KEY, JSON.stringify(layout));
  const cameraFor = (index) => {
    const chosen = layout.tiles[index];
    if (chosen === "") return null;
    return cameras.find((c) => c.id === chosen) || (chosen === undefined ? cameras[index] : null) || null;
  };

  function render() {
    stops.forEach((stop) => stop());
    stops = [];
    fill(toolbar,
      h("div.segmented", { role: "group", "aria-label": t("wall.grid") }, SIZES.map((size) =>
        h("button", { type: "button", class: size === layout.size ? "active" : "", dataset: { size },
          onclick: () => { layout.size = size; save(); render(); } }, `${Math.sqrt(size)}×${Math.sqrt(size)}`))),
      h("label.switch", h("input#overlay-toggle", { type: "checkbox", checked: layout.overlay,
        onchange: (e) => { layout.overlay = e.target.checked; save(); render(); } }), t("wall.overlay")),
      layout.size > MAX_STREAMS ? h("span.hint", t("wall.shared_stream")) : null);
    grid.dataset.size = String(layout.size);
    const shared = [];  // tiles of a large grid: played together over one connection
    fill(grid, Array.from({ length: layout.size }, (_, index) => tile(index, shared)));
    if (shared.length) stops.push(playWall(shared, { overlay: layout.overlay }));
  }

  function tile(index, shared) {
    const camera = cameraFor(index);
    const picker = h("select.tile-picker", { "aria-label": t("wall.pick"), onchange: (e) => {
      layout.tiles[index] = e.target.value;
      save();
      render();
    } }, h("option", { value: "" }, t("wall.empty")),
    cameras.map((c) => h("option", { value: c.id, selected: camera?.id === c.id }, c.name)));
    const head = h("div.tile-head", picker, camera ? stateBadge(camera.state, camera.reason) : null);
    if (!camera) return h("div.tile.empty", head, h("div.tile-body", h("span.muted", t("wall.empty"))));
    const img = h("img.live", { alt: t("wall.live_of", { name: camera.name }) });
    // Shown until the first frame arrives (a stopped or offline camera never sends one).
    const signal = h("span.no-signal", t(["online", "starting"].includes(camera.state) ? "wall.connecting"
      : "wall.no_signal"));
    const onState = (state) => {
      signal.hidden = state === "playing";
      signal.textContent = t("wall.no_signal");
    };
    if (layout.size > MAX_STREAMS) shared.push({ img, cameraId: camera.id, onState });
    else stops.push(playLive(img, camera.id, { overlay: layout.overlay, onState }));
    return h("div.tile", { dataset: { camera: camera.id } }, head,
      h("a.tile-body", { href: `#/camera/${encodeURIComponent(camera.id)}`, title: t("wall.open") }, img, signal,
        h("span.tile-name", camera.name)));
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
    stops.forEach((stop) => stop());
  };
}
