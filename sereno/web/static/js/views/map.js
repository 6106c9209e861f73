// The camera map: every camera the person may see, coloured by state, live-updated from `camera` events.
// Cameras whose location is restricted for this role (or unknown) are listed beside the map, not placed.

import { h, fill } from "../dom.js";
import { onEvent } from "../events.js";
import { formatNumber, t } from "../i18n.js";
import { addLegend, cameraLayer, cameraPopup, createMap, fitToCameras, isPlaced } from "../map.js";
import { mayUse, session } from "../session.js";
import { STATES, loadOrExplain, stateBadge } from "../ui.js";

export async function mount(root) {
  const mapBox = h("div.map-canvas#camera-map");
  const side = h("aside.map-side");
  fill(root, h("div.map-layout", mapBox, side));
  const cameras = await loadOrExplain(side, "/api/cameras");
  if (!cameras) return undefined;
  const map = createMap(mapBox, session.config);
  const canWatch = mayUse("camera");
  const layer = cameraLayer(map, cameras, { popup: (camera) => cameraPopup(camera, { canWatch }) });
  addLegend(map);
  fitToCameras(map, cameras);
  root.dataset.placed = String(layer.placed.length);
  performance.mark("sereno:map-rendered"); // benchmarks/web_map.py reads the time to first render
  renderSide(side, cameras, layer);
  const stop = onEvent("camera", (event) => {
    const camera = cameras.find((c) => c.id === event.id);
    if (!camera) return;
    layer.update(event.id, { state: event.state, reason: event.reason });
    Object.assign(camera, { state: event.state, reason: event.reason });
    renderSide(side, cameras, layer);
  });
  return () => {
    stop();
    map.remove();
  };
}

function renderSide(side, cameras, layer) {
  const counts = Object.fromEntries(STATES.map((s) => [s, cameras.filter((c) => c.state === s).length]));
  const unplaced = cameras.filter((c) => !isPlaced(c));
  const row = (camera) => h("li.camera-row", { dataset: { id: camera.id }, onclick: () => layer.focus(camera.id) },
    h("span.name", camera.name), stateBadge(camera.state, camera.reason));
  fill(side,
    h("h2", t("map.title")),
    h("div.state-summary", STATES.filter((s) => counts[s]).map((s) =>
      h("div.summary-item", h("span.summary-count", formatNumber(counts[s])), stateBadge(s)))),
    h("p.muted", t("map.count", { n: cameras.length })),
    h("ul.camera-list#camera-list", cameras.filter(isPlaced).slice(0, 300).map(row)),
    cameras.length > 300 ? h("p.muted", t("map.more", { n: cameras.length - 300 })) : null,
    unplaced.length ? [
      h("h3", t("map.unplaced")),
      h("p.hint", t("map.unplaced_explain")),
      h("ul.camera-list#unplaced-list", unplaced.map(row)),
    ] : null);
}
