// The patrol tablet: big touch targets, alerts sorted by distance from the officer (browser position or a point
// chosen on the map), the active hotlists, and "request a camera feed": a supervisor approves it for a few
// minutes (the decision arrives on the event stream) and the video ends when the grant expires.

import { api } from "../api.js";
import { alertCard } from "../alerts.js";
import { h, fill } from "../dom.js";
import { eventsConnected, onEvent } from "../events.js";
import { formatDateTime, formatDistance, formatNumber, t } from "../i18n.js";
import { playVideo, signalText } from "../live.js";
import { createMap, fitToCameras } from "../map.js";
import { session } from "../session.js";
import { emptyState, errorBanner, spinner } from "../ui.js";
import { haversineM } from "../geo.js";

const L = window.L;
const POSITION_KEY = "sereno.position";
const MINUTES = [1, 5, 10, 15, 30];
const FALLBACK_POLL_MS = 30_000; // only while the event stream is down (see renderFeedForm)

export async function mount(root) {
  const cameras = await api("/api/cameras").catch(() => []);
  const cameraName = (id) => cameras.find((c) => c.id === id)?.name || id;
  let position = JSON.parse(sessionStorage.getItem(POSITION_KEY) || "null");
  let alerts = [];
  const cleanups = [];

  const near = h("div.tablet-alerts#near-alerts");
  const where = h("p.where#where");
  const pickBox = h("div.map-canvas.pick-map", { hidden: true });
  const hotlists = h("div#hotlists");
  const feed = h("div.feed#feed");

  const setPosition = (lat, lon, source) => {
    position = { lat, lon, source };
    sessionStorage.setItem(POSITION_KEY, JSON.stringify(position));
    renderNear();
  };

  function renderNear() {
    where.textContent = position
      ? t(position.source === "gps" ? "tablet.where_gps" : "tablet.where_map",
        { lat: formatNumber(position.lat, { maximumFractionDigits: 4 }),
          lon: formatNumber(position.lon, { maximumFractionDigits: 4 }) })
      : t("tablet.where_unknown");
    const placed = alerts.map((a) => {
      const s = a.sighting;
      const metres = position && s.lat != null ? haversineM(position.lat, position.lon, s.lat, s.lon) : null;
      return { alert: a, metres };
    }).sort((a, b) => (a.metres ?? Infinity) - (b.metres ?? Infinity));
    fill(near, placed.length ? placed.map(({ alert, metres }) => alertCard(alert, { cameraName,
      distance: metres != null ? formatDistance(metres) : null, onDecided: forget }))
      : emptyState(t("alerts.none_unverified")));
  }

  function forget(decided) {
    alerts = alerts.filter((a) => a.id !== decided.id);
  }

  async function loadAlerts() {
    fill(near, spinner());
    try {
      const [items, lists] = await Promise.all([
        api("/api/alerts", { query: { status: "unverified", limit: 100 } }),
        api("/api/hotlists").catch(() => null),
      ]);
      alerts = items;
      renderNear();
      renderHotlists(hotlists, lists);
    } catch (error) {
      fill(near, errorBanner(error));
    }
  }

  let pickMap = null;
  const choosePoint = () => {
    pickBox.hidden = !pickBox.hidden;
    if (pickMap || pickBox.hidden) return;
    pickMap = createMap(pickBox, session.config);
    fitToCameras(pickMap, cameras);
    const marker = L.marker(position ? [position.lat, position.lon] : pickMap.getCenter());
    pickMap.on("click", (event) => {
      marker.setLatLng(event.latlng).addTo(pickMap);
      setPosition(event.latlng.lat, event.latlng.lng, "map");
    });
    cleanups.push(() => pickMap.remove());
  };
  const useGps = () => {
    if (!navigator.geolocation) return fill(where, t("tablet.no_gps"));
    navigator.geolocation.getCurrentPosition(
      (p) => setPosition(p.coords.latitude, p.coords.longitude, "gps"),
      () => { where.textContent = t("tablet.gps_refused"); },
      { enableHighAccuracy: true, timeout: 10000 });
  };

  fill(root, h("div.tablet",
    h("section.panel.tablet-where",
      h("h2", t("tablet.my_position")), where,
      h("div.big-actions",
        h("button.big#use-gps", { type: "button", onclick: useGps }, "◎ ", t("tablet.use_gps")),
        h("button.big.secondary#pick-point", { type: "button", onclick: choosePoint }, t("tablet.pick"))),
      pickBox),
    h("section.panel", h("h2", t("tablet.near")), near),
    h("section.panel", h("h2", t("tablet.feed")), feed),
    h("section.panel", h("h2", t("tablet.hotlists")), hotlists)));
  renderNear();
  renderFeedForm(feed, cameras, cleanups);
  await loadAlerts();

  cleanups.push(onEvent("alert", (alert) => {
    alerts = alerts.filter((a) => a.id !== alert.id);
    if (alert.status === "unverified") alerts.unshift(alert);
    renderNear();
  }));
  return () => cleanups.forEach((cleanup) => cleanup());
}

