// Login: username, password and the 6-digit code of the authenticator app. A tablet remembers its device id
// (set once with #/login?device=ID) and sends it, so that its session is bound to the device.

import { go, languageSelect, startSession } from "../app.js";
import { h, fill } from "../dom.js";
import { t } from "../i18n.js";
import { homePage, logIn, session } from "../session.js";
import { errorBanner } from "../ui.js";

const DEVICE_KEY = "sereno.device";

export function mount(root, { params }) {
  if (params.has("device")) {
    const device = params.get("device").trim();
    if (device) localStorage.setItem(DEVICE_KEY, device);
    else localStorage.removeItem(DEVICE_KEY);
  }
  const device = localStorage.getItem(DEVICE_KEY);
  const message = h("div.login-message", { "aria-live": "polite" });
  const username = h("input#login-username", { name: "username", autocomplete: "username", required: true,
    autocapitalize: "none", spellcheck: false });
  const code = h("input#login-code", { name: "code", inputMode: "numeric", autocomplete: "one-time-code",
    pattern: "[0-9]{6}", maxLength: 6, required: true, placeholder: "000000" });
  const form = h("form.login-form", { onsubmit: async (event) => {
    event.preventDefault();
    const fields = Object.fromEntries(new FormData(form));
    if (device) fields.device_id = device;
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    fill(message);
    try {
      await logIn(fields);
      startSession();
      go(homePage());
    } catch (error) {
      fill(message, error.status === 401 || error.status === 400
        ? h("div.banner.error", { role: "alert" }, h("p", error.message || t("login.failed")))
        : errorBanner(error));
      code.value = "";
      code.focus();
    } finally {
      button.disabled = false;
    }
  } },
  h("label", t("login.username"), username),
  h("label", t("login.password"), h("input#login-password", { name: "password", type: "password",
    autocomplete: "current-password", required: true })),
  h("label", t("login.code"), code),
  session.config?.demo ? h("p.hint.demo-hint", t("login.demo_hint"), " ", h("code", t("login.demo_command"))) : null,
  device ? h("p.hint", t("login.device", { device })) : null,
  h("button.primary.wide", { type: "submit" }, t("login.submit")),
  message);

  fill(root, h("div.login-screen",
    h("div.login-card",
      h("div.login-head", h("img.logo", { src: "/static/img/sereno.svg", alt: "" }),
        h("div", h("h1", "Sereno"), h("p.muted", t("login.tagline")))),
      form,
      h("div.login-foot", languageSelect(), h("span.muted", t("login.recorded"))))));
  username.focus();
}
