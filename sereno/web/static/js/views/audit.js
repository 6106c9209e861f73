// The auditor's page: browse the ledger, verify it (hashes, links, signatures, checkpoints), read the oversight
// anomalies and download a verifiable export. Every one of these reads is itself recorded.

import { api } from "../api.js";
import { h, fill } from "../dom.js";
import { formatDateTime, formatNumber, t, tOr } from "../i18n.js";
import { emptyState, errorBanner, spinner } from "../ui.js";

const PAGE = 50;

export async function mount(root) {
  const entries = h("div#ledger-entries");
  const verify = h("div#verify-result");
  const oversight = h("div#oversight");
  fill(root, h("div.audit-page",
    h("div.page-head", h("h1", t("audit.title")),
      h("div.actions",
        h("button.primary#verify", { type: "button", onclick: () => runVerify(verify) }, t("audit.verify")),
        h("a.button.secondary#export", { href: "/api/audit/export", download: "sereno-ledger.zip" },
          t("audit.export")))),
    verify,
    h("div.audit-layout",
      h("section.panel", h("h2", t("audit.ledger")), entries),
      h("section.panel", h("h2", t("audit.oversight")), oversight))));
  loadEntries(entries, null);
  loadOversight(oversight);
}

async function runVerify(box) {
  fill(box, spinner());
  try {
    const result = await api("/api/audit/verify");
    fill(box, h(`div.banner.${result.ok ? "ok" : "refused"}#verify-banner`,
      h("strong", result.ok ? t("audit.verify_ok") : t("audit.verify_broken")),
      h("p", result.ok ? t("audit.verify_detail", { entries: result.entries, checkpoints: result.checkpoints })
        : result.problem)));
  } catch (error) {
    fill(box, errorBanner(error));
  }
}

/** One page of entries after sequence number `after` (null: the newest page), shown newest first. */
async function loadEntries(box, after) {
  fill(box, spinner());
  try {
    if (after === null) {
      const { total } = await api("/api/audit/entries", { query: { after: 0, limit: 1 } });
      after = Math.max(0, total - PAGE);
    }
    const answer = await api("/api/audit/entries", { query: { after, limit: PAGE } });
    const rows = answer.entries.slice().reverse();
    const newest = rows.length ? rows[0].seq : after;
    fill(box, rows.length ? h("table.data.ledger",
      h("thead", h("tr", ["seq", "at", "actor", "kind", "action", "outcome", "case"].map((c) =>
        h("th", t("audit.col_" + c))))),
      h("tbody", rows.map((e) => h(`tr.outcome-${e.outcome || "none"}`, { dataset: { seq: e.seq } },
        h("td", `#${e.seq}`), h("td", formatDateTime(e.at)), h("td", e.actor || "—"),
        h("td", tOr("kind." + e.kind, e.kind)), h("td", e.action || "—"),
        h("td", e.outcome ? h(`span.outcome.${e.outcome}`, tOr("outcome." + e.outcome, e.outcome)) : "—"),
        h("td", e.case_id || "—"))))) : emptyState(t("audit.no_entries")),
    h("div.pager",
      newest < answer.total ? h("button.secondary.small", { type: "button",
        onclick: () => loadEntries(box, newest) }, "← ", t("audit.newer")) : h("span"),
      h("span.muted", rows.length
        ? t("audit.range", { from: String(rows[rows.length - 1].seq), to: String(newest) }) : ""),
      after > 0 ? h("button.secondary.small", { type: "button",
        onclick: () => loadEntries(box, Math.max(0, after - PAGE)) }, t("audit.older"), " →") : h("span")));
  } catch (error) {
    fill(box, errorBanner(error));
  }
}

async function loadOversight(box) {
  fill(box, spinner());
  try {
    const answer = await api("/api/audit/oversight");
    // {anomalies: {refused: [...], outside_shift: [...], ...}, searches: [...]} (sereno.governance.oversight)
    const groups = Object.entries(answer.anomalies || {}).filter(([, items]) => items.length);
    fill(box, groups.length ? groups.map(([kind, items]) => h("div.anomaly-group", { dataset: { kind } },
      h("h3", `${tOr("anomaly." + kind, kind)} (${formatNumber(items.length)})`),
      h("ul.anomalies", items.slice(0, 20).map((item) => h("li", anomalyText(item))))))
      : emptyState(t("audit.no_anomalies")),
    answer.searches ? h("p.muted", t("audit.searches_count", { n: answer.searches.length })) : null);
  } catch (error) {
    fill(box, errorBanner(error));
  }
}

/** One anomaly in a line: entry number, time, who, and what (the fields the oversight view gives). */
function anomalyText(item) {
  const who = item.user || item.by || (item.users || []).join(", ");
  const what = [item.camera, item.action, item.code && tOr("refusal_code." + item.code, item.code), item.case || item.case_id,
    item.plate, item.reason && `«${item.reason}»`, item.username, item.capability, item.state]
    .filter(Boolean).join(" · ");
  return [item.seq != null ? h("span.seq", `#${item.seq} `) : null, item.at ? h("span.muted", formatDateTime(item.at) + " ") : null,
    who ? h("strong", who + " ") : null, what];
}
