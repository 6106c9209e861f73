// Case + reason: every search and every view of a sighting or recording states them. Asked once in a dialog and
// remembered for this page session (sessionStorage: closing the tab forgets them; logging out clears them).

import { api } from "./api.js";
import { h } from "./dom.js";
import { t } from "./i18n.js";

const STORAGE_KEY = "sereno.purpose";
const MIN_REASON = 10; // the gate refuses shorter reasons (no_reason)

function storedPurpose() {
  try {
    return JSON.parse(sessionStorage.getItem(STORAGE_KEY)) || null;
  } catch {
    return null;
  }
}

function remember(purpose) {
  sessionStorage.setItem(STORAGE_KEY, JSON.stringify(purpose));
  window.dispatchEvent(new CustomEvent("sereno:purpose", { detail: purpose }));
}

/** The remembered purpose, or the dialog's answer. Rejects with Error("cancelled") when the dialog is closed. */
export async function getPurpose() {
  const known = storedPurpose();
  return known?.case && known?.reason ? known : askPurpose();
}

/** Always show the dialog (to change the case or the reason). */
async function askPurpose() {
  const known = storedPurpose() || {};
  const cases = await api("/api/cases").then((all) => all.filter((c) => c.status === "open"));
  return new Promise((resolve, reject) => {
    const caseSelect = h("select#purpose-case", { name: "case", required: true },
      h("option", { value: "" }, t("purpose.pick_case")),
      cases.map((c) => h("option", { value: c.number, selected: c.number === known.case },
        `${c.number} · ${t("offense." + c.offense)}`)));
    const reason = h("textarea#purpose-reason", { name: "reason", rows: 3, required: true,
      minLength: MIN_REASON, placeholder: t("purpose.reason_placeholder") }, known.reason || "");
    const form = h("form.purpose-form",
      h("h2", t("purpose.title")),
      h("p.muted", t("purpose.explain")),
      h("label", t("purpose.case"), caseSelect),
      cases.length ? null : h("p.warning", t("purpose.no_open_cases")),
      h("label", t("purpose.reason"), reason),
      h("p.hint", t("purpose.recorded")),
      h("div.actions",
        h("button.secondary", { type: "button", onclick: () => dialog.close("cancel") }, t("common.cancel")),
        h("button.primary#purpose-ok", { type: "submit" }, t("purpose.continue"))));
    const dialog = h("dialog.purpose-dialog", form);
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const purpose = { case: caseSelect.value, reason: reason.value.trim() };
      remember(purpose);
      dialog.close("ok");
      resolve(purpose);
    });
    dialog.addEventListener("close", () => {
      dialog.remove();
      if (dialog.returnValue !== "ok") reject(new Error("cancelled"));
    });
    document.body.append(dialog);
    dialog.showModal();
    (caseSelect.value ? reason : caseSelect).focus();
  });
}

/** Query parameters (or body fields) for a purpose. */
export const purposeParams = (purpose) => ({ case: purpose.case, reason: purpose.reason });

/** A chip showing the purpose in force, with a button to change it. */
export function purposeChip({ onChange } = {}) {
  const text = h("span.purpose-text#purpose-text");
  const render = () => {
    const p = storedPurpose();
    text.textContent = p?.reason ? `${t("purpose.case")}: ${p.case} · ${t("purpose.reason")}: ${p.reason}`
      : t("purpose.none");
  };
  render();
  const onPurpose = () => (text.isConnected ? render() : window.removeEventListener("sereno:purpose", onPurpose));
  window.addEventListener("sereno:purpose", onPurpose);
  return h("div.purpose-chip", h("span.purpose-icon", "§"), text,
    h("button.link#purpose-change", { type: "button", onclick: async () => {
      try {
        await askPurpose();
        onChange?.();
      } catch { /* cancelled */ }
    } }, t("purpose.change")));
}
