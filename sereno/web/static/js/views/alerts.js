// Alerts: the hotlist hits, newest first, live from the event stream (sound and visual cue come from the shell).
// Confirming or dismissing states a reason; who decided what goes to the ledger.

import { api } from "../api.js";
import { alertCard } from "../alerts.js";
import { h, fill } from "../dom.js";
import { onEvent } from "../events.js";
import { t } from "../i18n.js";
import { emptyState, errorBanner, spinner } from "../ui.js";

const FILTERS = ["unverified", "confirmed", "dismissed", "all"];

export async function mount(root) {
  let filter = "unverified";
  const list = h("div.alert-list#alert-list");
  const filters = h("div.segmented");
  const cameras = await api("/api/cameras").catch(() => []);
  const cameraName = (id) => cameras.find((c) => c.id === id)?.name || id || "—";
  const shown = (status) => filter === "all" || filter === status;

  const renderFilters = () => fill(filters, FILTERS.map((f) => h("button", { type: "button",
    class: f === filter ? "active" : "", dataset: { filter: f },
    onclick: () => { filter = f; renderFilters(); load(); } }, t("alerts.filter_" + f))));

  async function load() {
    fill(list, spinner());
    try {
      const items = await api("/api/alerts", { query: { status: filter === "all" ? undefined : filter, limit: 100 } });
      window.dispatchEvent(new CustomEvent("sereno:alerts-seen"));
      fill(list, items.length ? items.map((alert) => alertCard(alert, { cameraName, onDecided: leave }))
        : emptyState(t("alerts.none_" + filter)));
    } catch (error) {
      fill(list, errorBanner(error));
    }
  }

  // A decided alert leaves a list it no longer belongs to after a moment (so the person sees the result first).
  function leave(alert) {
    if (shown(alert.status)) return;
    setTimeout(() => list.querySelector(`[data-id="${CSS.escape(alert.id)}"]`)?.remove(), 4000);
  }

  fill(root, h("div.alerts-page",
    h("div.page-head", h("h1", t("alerts.title")), h("p.hint", t("alerts.recorded"))),
    h("div.toolbar", filters, h("p.hint", t("alerts.sound_hint"))),
    list));
  renderFilters();
  await load();

  // New alerts arrive on top; an alert decided (here or on another screen) is redrawn, then leaves a list it no
  // longer belongs to.
  return onEvent("alert", (alert) => {
    const existing = list.querySelector(`[data-id="${CSS.escape(alert.id)}"]`);
    if (existing) {
      if (existing.dataset.status !== alert.status) {
        existing.replaceWith(alertCard(alert, { cameraName, onDecided: leave }));
        leave(alert);
      }
    } else if (shown(alert.status)) {
      list.querySelector(".empty")?.remove();
      list.prepend(alertCard(alert, { cameraName, onDecided: leave, fresh: true }));
    }
    window.dispatchEvent(new CustomEvent("sereno:alerts-seen"));
  });
}
