// The transparency report (supervisors, auditors): aggregate figures for a quarter, as Markdown, HTML or PDF.
// It holds no plate, name, reason text or exact camera position.

import { apiUrl } from "../api.js";
import { h, fill } from "../dom.js";
import { t } from "../i18n.js";

const FORMATS = ["pdf", "html", "md"];

/** The last eight quarters, newest first: {period: "2026-Q4", label: "4.º trimestre de 2026"}, ... */
function quarters(now = new Date()) {
  const out = [];
  let year = now.getFullYear();
  let quarter = Math.floor(now.getMonth() / 3) + 1;
  for (let i = 0; i < 8; i += 1) {
    const label = t("reports.quarter", { quarter: String(quarter), year: String(year) }); // a year is not "2,026"
    out.push({ period: `${year}-Q${quarter}`, label });
    quarter -= 1;
    if (quarter === 0) { quarter = 4; year -= 1; }
  }
  return out;
}

export function mount(root) {
  const period = h("select#report-period", quarters().map((q) => h("option", { value: q.period }, q.label)));
  const links = h("div.report-links");
  const render = () => fill(links, FORMATS.map((format) => h("a.button.big", {
    href: apiUrl("/api/reports/transparency", { period: period.value, format }),
    download: `sereno-transparency-${period.value}.${format}`, dataset: { format } }, t("reports.download_" + format))));
  period.addEventListener("change", render);
  render();
  fill(root, h("div.reports-page",
    h("div.page-head", h("h1", t("reports.title"))),
    h("section.panel", h("p", t("reports.explain")), h("label", t("reports.period"), period), links)));
}
