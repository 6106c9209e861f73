// A page the role may not use (the menu hides it; a typed address lands here).
import { h, fill } from "../dom.js";
import { t } from "../i18n.js";

export function mount(root) {
  fill(root, h("div.banner.refused", h("strong", t("forbidden.title")), h("p", t("forbidden.text"))));
}
