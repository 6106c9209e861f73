// The single-page app: the shell (menu by role, language, sound, user), hash routing to one module per page,
// and the live alert cue that follows the operator on every page.

import { h, fill, stopStreams } from "./dom.js";
import { icon } from "./icons.js";
import { connectEvents, disconnectEvents, onEvent } from "./events.js";
import { currentLanguage, initI18n, LANGUAGES, setLanguage, t } from "./i18n.js";
import { homePage, loadConfig, loadSession, logOut, MENU, mayUse, session } from "./session.js";
import { beep, isMuted, setMuted } from "./sound.js";
import { toast } from "./ui.js";

const view = document.getElementById("view");
const topbar = document.getElementById("topbar");
let cleanup = null;
let newAlerts = 0;

/** "#/camera/cam-1?x=1" -> {page: "camera", args: ["cam-1"], params} */
function parseHash() {
  const [path, query = ""] = location.hash.replace(/^#\/?/, "").split("?");
  const [page = "", ...args] = path.split("/").map(decodeURIComponent);
  return { page, args, params: new URLSearchParams(query) };
}

async function route() {
  const { page, args, params } = parseHash();
  if (!session.user && page !== "login") return go("login");
  if (session.user && (page === "login" || !page)) return go(homePage());
  const target = page === "login" || mayUse(page) ? page : "forbidden";
  cleanup?.();
  cleanup = null;
  stopStreams(view);
  renderShell(page);
  const root = h(`section.page.page-${target}`);
  fill(view, root);
  document.body.dataset.page = target;
  try {
    const module = await import(`./views/${target}.js`);
    cleanup = (await module.mount(root, { args, params })) || null;
  } catch (error) {
    fill(root, h("div.banner.error", h("strong", t("error.title")), h("p", error.message)));
  }
}

export function go(page, ...args) {
  const hash = `#/${[page, ...args].map(encodeURIComponent).join("/")}`;
  if (location.hash === hash) route();
  else location.hash = hash;
}

function renderShell(page) {
  const user = session.user;
  topbar.hidden = !user;
  document.getElementById("stream-lost").textContent = "⚠ " + t("events.lost");
  if (!user) return;
  const bell = h("a.bell", { href: "#/alerts", title: t("alerts.title"), hidden: !mayUse("alerts") },
    icon("bell"), newAlerts ? h("span.count", String(newAlerts)) : null);
  fill(topbar,
    h("a.brand", { href: "#/" + "map" }, h("img", { src: "/static/img/sereno.svg", alt: "" }), "Sereno"),
    session.config?.demo ? h("span.demo-tag", { title: t("demo.explain") }, t("demo.tag")) : null,
    h("nav#menu", MENU.filter((p) => mayUse(p)).map((p) => h("a", {
      href: "#/" + p, class: p === page ? "active" : "", dataset: { page: p } }, t("nav." + p)))),
    h("div.topbar-right",
      bell,
      mayUse("alerts") && h("button.icon#mute", { type: "button", title: t(isMuted() ? "sound.unmute" : "sound.mute"),
        onclick: () => { setMuted(!isMuted()); renderShell(parseHash().page); } }, icon(isMuted() ? "muted" : "sound")),
      languageSelect(),
      h("span.user", { title: user.agency || "" }, h("strong", user.name || user.username), " · ",
        t("role." + user.role)),
      h("button.secondary.small#logout", { type: "button", onclick: async () => {
        await logOut().catch(() => {});
        disconnectEvents();
        go("login");
      } }, t("nav.logout"))));
}

export function languageSelect() {
  return h("select.lang#lang", { "aria-label": t("common.language"), onchange: async (event) => {
    await setLanguage(event.target.value);
    route();
  } }, LANGUAGES.map((code) => h("option", { value: code, selected: code === currentLanguage() },
    t("language." + code))));
}

const announced = new Set(); // alert ids already announced (events replay after a reconnection)

function onAlert(alert) {
  if (alert.status !== "unverified" || announced.has(alert.id)) return; // decisions update pages silently
  announced.add(alert.id);
  newAlerts += 1;
  beep();
  document.body.classList.remove("alert-flash");
  void document.body.offsetWidth; // restart the CSS animation
  document.body.classList.add("alert-flash");
  toast(t("alerts.toast", { plate: alert.hotlist_plate || alert.read_plate || "?", list: alert.list_name || "" }),
    "alert", 10);
  renderShell(parseHash().page);
}

const heardRequests = new Set(); // feed requests already announced (events replay after a reconnection)

/** A tablet's camera feed request reaches a supervisor on whatever page is open (the cases page shows its own). */
function onFeedRequest(request) {
  if (request.status !== "pending" || heardRequests.has(request.id)) return;
  heardRequests.add(request.id);
  if (request.username === session.user?.username || parseHash().page === "cases") return;
  beep();
  toast(h("a", { href: "#/cases" }, t("feeds.new", { user: request.username, camera: request.camera_id })),
    "info", 15);
}

/** Called by the login page and at start-up once a session exists. */
export function startSession() {
  if (mayUse("alerts")) connectEvents();
}

window.addEventListener("sereno:unauthenticated", () => {
  session.user = null;
  disconnectEvents();
  if (parseHash().page !== "login") go("login");
});
window.addEventListener("sereno:alerts-seen", () => { newAlerts = 0; renderShell(parseHash().page); });
window.addEventListener("hashchange", route);

async function start() {
  await initI18n();
  await Promise.all([loadConfig(), loadSession()]);
  if (session.user) startSession();
  onEvent("alert", onAlert);
  onEvent("feed_request", onFeedRequest);
  route();
}

start().catch((error) => fill(view, h("div.banner.error", h("strong", "Sereno"), h("p", error.message))));
