// Leaflet maps for every page that has one. No tile server by default: a plain background with a GeoJSON
// graticule (so the map works offline); a tile layer only when /api/config gives tile_url.

import { h } from "./dom.js";
import { formatDateTime, t } from "./i18n.js";
import { stateBadge } from "./ui.js";

const L = window.L;

const STATE_COLOURS = {
  online: "#2fb36b",
  starting: "#3b8fd9",
  offline: "#7d8a94",
  stopped: "#4f5a62",
  error: "#e0463c",
  tampered: "#e0463c",
};

export function createMap(element, config, options = {}) {
  const map = L.map(element, {
    center: config.map_center || [32.5149, -117.0382],
    zoom: config.map_zoom || 13,
    preferCanvas: true, // one canvas for a thousand camera dots instead of a thousand SVG nodes
    attributionControl: Boolean(config.tile_url),
    ...options,
  });
  if (config.tile_url) {
    L.tileLayer(config.tile_url, { maxZoom: 19, attribution: config.tile_attribution || "" }).addTo(map);
  } else {
    element.classList.add("no-tiles");
    addGraticule(map);
  }
  L.control.scale({ imperial: false }).addTo(map);
  element.leafletMap = map; // for the browser tests and benchmarks/web_map.py (pixel positions of places)
  return map;
}

/** Latitude/longitude lines at a round spacing for the zoom, redrawn as the map moves. */
function addGraticule(map) {
  const layer = L.geoJSON(null, { style: { color: "#2a3a44", weight: 1, opacity: 0.8 }, interactive: false });
  layer.addTo(map);
  const redraw = () => {
    const bounds = map.getBounds();
    const span = Math.max(bounds.getNorth() - bounds.getSouth(), bounds.getEast() - bounds.getWest());
    const step = niceStep(span / 8);
    const lines = [];
    for (let lat = Math.floor(bounds.getSouth() / step) * step; lat <= bounds.getNorth(); lat += step) {
      lines.push([[bounds.getWest() - 1, lat], [bounds.getEast() + 1, lat]]);
    }
    for (let lon = Math.floor(bounds.getWest() / step) * step; lon <= bounds.getEast(); lon += step) {
      lines.push([[lon, bounds.getSouth() - 1], [lon, bounds.getNorth() + 1]]);
    }
    layer.clearLayers();
    layer.addData({ type: "Feature", geometry: { type: "MultiLineString", coordinates: lines }, properties: {} });
  };
  map.on("moveend zoomend", redraw);
  map.whenReady(redraw);
}

function niceStep(raw) {
  const power = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw) || raw;
}

export const isPlaced = (camera) => camera.located !== false && camera.lat != null && camera.lon != null;

/**
 * The cameras as coloured dots (a red warning marker for tampered or failing ones). Returns {layer, update}:
 * update(cameraId, {state, reason}) recolours one camera when a `camera` event arrives.
 */
export function cameraLayer(map, cameras, { popup } = {}) {
  const layer = L.layerGroup().addTo(map);
  const markers = new Map();
  const placed = cameras.filter(isPlaced);
  // With a few cameras, names and fields of view help; with hundreds they would only hide the map.
  const detailed = placed.length <= DETAIL_LIMIT;
  if (detailed) {
    for (const camera of placed.filter((c) => c.heading != null)) {
      L.polygon(viewCone(camera), { color: "#3fb6e8", weight: 1, opacity: 0.5, fillOpacity: 0.12,
        interactive: false }).addTo(layer);
    }
  }
  const draw = (camera) => {
    markers.get(camera.id)?.remove();
    const latlng = [camera.lat, camera.lon];
    const alarming = camera.state === "tampered" || camera.state === "error";
    const marker = alarming
      ? L.marker(latlng, { icon: alarmIcon(camera.state), title: camera.name, zIndexOffset: 1000 })
      : L.circleMarker(latlng, { radius: 7, weight: 2, color: "#0b1014", fillOpacity: 0.95,
        fillColor: STATE_COLOURS[camera.state] || STATE_COLOURS.offline });
    if (popup) marker.bindPopup(() => popup(camera));
    marker.bindTooltip(camera.name, detailed
      ? { permanent: true, direction: "right", offset: [10, 0], className: "camera-label" }
      : { direction: "top", offset: [0, -6] });
    marker.addTo(layer);
    markers.set(camera.id, marker);
  };
  placed.forEach(draw);
  return {
    layer,
    placed,
    focus(cameraId) {
      const marker = markers.get(cameraId);
      if (!marker) return;
      map.setView(marker.getLatLng(), Math.max(map.getZoom(), 16));
      marker.openPopup();
    },
    update(cameraId, change) {
      const camera = placed.find((c) => c.id === cameraId);
      if (!camera) return;
      Object.assign(camera, change);
      draw(camera);
    },
  };
}

const DETAIL_LIMIT = 60;
const CONE_M = 140; // drawn length of a camera's field of view
const CONE_DEG = 50;

/** A wedge from the camera along its heading (degrees clockwise from north). */
function viewCone(camera) {
  const point = (bearing) => {
    const rad = (bearing * Math.PI) / 180;
    const dLat = (CONE_M * Math.cos(rad)) / 111320;
    const dLon = (CONE_M * Math.sin(rad)) / (111320 * Math.cos((camera.lat * Math.PI) / 180));
    return [camera.lat + dLat, camera.lon + dLon];
  };
  const half = CONE_DEG / 2;
  return [[camera.lat, camera.lon], point(camera.heading - half), point(camera.heading), point(camera.heading + half)];
}

function alarmIcon(state) {
  return L.divIcon({
    className: `camera-alarm camera-alarm-${state}`,
    html: state === "tampered" ? "⚠" : "!",
    iconSize: [24, 24],
    iconAnchor: [12, 12],
  });
}

export function fitToCameras(map, cameras) {
  const placed = cameras.filter(isPlaced);
  if (placed.length) map.fitBounds(placed.map((c) => [c.lat, c.lon]), { padding: [80, 80], maxZoom: 16, animate: false });
}

/** The colour legend of camera states. */
export function addLegend(map) {
  const legend = L.control({ position: "bottomright" });
  legend.onAdd = () => h("div.map-legend",
    h("strong", t("map.legend")),
    ["online", "starting", "offline", "stopped", "error", "tampered"].map((state) => h("div.legend-row",
      state === "tampered" || state === "error"
        ? h(`span.legend-alarm`, state === "tampered" ? "⚠" : "!")
        : h("span.legend-dot", { style: { background: STATE_COLOURS[state] } }),
      t("state." + state))));
  legend.addTo(map);
  return legend;
}

/** The popup of one camera: name, state, last frame, link to its live view when the role may watch. */
export function cameraPopup(camera, { canWatch }) {
  return h("div.camera-popup",
    h("strong", camera.name),
    h("div", stateBadge(camera.state, camera.reason)),
    h("div.muted", t("camera.last_frame"), ": ", formatDateTime(camera.last_frame_at)),
    canWatch ? h("a.button.small", { href: `#/camera/${encodeURIComponent(camera.id)}` }, t("camera.watch")) : null);
}
