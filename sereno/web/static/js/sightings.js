// Sightings on the investigation pages: the result grid of plate crops and the detail dialog (snapshot,
// alternatives, corrections) that reads one sighting through the gate.

import { api } from "./api.js";
import { h, fill } from "./dom.js";
import { formatDateTime, formatNumber, formatPercent, t } from "./i18n.js";
import { dateTimeField } from "./datetime.js";
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

/** Since/until fields, preset to the last `hours`, in the chosen language's format (datetime.js). `read()` gives
 * ISO strings (UTC), or throws an Error saying which field is wrong and how to write it. */
export function timeWindow(hours, prefix) {
  const since = dateTimeField({ id: `${prefix}-since`, label: t("search.since"),
    value: new Date(Date.now() - hours * 3600000) });
  const until = dateTimeField({ id: `${prefix}-until`, label: t("search.until"), value: new Date() });
  return {
    element: h("div.time-window", h("label", t("search.since"), since.element),
      h("label", t("search.until"), until.element)),
    read: () => {
      const [from, to] = [since.read(), until.read()];
      return {
        since: from?.toISOString(),
        // the "until" minute is inclusive: a sighting a few seconds after the typed minute still counts
        until: to ? new Date(to.getTime() + 59999).toISOString() : undefined,
      };
    },
  };
}
