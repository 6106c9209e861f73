// Investigations: plate search (exact, wildcard, look-alike), area search drawn on the map (circle or polygon)
// and the route of a plate with a time slider. Each search states case + reason first; refusals show the gate's
// words and the ledger entry number.

import { api } from "../api.js";
import { h, fill } from "../dom.js";
import { formatDateTime, formatDistance, formatNumber, t } from "../i18n.js";
import { cameraLayer, createMap, fitToCameras } from "../map.js";
import { getPurpose, purposeChip, purposeParams } from "../purpose.js";
import { session } from "../session.js";
import { sightingGrid, timeWindow } from "../sightings.js";
import { emptyState, errorBanner, spinner } from "../ui.js";

const L = window.L;
const TABS = ["plate", "area", "route"];

export async function mount(root, { args }) {
  const tab = TABS.includes(args[0]) ? args[0] : "plate";
  const cameras = await api("/api/cameras").catch(() => []);
  const cameraName = (id) => cameras.find((c) => c.id === id)?.name || id;
  const body = h("div.search-body");
  fill(root, h("div.search-page",
    h("div.page-head", h("h1", t("search.title")), purposeChip()),
    h("nav.tabs", TABS.map((name) => h("a", { href: `#/search/${name}`, class: name === tab ? "active" : "",
      dataset: { tab: name } }, t("search.tab_" + name)))),
    body));
  const context = { cameras, cameraName };
  return { plate: plateTab, area: areaTab, route: routeTab }[tab](body, context);
}

/** Run a search: ask the purpose, show progress, render the answer or the refusal. */
async function run(resultBox, fetchResults, render) {
  fill(resultBox, spinner());
  try {
    const purpose = await getPurpose();
    const answer = await fetchResults(purposeParams(purpose));
    render(answer, purpose);
  } catch (error) {
    fill(resultBox, errorBanner(error));
  }
}

/** The time window typed, or undefined after showing in `resultBox` which field is wrong and how to write it. */
function readWindow(window_, resultBox) {
  try {
    return window_.read();
  } catch (error) {
    fill(resultBox, errorBanner(error));
    return undefined;
  }
}

function cameraSelect(cameras, id) {
  return h(`select#${id}`, h("option", { value: "" }, t("search.all_cameras")),
    cameras.map((c) => h("option", { value: c.id }, c.name)));
}

function plateTab(body, { cameras, cameraName }) {
  const results = h("div.results");
  const pattern = h("input#plate-pattern", { required: true, autocapitalize: "characters", spellcheck: false,
    placeholder: "ABC1234, ABC*, AB?1234" });
  const distance = h("input#plate-distance", { type: "number", min: 0.5, max: 2, step: 0.5, value: 1, disabled: true });
  const fuzzy = h("input#plate-fuzzy", { type: "checkbox", onchange: () => { distance.disabled = !fuzzy.checked; } });
  const camera = cameraSelect(cameras, "plate-camera");
  const window_ = timeWindow(24 * 7, "plate");
  const form = h("form.search-form", { onsubmit: (event) => {
    event.preventDefault();
    const when = readWindow(window_, results);
    if (!when) return;
    run(results, (purpose) => api("/api/search/plate", { query: {
      pattern: pattern.value.trim(), fuzzy: fuzzy.checked ? 1 : undefined,
      max_distance: fuzzy.checked ? distance.value : undefined, camera: camera.value, ...when,
      limit: 200, ...purpose } }),
    (answer, purpose) => fill(results, lookalikes(answer.plates || {}),
      sightingGrid(answer.sightings, purpose, cameraName)));
  } },
  h("label", t("search.pattern"), pattern),
  h("label.inline", fuzzy, t("search.fuzzy")),
  h("label.narrow", t("search.max_distance"), distance),
  h("label", t("search.camera"), camera),
  window_.element,
  h("button.primary#plate-search", { type: "submit" }, t("search.run")),
  h("p.hint", t("search.pattern_hint")));
  fill(body, form, results);
}

function lookalikes(plates) {
  const entries = Object.entries(plates);
  if (!entries.length) return null;
  return h("div.lookalikes", h("strong", t("search.lookalikes")), entries.map(([plate, d]) =>
    h("span.chip", h("span.plate-text", plate), " ", formatNumber(d, { maximumFractionDigits: 1 }))));
}

