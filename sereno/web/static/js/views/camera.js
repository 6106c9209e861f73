// One camera: the live view (with or without the analysis overlay) and its recordings on a timeline.
// Recorded video is personal data: listing and playing it asks for case + reason and goes through the gate.

import { api, apiUrl } from "../api.js";
import { h, fill } from "../dom.js";
import { onEvent } from "../events.js";
import { formatDateTime, formatTime, t } from "../i18n.js";
import { playVideo, signalText } from "../live.js";
import { getPurpose, purposeChip, purposeParams } from "../purpose.js";
import { mayUse, session } from "../session.js";
import { emptyState, errorBanner, loadOrExplain, spinner, stateBadge, toast } from "../ui.js";

const WINDOWS_MIN = [15, 60, 360, 1440];

export async function mount(root, { args }) {
  const cameraId = args[0];
  const cameras = await loadOrExplain(root, "/api/cameras");
  if (!cameras) return undefined;
  const camera = cameras.find((c) => c.id === cameraId);
  if (!camera) {
    fill(root, h("div.banner.error", h("p", t("camera.unknown", { id: cameraId }))));
    return undefined;
  }
  const badge = h("span", stateBadge(camera.state, camera.reason));
  const signal = h("span.no-signal", t(signalText("connecting", camera)));
  const frame = h("div.live-frame#camera-live", { "aria-label": t("wall.live_of", { name: camera.name }) }, signal);
  const live = playVideo(frame, camera.id, { onState: (state) => {
    signal.hidden = state === "playing";
    signal.textContent = t(signalText(state, camera));
  } });
  const overlayBox = h("input#camera-overlay", { type: "checkbox",
    onchange: (e) => live.setOverlay(e.target.checked) });

  const recordings = h("div.recordings#recordings");
  const player = h("video#recording-player", { controls: true, hidden: true, preload: "metadata" });
  const windowSelect = h("select#recording-window", WINDOWS_MIN.map((minutes) =>
    h("option", { value: minutes, selected: minutes === 60 }, t("camera.window_min", { n: minutes }))));
  const load = async () => {
    fill(recordings, spinner());
    try {
      const purpose = await getPurpose();
      const until = new Date();
      const since = new Date(until.getTime() - Number(windowSelect.value) * 60000);
      const segments = await api(`/api/cameras/${encodeURIComponent(camera.id)}/recordings`, {
        query: { since: since.toISOString(), until: until.toISOString(), ...purposeParams(purpose) } });
      renderTimeline(recordings, segments, since, until, (segment) => {
        player.hidden = false;
        player.src = segment.url.includes("reason=") ? segment.url : apiUrl(segment.url, purposeParams(purpose));
        player.play().catch(() => {});
      });
    } catch (error) {
      fill(recordings, errorBanner(error));
    }
  };

  const acceptBox = session.user?.role === "supervisor" ? acceptViewPanel(camera) : null;
  fill(root, h("div.camera-page",
    h("div.camera-head",
      h("a.back", { href: "#/wall" }, "← ", t("nav.wall")),
      h("h1", camera.name), badge,
      h("label.switch", overlayBox, t("wall.overlay"))),
    h("div.camera-main",
      frame,
      h("aside.camera-info",
        h("dl",
          h("dt", t("camera.id")), h("dd", camera.id),
          h("dt", t("camera.kind")), h("dd", t("camera.kind_" + (camera.kind || "fixed"))),
          h("dt", t("camera.last_frame")), h("dd", formatDateTime(camera.last_frame_at)),
          h("dt", t("camera.recording")), h("dd", camera.recording ? t("common.yes") : t("common.no"))),
        acceptBox)),
    // Recorded video is for the roles that investigate (the same as search); operators watch live only.
    mayUse("search") ? h("section.panel",
      h("div.panel-head", h("h2", t("camera.recordings")), purposeChip()),
      h("div.toolbar", windowSelect, h("button.primary#load-recordings", { type: "button", onclick: load },
        t("camera.load_recordings"))),
      recordings, player) : null));

  const stopEvents = onEvent("camera", (event) => {
    if (event.id !== camera.id) return;
    fill(badge, stateBadge(event.state, event.reason));
    if (acceptBox) acceptBox.hidden = event.state !== "tampered";
  });
  return () => {
    stopEvents();
    live.stop();
    player.removeAttribute("src");
  };
}

/** Supervisors: a camera re-aimed on purpose says "turned away" until its new view is accepted, with a reason
 * that goes to the ledger (silencing the alarm of a camera turned away is what an abuser would want). */
function acceptViewPanel(camera) {
  const reason = h("textarea#accept-view-reason", { rows: 2, placeholder: t("camera.accept_view_reason") });
  const accept = async () => {
    try {
      await api(`/api/cameras/${encodeURIComponent(camera.id)}/accept-view`, { method: "POST",
        body: { reason: reason.value } });
      reason.value = "";
      toast(t("camera.accept_view_done"), "ok");
    } catch (error) {
      toast(error.message, "error");
    }
  };
  return h("div.accept-view#accept-view", { hidden: camera.state !== "tampered" },
    h("p.muted", t("camera.accept_view_help")), reason,
    h("button.secondary#accept-view-button", { type: "button", onclick: accept }, t("camera.accept_view")));
}

/** Segments as bars over the chosen window, oldest left; a click plays one. */
function renderTimeline(box, segments, since, until, play) {
  if (!segments.length) return fill(box, emptyState(t("camera.no_recordings")));
  const span = until - since;
  const position = (time) => Math.min(100, Math.max(0, ((new Date(time) - since) / span) * 100));
  const bar = h("div.timeline", segments.map((segment) => {
    const left = position(segment.start);
    const width = Math.max(0.5, position(segment.end) - left);
    return h("button.segment", { type: "button", style: { left: left + "%", width: width + "%" },
      title: `${formatTime(segment.start)} – ${formatTime(segment.end)}`, onclick: () => play(segment) });
  }));
  const axis = h("div.timeline-axis", [0, 0.25, 0.5, 0.75, 1].map((f) =>
    h("span", { style: { left: f * 100 + "%" } }, formatTime(new Date(since.getTime() + f * span)))));
  fill(box, bar, axis, h("ul.segment-list", segments.map((segment) => h("li",
    h("button.link", { type: "button", onclick: () => play(segment) },
      `${formatDateTime(segment.start)} – ${formatTime(segment.end)}`)))));
}
