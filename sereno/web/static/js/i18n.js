// Languages: Spanish (Mexico) by default, English on request; the choice is remembered on this browser.
// Texts live in /static/i18n/<lang>.json (flat keys); dates and numbers go through Intl in the chosen locale.

export const LANGUAGES = ["es-MX", "en"];
const STORAGE_KEY = "sereno.lang";
// Mexican offices write times on the 24-hour clock (CLDR's es-MX default is 12 h); English keeps its own clock.
const HOUR_CYCLES = { "es-MX": "h23" };

let lang = LANGUAGES.includes(localStorage.getItem(STORAGE_KEY)) ? localStorage.getItem(STORAGE_KEY) : "es-MX";
let texts = {};
let fallback = {};

async function load(code) {
  const response = await fetch(`/static/i18n/${code}.json`, { cache: "no-cache" });
  if (!response.ok) throw new Error(`cannot load the ${code} texts (HTTP ${response.status})`);
  return response.json();
}

export async function initI18n() {
  fallback = await load("es-MX");
  texts = lang === "es-MX" ? fallback : await load(lang);
  document.documentElement.lang = lang;
}

export async function setLanguage(code) {
  if (!LANGUAGES.includes(code)) return;
  lang = code;
  localStorage.setItem(STORAGE_KEY, code);
  await initI18n();
}

export const currentLanguage = () => lang;

/** Intl.DateTimeFormat for the chosen language (and its clock) with `options`. */
export const dateTimeFormat = (options) => new Intl.DateTimeFormat(lang, { hourCycle: HOUR_CYCLES[lang], ...options });

/**
 * The text for `key` in the current language, with {name} placeholders filled from `vars`. With a number `n`,
 * `key_one` / `key_other` (Intl.PluralRules) are used where the texts have them: "1 placa", "4 placas".
 */
export function t(key, vars = {}) {
  if (typeof vars.n === "number" && `${key}_other` in fallback) {
    key = `${key}_${new Intl.PluralRules(lang).select(vars.n) === "one" ? "one" : "other"}`;
  }
  const text = texts[key] ?? fallback[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (whole, name) => (name in vars ? formatValue(vars[name]) : whole));
}

/** The translation of `key` when there is one, else `otherwise` (e.g. a reason text the API sent as is). */
export function tOr(key, otherwise) {
  return key in texts || key in fallback ? t(key) : otherwise;
}

function formatValue(value) {
  return typeof value === "number" ? formatNumber(value) : String(value);
}

export function formatNumber(value, options = {}) {
  return new Intl.NumberFormat(lang, options).format(value);
}

export function formatPercent(fraction) {
  return formatNumber(fraction, { style: "percent", maximumFractionDigits: 0 });
}

/** A date-time from an ISO string (or Date), in the browser's time zone and the chosen language. */
export function formatDateTime(value, options = { dateStyle: "medium", timeStyle: "medium" }) {
  if (!value) return "—";
  const date = value instanceof Date ? value : new Date(value);
  return Number.isNaN(date.getTime()) ? String(value) : dateTimeFormat(options).format(date);
}

export const formatTime = (value) => formatDateTime(value, { timeStyle: "medium" });

/** "hace 3 minutos" / "3 minutes ago". */
export function formatRelative(value) {
  if (!value) return "—";
  const seconds = Math.round((new Date(value).getTime() - Date.now()) / 1000);
  const units = [["day", 86400], ["hour", 3600], ["minute", 60], ["second", 1]];
  const [unit, size] = units.find(([, s]) => Math.abs(seconds) >= s) || units[3];
  return new Intl.RelativeTimeFormat(lang, { numeric: "auto" }).format(Math.round(seconds / size), unit);
}

export function formatDistance(metres) {
  return metres >= 1000
    ? formatNumber(metres / 1000, { style: "unit", unit: "kilometer", maximumFractionDigits: 1 })
    : formatNumber(metres, { style: "unit", unit: "meter", maximumFractionDigits: 0 });
}
