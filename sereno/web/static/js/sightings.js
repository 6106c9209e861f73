// Sightings on the investigation pages: the result grid of plate crops and the detail dialog (snapshot,
// alternatives, corrections) that reads one sighting through the gate.

import { api } from "./api.js";
import { h, fill } from "./dom.js";
import { formatDateTime, formatNumber, formatPercent, t } from "./i18n.js";
import { purposeParams } from "./purpose.js";
import { emptyState, errorBanner, evidenceImage, sightingCard } from "./ui.js";

/** The sightings as a grid of crops; a click opens the detail. */
export function sightingGrid(sightings, purpose, cameraName) {
  if (!sightings.length) return emptyState(t("search.no_results"));
  const query = purposeParams(purpose);
  return h("div.result-block",
    h("p.result-count", t("search.results", { n: sightings.length })),
    h("div.sighting-grid#results", sightings.map((s) => sightingCard(s, query, cameraName,
      () => openSighting(s.id, purpose, cameraName)))));
}

async function openSighting(id, purpose, cameraName) {
  const body = h("div.sighting-detail");
  const dialog = h("dialog.detail-dialog", h("form", { method: "dialog" },
    h("button.icon.close", { value: "close", "aria-label": t("common.close") }, "✕")), body);
  dialog.addEventListener("close", () => dialog.remove());
  document.body.append(dialog);
  dialog.showModal();
  try {
    const s = await api(`/api/sightings/${encodeURIComponent(id)}`, { query: purposeParams(purpose) });
    const query = purposeParams(purpose);
    fill(body,
      h("h2", s.plate || t("sighting.no_plate")),
      h("div.detail-media", evidenceImage(s.snapshot_url, query, t("alerts.snapshot"), "snapshot"),
        evidenceImage(s.crop_url, query, t("alerts.crop"), "crop large")),
      h("dl.facts",
        h("dt", t("alerts.camera")), h("dd", cameraName(s.camera_id)),
        h("dt", t("alerts.seen_at")), h("dd", formatDateTime(s.observed_at)),
        h("dt", t("sighting.class")), h("dd", t("class." + s.object_class)),
        h("dt", t("sighting.confidence")), h("dd", s.confidence != null ? formatPercent(s.confidence) : "—"),
        h("dt", t("sighting.frames")), h("dd", formatNumber(s.frames ?? 1)),
        s.corrections?.length ? [h("dt", t("sighting.corrections")), h("dd", s.corrections.map((c) =>
          `${c.position + 1}: ${c.original}→${c.corrected} (${c.reason})`).join("; "))] : null));
  } catch (error) {
    fill(body, errorBanner(error));
  }
}

/** Local `datetime-local` input value for a Date. */
export function localInputValue(date) {
  const shifted = new Date(date.getTime() - date.getTimezoneOffset() * 60000);
  return shifted.toISOString().slice(0, 16);
}

/** Since/until inputs, preset to the last `hours`; `read()` gives ISO strings (UTC). */
export function timeWindow(hours, prefix) {
  const until = h(`input#${prefix}-until`, { type: "datetime-local", value: localInputValue(new Date()) });
  const since = h(`input#${prefix}-since`, { type: "datetime-local",
    value: localInputValue(new Date(Date.now() - hours * 3600000)) });
  return {
    element: h("div.time-window", h("label", t("search.since"), since), h("label", t("search.until"), until)),
    read: () => ({
      since: since.value ? new Date(since.value).toISOString() : undefined,
      // the "until" minute is inclusive: a sighting a few seconds after the typed minute still counts
      until: until.value ? new Date(new Date(until.value).getTime() + 59999).toISOString() : undefined,
    }),
  };
}