function renderHotlists(box, lists) {
  if (!lists) return fill(box, h("p.muted", t("tablet.hotlists_hidden")));
  if (!lists.length) return fill(box, emptyState(t("tablet.no_hotlists")));
  fill(box, h("ul.hotlists", lists.map((l) => h("li", h("strong", l.name),
    h("span", t("tablet.hotlist_entries", { n: l.entries ?? l.count ?? 0 })),
    l.imported_at ? h("span.muted", formatDateTime(l.imported_at)) : null))));
}

/** Request a feed, wait for the supervisor, show it until the grant expires. The supervisor's decision and the
 * grant's end arrive on the event stream as they happen. */
function renderFeedForm(box, cameras, cleanups) {
  const camera = h("select#feed-camera", cameras.map((c) => h("option", { value: c.id }, c.name)));
  const minutes = h("select#feed-minutes", MINUTES.map((m) =>
    h("option", { value: m, selected: m === 5 }, t("tablet.minutes", { n: m }))));
  const why = h("textarea#feed-reason", { rows: 2, required: true, minLength: 10,
    placeholder: t("tablet.feed_reason_placeholder") });
  const status = h("div.feed-status#feed-status", { "aria-live": "polite" });
  const form = h("form.feed-form", { onsubmit: async (event) => {
    event.preventDefault();
    try {
      const request = await api("/api/feed-requests", { method: "POST", body: {
        camera_id: camera.value, minutes: Number(minutes.value), reason: why.value.trim() } });
      follow(request);
    } catch (error) {
      fill(status, errorBanner(error));
    }
  } },
  h("label", t("tablet.camera"), camera), h("label", t("tablet.duration"), minutes),
  h("label", t("tablet.feed_reason"), why),
  h("button.primary.big#feed-request", { type: "submit" }, t("tablet.request")));
  fill(box, form, status);

  let current = null; // the request this tablet follows, as last heard
  let timer = null;
  let fallbackPoll = null;
  let stopLive = null;
  const stop = () => {
    clearTimeout(timer);
    clearInterval(fallbackPoll);
    stopLive?.();
    stopLive = null;
  };
  cleanups.push(stop);
  const following = (grant, state) => current?.id === grant.id && current.status === state;
  cleanups.push(
    onEvent("feed_decision", (grant) => following(grant, "pending") && follow(grant)),
    onEvent("feed_expired", (grant) => following(grant, "approved") && follow({ ...grant, status: "expired" })),
    // Events missed while the stream was down are replayed, but a long break may outlast what the server keeps.
    onEvent("reconnected", () => current?.status === "pending" && refresh(current.id)));

  // Back on this page (or after a reload): follow the officer's request still waiting or grant still running.
  api("/api/feed-requests").then((requests) => {
    const open = requests.find((r) => r.username === session.user.username && (r.status === "pending"
      || (r.status === "approved" && new Date(r.expires_at) > new Date())));
    if (open && !current) follow(open);
  }).catch(() => {}); // the form still works; a refusal shows when the officer asks

  function follow(request) {
    stop();
    current = request;
    const state = request.status;
    if (state === "pending") {
      fill(status, h("div.waiting", h("div.spinner"), t("tablet.waiting", { camera: request.camera_id })));
      // The decision comes as an event. Only while the event stream is down, ask now and then instead.
      fallbackPoll = setInterval(() => eventsConnected() || refresh(request.id), FALLBACK_POLL_MS);
    } else if (state === "approved" && new Date(request.expires_at) > new Date()) {
      showFeed(request);
    } else if (state === "denied") {
      fill(status, h("div.banner.refused", h("strong", t("tablet.denied", { by: request.decided_by || "?" }))));
    } else {
      fill(status, h("div.banner.expired#feed-expired", h("strong", t("tablet.expired"))));
    }
  }

  async function refresh(id) {
    try {
      const request = (await api("/api/feed-requests")).find((r) => r.id === id);
      if (request && current?.id === id && request.status !== current.status) follow(request);
    } catch (error) {
      fill(status, errorBanner(error));
    }
  }

  function showFeed(request) {
    const signal = h("span.no-signal", t(signalText("connecting")));
    const frame = h("div.live-frame#feed-live", { "aria-label": t("wall.live_of", { name: request.camera_id }) },
      signal);
    const countdown = h("span.countdown#feed-countdown");
    fill(status, h("div.feed-live", h("p", h("strong", t("tablet.approved")), " ", countdown), frame));
    // The recording stream itself (H.264 is lighter on a patrol car's mobile link than MJPEG); MJPEG otherwise.
    const live = playVideo(frame, request.camera_id, { onState: (state) => {
      signal.hidden = state === "playing";
      signal.textContent = t(signalText(state));
    } });
    stopLive = live.stop;
    status.scrollIntoView({ block: "center" });
    const expires = new Date(request.expires_at);
    const tick = () => {
      const left = Math.max(0, Math.round((expires - Date.now()) / 1000));
      countdown.textContent = t("tablet.expires_in", { time: `${Math.floor(left / 60)}:${String(left % 60).padStart(2, "0")}` });
      if (left > 0) timer = setTimeout(tick, 1000);
      else follow({ ...request, status: "expired" }); // the server ends the stream (and says so) at the same moment
    };
    tick();
  }
}
