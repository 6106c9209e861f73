// Who is logged in, the installation's public settings, and which pages each role may use.
// The menu follows the gate's role matrix (docs/governance.md); the API still checks every request.

import { api } from "./api.js";

export const session = { user: null, config: null };

const FIELD = ["operator", "investigator", "supervisor"]; // the roles that watch cameras and alerts

/** Page -> roles that may use it. */
const PAGE_ROLES = {
  map: [...FIELD, "auditor", "administrator"],
  wall: FIELD,
  camera: FIELD,
  alerts: FIELD,
  search: ["investigator", "supervisor"],
  tablet: FIELD,
  cases: ["investigator", "supervisor"],
  audit: ["auditor"],
  reports: ["supervisor", "auditor"],
};

export const MENU = ["map", "wall", "alerts", "search", "tablet", "cases", "audit", "reports"];

export function mayUse(page, user = session.user) {
  return Boolean(user && PAGE_ROLES[page]?.includes(user.role));
}

/** The first page a role lands on after login. */
export function homePage(user = session.user) {
  return user?.role === "auditor" ? "audit" : "map";
}

export async function loadConfig() {
  session.config = await api("/api/config");
  return session.config;
}

/** The current session, or null when nobody is logged in. */
export async function loadSession() {
  try {
    session.user = await api("/api/session");
  } catch (error) {
    if (error.status !== 401) throw error;
    session.user = null;
  }
  return session.user;
}

export async function logIn(fields) {
  session.user = await api("/api/session", { method: "POST", body: fields });
  return session.user;
}

export async function logOut() {
  try {
    await api("/api/session", { method: "DELETE" });
  } finally {
    session.user = null;
    sessionStorage.clear(); // the case + reason given for this session must not outlive it
  }
}
