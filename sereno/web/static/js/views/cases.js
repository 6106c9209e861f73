// Cases and warrants (investigators, supervisors); supervisors also approve wide searches (by the ledger entry
// number of the refused request) and officers' camera feed requests (they arrive live), and load hotlists.

import { api } from "../api.js";
import { dateTimeField } from "../datetime.js";
import { h, fill } from "../dom.js";
import { onEvent } from "../events.js";
import { formatDateTime, t } from "../i18n.js";
import { session } from "../session.js";
import { beep } from "../sound.js";
import { emptyState, errorBanner, toast } from "../ui.js";

const CAPABILITIES = ["face_search", "face_watchlist", "extended_retention", "cross_agency_sharing"];

export async function mount(root, { args }) {
  const supervisor = session.user.role === "supervisor";
  const main = h("div.cases-main");
  const cleanups = [];
  fill(root, h("div.cases-page", h("div.page-head", h("h1", t("cases.title"))),
    h("div.cases-layout", main,
      supervisor ? h("aside.cases-side", feedRequestsPanel(cleanups), approvalsPanel(), hotlistsPanel()) : null)));
  if (args[0]) await caseDetail(main, args[0]);
  else await caseList(main);
  return () => cleanups.forEach((cleanup) => cleanup());
}

async function caseList(box) {
  const [cases, offenses] = await Promise.all([api("/api/cases"), api("/api/offenses")]).catch((error) => {
    fill(box, errorBanner(error));
    return [null, null];
  });
  if (!cases) return;
  const list = cases;
  const number = h("input#case-number", { required: true, placeholder: "TIJ-2026-0042" });
  const offense = h("select#case-offense", offenses.map((o) => h("option", { value: o.code }, t("offense." + o.code))));
  const message = h("div");
  const form = h("form.inline-form#case-form", { onsubmit: async (event) => {
    event.preventDefault();
    try {
      const created = await api("/api/cases", { method: "POST", body: { number: number.value.trim(),
        offense: offense.value } });
      toast(t("cases.opened", { number: created.number || number.value }), "ok");
      location.hash = `#/cases/${encodeURIComponent(created.number || number.value.trim())}`;
    } catch (error) {
      fill(message, errorBanner(error));
    }
  } }, h("label", t("cases.number"), number), h("label", t("cases.offense"), offense),
  h("button.primary", { type: "submit" }, t("cases.open")));
  fill(box,
    h("section.panel", h("h2", t("cases.list")), list.length ? h("table.data#case-table",
      h("thead", h("tr", ["number", "offense", "status", "lead", "opened"].map((c) => h("th", t("cases.col_" + c))))),
      h("tbody", list.map((c) => h("tr",
        h("td", h("a", { href: `#/cases/${encodeURIComponent(c.number)}` }, c.number)),
        h("td", t("offense." + c.offense)), h("td", h(`span.case-status.${c.status}`, t("cases.status_" + c.status))),
        h("td", c.lead || "—"), h("td", formatDateTime(c.opened_at))))))
      : emptyState(t("cases.none"))),
    h("section.panel", h("h2", t("cases.new")), form, message));
}

async function caseDetail(box, number) {
  let detail;
  try {
    detail = await api(`/api/cases/${encodeURIComponent(number)}`);
  } catch (error) {
    return fill(box, errorBanner(error));
  }
  const c = detail;
  const warrants = detail.warrants;
  fill(box,
    h("a.back", { href: "#/cases" }, "← ", t("cases.list")),
    h("section.panel", h("h2", `${t("cases.case")} ${c.number}`),
      h("dl.facts", h("dt", t("cases.offense")), h("dd", t("offense." + c.offense)),
        h("dt", t("cases.col_status")), h("dd", t("cases.status_" + c.status)),
        h("dt", t("cases.col_lead")), h("dd", c.lead || "—"))),
    h("section.panel", h("h2", t("cases.warrants")), warrants.length ? h("table.data",
      h("thead", h("tr", ["capability", "court", "reference", "window", "valid"].map((k) => h("th", t("warrant." + k))))),
      h("tbody", warrants.map((w) => h("tr", h("td", t("capability." + w.capability)), h("td", w.court || "—"),
        h("td", w.reference || "—"), h("td", `${formatDateTime(w.start)} – ${formatDateTime(w.end)}`),
        h("td", formatDateTime(w.valid_until)))))) : emptyState(t("cases.no_warrants")),
    warrantForm(c.number)));
}

function warrantForm(number) {
  const field = (name, attrs = {}) => h("label", t("warrant." + name), h(`input#warrant-${name}`,
    { name, required: true, ...attrs }));
  const now = Date.now();
  const dates = Object.fromEntries([["start", now - 86400000], ["end", now], ["valid_until", now + 7 * 86400000]]
    .map(([name, at]) => [name, dateTimeField({ id: `warrant-${name}`, label: t("warrant." + name),
      value: new Date(at), required: true })]));
  const dateField = (name) => h("label", t("warrant." + name), dates[name].element);
  const message = h("div");
  const form = h("form.grid-form#warrant-form", { onsubmit: async (event) => {
    event.preventDefault();
    const data = Object.fromEntries(new FormData(form));
    try {
      for (const [name, date] of Object.entries(dates)) data[name] = date.read().toISOString();
    } catch (error) {
      return fill(message, errorBanner(error));
    }
    data.valid_from = new Date().toISOString(); // a warrant is recorded as it is issued: valid from now
    data.cameras = data.cameras ? data.cameras.split(",").map((s) => s.trim()).filter(Boolean) : [];
    try {
      await api(`/api/cases/${encodeURIComponent(number)}/warrants`, { method: "POST", body: data });
      toast(t("cases.warrant_recorded"), "ok");
      location.reload();
    } catch (error) {
      fill(message, errorBanner(error));
    }
  } },
  h("label", t("warrant.capability"), h("select", { name: "capability" },
    CAPABILITIES.map((c) => h("option", { value: c }, t("capability." + c))))),
  field("court"), field("judge"), field("reference"),
  dateField("start"), dateField("end"), dateField("valid_until"),
  h("label", t("warrant.cameras"), h("input", { name: "cameras", placeholder: "cam-1, cam-2" })),
  h("button.primary", { type: "submit" }, t("cases.record_warrant")), message);
  return h("section.panel", h("h2", t("cases.new_warrant")), form);
}

