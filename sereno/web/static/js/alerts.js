// One hotlist alert as a card, shared by the alerts page and the tablet. Every alert starts UNVERIFIED: the card
// says so in large letters and asks the person to compare the plate crop with the listed plate before acting.
// Watching alerts is the operators' standing duty: the API records its standing reason for these reads.

import { api } from "./api.js";
import { h, fill } from "./dom.js";
import { formatDateTime, formatRelative, t } from "./i18n.js";
import { errorBanner, evidenceImage } from "./ui.js";

function media(url, className, label) {
  return h(`figure.evidence.${className}`, evidenceImage(url, {}, label, "evidence-img"), h("figcaption", label));
}

function statusBanner(alert) {
  if (alert.status === "confirmed" || alert.status === "dismissed") {
    return h(`div.alert-status.${alert.status}`,
      h("strong", t("alerts.status_" + alert.status)),
      h("span", t("alerts.decided", { by: alert.decided_by || "?", at: formatDateTime(alert.decided_at) })),
      alert.decision_reason ? h("q", alert.decision_reason) : null);
  }
  return h("div.alert-status.unverified", { role: "alert" },
    h("strong", t("alerts.status_unverified")), h("span", t("alerts.verify_first")));
}

function matchBadge(alert) {
  return alert.match_kind === "exact"
    ? h("span.match.exact", t("alerts.match_exact"))
    : h("span.match.lookalike", { title: t("alerts.match_lookalike_explain") }, "≈ ", t("alerts.match_lookalike"));
}

/** The decision form of an unverified alert: a reason, then confirm or dismiss. */
function decisionForm(alert, onDecided) {
  const why = h("textarea.decision-reason", { rows: 2, required: true, minLength: 10,
    placeholder: t("alerts.decision_placeholder"), "aria-label": t("alerts.decision_reason") });
  const message = h("div.decision-message");
  const decide = (verb) => async () => {
    if (!why.reportValidity()) return;
    try {
      onDecided(await api(`/api/alerts/${encodeURIComponent(alert.id)}/${verb}`, {
        method: "POST", body: { reason: why.value.trim() } }));
    } catch (error) {
      fill(message, errorBanner(error));
    }
  };
  return h("div.alert-decision", why, h("div.actions",
    h("button.confirm", { type: "button", onclick: decide("confirm") }, "✔ ", t("alerts.confirm")),
    h("button.dismiss", { type: "button", onclick: decide("dismiss") }, "✖ ", t("alerts.dismiss"))), message);
}

/**
 * The card of an alert as the API gives it ({..., sighting: {...}}). `cameraName(id)` names cameras; `distance`
 * (text) is shown on the tablet; `onDecided(alert)` runs after this person's decision; `fresh` flashes it.
 */
export function alertCard(alert, { cameraName = (id) => id, distance = null, onDecided, fresh = false } = {}) {
  const sighting = alert.sighting || {};
  const card = h(`article.alert-card.status-${alert.status}`, { dataset: { id: alert.id, status: alert.status } });
  if (fresh) card.classList.add("fresh");
  const decided = (updated) => {
    // The event stream may have redrawn this alert already; replace whichever card shows it now.
    const current = card.isConnected ? card : document.querySelector(`.alert-card[data-id="${CSS.escape(alert.id)}"]`);
    current?.replaceWith(alertCard(updated, { cameraName, distance, onDecided }));
    onDecided?.(updated);
  };
  fill(card,
    statusBanner(alert),
    h("div.alert-body",
      h("div.alert-media",
        media(sighting.crop_url, "crop", t("alerts.crop")),
        media(sighting.snapshot_url, "snapshot", t("alerts.snapshot"))),
      h("div.alert-facts",
        h("div.plates",
          h("div", h("span.label", t("alerts.listed_plate")), h("span.plate-text.big", alert.hotlist_plate)),
          h("div", h("span.label", t("alerts.read_plate")), h("span.plate-text.read", alert.read_plate)),
          matchBadge(alert)),
        h("dl.facts",
          h("dt", t("alerts.list")), h("dd", alert.list_name),
          h("dt", t("alerts.list_reason")), h("dd", alert.reason || "—"),
          h("dt", t("alerts.camera")), h("dd", cameraName(sighting.camera_id)),
          h("dt", t("alerts.seen_at")), h("dd", h("time", { dateTime: sighting.observed_at },
            formatDateTime(sighting.observed_at)), " (", formatRelative(sighting.observed_at), ")"),
          distance != null ? [h("dt", t("tablet.distance")), h("dd.distance", distance)] : null),
        alert.status === "unverified" ? decisionForm(alert, decided) : null)));
  return card;
}
