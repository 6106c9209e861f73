// Shared pieces of the pages: refusal and error banners, toasts, state badges, images of evidence.

import { api, apiUrl } from "./api.js";
import { fill, h } from "./dom.js";
import { formatDateTime, formatPercent, t, tOr } from "./i18n.js";

/** GET `path` from the API; on failure `target` shows why (errorBanner) and the answer is undefined. */
export async function loadOrExplain(target, path) {
  try {
    return await api(path);
  } catch (error) {
    fill(target, errorBanner(error));
    return undefined;
  }
}

/** A banner for a failed request. Gate refusals show the gate's words and the ledger entry that recorded them (its
 * number as the ledger writes it, without digit grouping: a supervisor types it to approve). */
export function errorBanner(error) {
  if (error?.message === "cancelled") return h("p.muted", t("purpose.cancelled"));
  if (error?.refused) {
    return h("div.banner.refused", { role: "alert", dataset: { code: error.code } },
      h("strong", t("refusal.title"), ": ", tOr("refusal_code." + error.code, error.code)),
      h("p.refusal-message", error.message),
      error.ledgerSeq != null ? h("p.refusal-ledger", t("refusal.ledger", { seq: String(error.ledgerSeq) })) : null,
      error.code === "needs_approval"
        ? h("p.hint", t("refusal.needs_approval", { seq: String(error.ledgerSeq ?? "?") })) : null);
  }
  return h("div.banner.error", { role: "alert" }, h("strong", t("error.title")), h("p", error?.message || String(error)));
}

export function toast(message, kind = "info", seconds = 6) {
  const box = document.getElementById("toasts");
  const item = h(`div.toast.${kind}`, { role: "status" }, message);
  box.append(item);
  setTimeout(() => item.remove(), seconds * 1000);
}

export const STATES = ["online", "starting", "offline", "error", "tampered", "stopped"];

export function stateBadge(state, reason) {
  const known = STATES.includes(state) ? state : "unknown";
  return h(`span.state.state-${known}`, { title: reason || "" },
    known === "tampered" ? h("span.tamper-icon", { "aria-hidden": "true" }, "⚠") : null,
    t("state." + known), reason && known !== "online" ? ` · ${reasonText(reason)}` : "");
}

/** A camera state reason ("dark", "covered", ...) in the chosen language; other reasons as the server wrote them. */
const reasonText = (reason) => tOr("reason." + reason.replace(/ /g, "_"), reason);

/** Evidence image (plate crop or snapshot) of a sighting or alert, with the purpose it is read under. */
export function evidenceImage(url, purposeQuery, alt, className = "crop") {
  if (!url) return h(`div.${className}.missing`, t("evidence.none"));
  // Search answers give URLs that already carry their case and reason; others get the purpose added.
  const src = url.includes("?") ? url : apiUrl(url, purposeQuery);
  return h(`img.${className}`, { src, alt, loading: "lazy" });
}

/** One sighting as a card: plate crop, plate, confidence, camera, time. */
export function sightingCard(s, purposeQuery, cameraName, onOpen) {
  return h("article.sighting-card", { dataset: { id: s.id }, tabIndex: 0, onclick: () => onOpen?.(s) },
    evidenceImage(s.crop_url, purposeQuery, t("evidence.crop_of", { plate: s.plate || "?" })),
    h("div.sighting-meta",
      h("span.plate-text", s.plate || t("sighting.no_plate")),
      s.confidence != null ? h("span.confidence", formatPercent(s.confidence)) : null,
      h("span.camera", cameraName(s.camera_id)),
      h("time", { dateTime: s.observed_at }, formatDateTime(s.observed_at))));
}

export function emptyState(text) {
  return h("p.empty", text);
}

export function spinner() {
  return h("div.spinner", { role: "progressbar", "aria-label": t("common.loading") });
}