function approvalsPanel() {
  const seq = h("input#approval-seq", { type: "number", min: 1, required: true });
  const why = h("input#approval-reason", { required: true, minLength: 10 });
  const message = h("div");
  return h("section.panel", h("h2", t("approvals.title")), h("p.hint", t("approvals.explain")),
    h("form.inline-form", { onsubmit: async (event) => {
      event.preventDefault();
      try {
        await api(`/api/approvals/${seq.value}`, { method: "POST", body: { reason: why.value.trim() } });
        fill(message, h("div.banner.ok", t("approvals.done", { seq: seq.value })));
      } catch (error) {
        fill(message, errorBanner(error));
      }
    } }, h("label", t("approvals.seq"), seq), h("label", t("approvals.reason"), why),
    h("button.primary", { type: "submit" }, t("approvals.approve"))),
    message);
}

/** Officers' camera feed requests waiting for a decision. A new one appears at once (event stream) with the alert
 * sound and a toast; one decided here or by another supervisor leaves the list. */
function feedRequestsPanel(cleanups) {
  const box = h("div#feed-requests");
  let pending = [];
  const card = (r) => h("div.request-card", { dataset: { id: r.id } },
    h("strong", `${r.username} → ${r.camera_id}`),
    h("p", t("tablet.minutes", { n: r.minutes }), " · ", r.reason),
    h("p.muted", formatDateTime(r.requested_at)),
    h("div.actions",
      h("button.confirm", { type: "button", onclick: () => decide(r.id, "approve") }, t("feeds.approve")),
      h("button.dismiss", { type: "button", onclick: () => decide(r.id, "deny") }, t("feeds.deny"))));
  const render = () => fill(box, pending.length ? pending.map(card) : emptyState(t("feeds.none")));
  const forget = (id) => {
    pending = pending.filter((r) => r.id !== id);
    render();
  };
  const load = async () => {
    try {
      pending = (await api("/api/feed-requests")).filter((r) => r.status === "pending");
      render();
    } catch (error) {
      fill(box, errorBanner(error));
    }
  };
  const decide = async (id, verb) => {
    try {
      await api(`/api/feed-requests/${encodeURIComponent(id)}/${verb}`, { method: "POST", body: {} });
      toast(t(verb === "approve" ? "feeds.approved" : "feeds.denied"), "ok");
      forget(id);
    } catch (error) {
      toast(error.message, "error");
      load();
    }
  };
  cleanups.push(
    onEvent("feed_request", (r) => {
      if (r.status !== "pending" || pending.some((p) => p.id === r.id)) return; // a replay after a reconnection
      pending.unshift(r);
      render();
      if (r.username === session.user.username) return; // their own request, from a tablet: others decide it
      box.querySelector(`[data-id="${CSS.escape(r.id)}"]`)?.classList.add("fresh");
      beep();
      toast(t("feeds.new", { user: r.username, camera: r.camera_id }), "info", 10);
    }),
    onEvent("feed_decision", (r) => forget(r.id)),
    onEvent("reconnected", load));
  load();
  return h("section.panel", h("h2", t("feeds.title")),
    h("button.secondary.small", { type: "button", onclick: load }, t("common.refresh")), box);
}

/** The hotlists loaded, and importing one: bad lines are reported with their number; the sightings of the last
 * 24 hours are matched at once and their alerts go out like live ones. */
function hotlistsPanel() {
  const lists = h("div#hotlist-table");
  const message = h("div#hotlist-result");
  const name = h("input#hotlist-name", { name: "name", required: true, placeholder: "robados-bc" });
  const file = h("input#hotlist-file", { name: "file", type: "file", required: true, accept: ".csv,.txt" });
  const load = async () => {
    try {
      const found = await api("/api/hotlists");
      fill(lists, found.length ? h("ul.hotlists", found.map((l) => h("li", h("strong", l.name),
        h("span", t("tablet.hotlist_entries", { n: l.active })), h("span.muted", formatDateTime(l.imported_at)))))
        : emptyState(t("tablet.no_hotlists")));
    } catch (error) {
      fill(lists, errorBanner(error));
    }
  };
  const form = h("form.stack-form#hotlist-form", { onsubmit: async (event) => {
    event.preventDefault();
    try {
      const result = await api("/api/hotlists", { method: "POST", form: new FormData(form) });
      fill(message, h("div.banner.ok", t("hotlists.imported", { n: result.imported, alerts: result.alerts })),
        result.problems.length ? h("ul.problems", result.problems.map((p) =>
          h("li", t("hotlists.problem", { line: p.line, reason: p.reason })))) : null);
      form.reset();
      load();
    } catch (error) {
      fill(message, errorBanner(error));
    }
  } }, h("label", t("hotlists.name"), name), h("label", t("hotlists.file"), file),
  h("p.hint", t("hotlists.formats")), h("button.primary#hotlist-import", { type: "submit" }, t("hotlists.import")));
  load();
  return h("section.panel", h("h2", t("hotlists.title")), lists, form, message);
}