function areaTab(body, { cameras, cameraName }) {
  const results = h("div.results#area-results");
  const shapeText = h("p.shape-text#shape-text", t("search.draw_hint"));
  const window_ = timeWindow(24, "area");
  const mapBox = h("div.map-canvas.search-map#area-map");
  const button = h("button.primary#area-search", { type: "button", disabled: true }, t("search.run_area"));
  fill(body, h("div.area-layout", h("div.area-map-wrap", mapBox),
    h("div.area-side", shapeText, window_.element, button, results)));

  const map = createMap(mapBox, session.config);
  cameraLayer(map, cameras);
  fitToCameras(map, cameras);
  map.pm.setLang(document.documentElement.lang.startsWith("es") ? "es" : "en");
  map.pm.addControls({ position: "topleft", drawMarker: false, drawCircleMarker: false, drawPolyline: false,
    drawRectangle: false, drawText: false, cutPolygon: false, rotateMode: false, dragMode: false,
    drawCircle: true, drawPolygon: true, editMode: true, removalMode: true });
  const found = L.layerGroup().addTo(map);
  let shape = null;

  const describe = () => {
    if (!shape) {
      shapeText.textContent = t("search.draw_hint");
      button.disabled = true;
      return;
    }
    shapeText.textContent = shape instanceof L.Circle
      ? t("search.circle", { radius: formatDistance(shape.getRadius()) })
      : t("search.polygon", { n: shape.getLatLngs()[0].length });
    button.disabled = false;
  };
  map.on("pm:create", ({ layer }) => {
    if (shape) shape.remove(); // one area at a time
    shape = layer;
    layer.on("pm:edit", describe);
    describe();
  });
  map.on("pm:remove", ({ layer }) => {
    if (layer === shape) shape = null;
    describe();
  });

  button.addEventListener("click", () => {
    const when = readWindow(window_, results);
    if (!when) return;
    const area = shape instanceof L.Circle
      ? { lat: shape.getLatLng().lat, lon: shape.getLatLng().lng, radius_m: Math.round(shape.getRadius()) }
      : { polygon: shape.getLatLngs()[0].map((p) => [p.lat, p.lng]) };
    run(results, (purpose) => api("/api/search/area", { method: "POST",
      body: { ...area, ...when, limit: 500, ...purpose } }),
    (answer, purpose) => {
      const sightings = answer.sightings;
      found.clearLayers();
      for (const s of sightings.filter((x) => x.lat != null)) {
        L.circleMarker([s.lat, s.lon], { radius: 9, color: "#f5b83d", weight: 3, fillOpacity: 0.2 })
          .bindTooltip(`${s.plate || "?"} · ${formatDateTime(s.observed_at)}`).addTo(found);
      }
      fill(results, sightingGrid(sightings, purpose, cameraName));
    });
  });
  return () => map.remove();
}

function routeTab(body, { cameras, cameraName }) {
  const results = h("div.results#route-results");
  const plate = h("input#route-plate", { required: true, autocapitalize: "characters", spellcheck: false });
  const window_ = timeWindow(24, "route");
  const mapBox = h("div.map-canvas.search-map#route-map");
  const form = h("form.search-form.route-form", { onsubmit: (event) => {
    event.preventDefault();
    const when = readWindow(window_, results);
    if (!when) return;
    run(results, (purpose) => api("/api/search/route", { query: { plate: plate.value.trim(), ...when,
      ...purpose } }), (geojson) => showRoute(geojson));
  } }, h("label", t("search.plate"), plate), window_.element,
  h("button.primary#route-search", { type: "submit" }, t("search.run_route")));
  fill(body, form, h("div.route-layout", h("div.area-map-wrap", mapBox), results));

  const map = createMap(mapBox, session.config);
  cameraLayer(map, cameras);
  fitToCameras(map, cameras);
  const routeLayer = L.layerGroup().addTo(map);

  function showRoute(geojson) {
    const points = geojson.features.filter((f) => f.geometry.type === "Point")
      .sort((a, b) => a.properties.order - b.properties.order);
    routeLayer.clearLayers();
    if (!points.length) return fill(results, emptyState(t("search.no_route")));
    const latlngs = points.map((f) => [f.geometry.coordinates[1], f.geometry.coordinates[0]]);
    const line = L.polyline([], { color: "#f5b83d", weight: 4, opacity: 0.9 }).addTo(routeLayer);
    const markers = points.map((f, i) => L.marker(latlngs[i], { icon: L.divIcon({ className: "route-stop",
      html: String(i + 1), iconSize: [26, 26], iconAnchor: [13, 13] }) })
      .bindTooltip(`${cameraName(f.properties.camera_id)} · ${formatDateTime(f.properties.observed_at)}`));
    map.fitBounds(latlngs, { padding: [50, 50], maxZoom: 16 });
    const label = h("output#route-time");
    const slider = h("input#route-slider", { type: "range", min: 1, max: points.length, value: points.length,
      "aria-label": t("search.route_slider") });
    const rows = points.map((f, i) => h("tr", h("td", String(i + 1)), h("td", cameraName(f.properties.camera_id)),
      h("td", formatDateTime(f.properties.observed_at))));
    // Show the route up to the chosen stop: where the vehicle had been by then.
    const upTo = (n) => {
      line.setLatLngs(latlngs.slice(0, n));
      markers.forEach((m, i) => (i < n ? m.addTo(routeLayer) : m.remove()));
      rows.forEach((row, i) => row.classList.toggle("dim", i >= n));
      label.textContent = t("search.route_at", { n, total: points.length,
        at: formatDateTime(points[n - 1].properties.observed_at) });
    };
    slider.addEventListener("input", () => upTo(Number(slider.value)));
    upTo(points.length);
    const unplaced = geojson.properties?.unplaced_sightings?.length || 0;
    fill(results, h("div.route-controls", h("label", t("search.route_slider"), slider), label),
      unplaced ? h("p.hint", t("search.route_unplaced", { n: unplaced })) : null,
      h("table.data#route-table", h("thead", h("tr", h("th", "#"), h("th", t("alerts.camera")),
        h("th", t("alerts.seen_at")))), h("tbody", rows)));
  }
  return () => map.remove();
}
