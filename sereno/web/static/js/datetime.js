// A date-time field written the way the chosen language writes it, not the browser's: es-MX "dd/mm/aaaa HH:mm"
// (24 h), English "mm/dd/yyyy hh:mm AM". (A native <input type="datetime-local"> follows the browser's locale, so
// an English browser showed mm/dd/yyyy and 12 h inside the Spanish pages.) Times are in the browser's time zone;
// callers get a Date and send it to the API as ISO UTC.

import { h } from "./dom.js";
import { dateTimeFormat, t } from "./i18n.js";

const DATE_PARTS = ["day", "month", "year"];

/** How the chosen language writes a date and time (from Intl): {order: ["day", "month", "year"], separator: "/",
 * periods: null for the 24-hour clock, else ["AM", "PM"]}. */
export function dateTimePattern() {
  const format = dateTimeFormat({ day: "2-digit", month: "2-digit", year: "numeric", hour: "2-digit",
    minute: "2-digit" });
  const parts = format.formatToParts(new Date(2026, 11, 5, 9, 30));
  const first = parts.findIndex((p) => DATE_PARTS.includes(p.type));
  const period = (hour) => format.formatToParts(new Date(2026, 11, 5, hour)).find((p) => p.type === "dayPeriod")?.value;
  return {
    order: parts.filter((p) => DATE_PARTS.includes(p.type)).map((p) => p.type),
    separator: parts[first + 1]?.type === "literal" ? parts[first + 1].value.trim() || "/" : "/",
    periods: parts.some((p) => p.type === "dayPeriod") ? [period(9), period(21)] : null,
  };
}

const pad = (number, width = 2) => String(number).padStart(width, "0");

/** "05/12/2026 14:30" (es-MX) or "12/05/2026 02:30 PM" (English) for a Date. */
export function formatFieldValue(date, pattern = dateTimePattern()) {
  const parts = { day: pad(date.getDate()), month: pad(date.getMonth() + 1), year: pad(date.getFullYear(), 4) };
  const hours = date.getHours();
  const time = pattern.periods
    ? `${pad(hours % 12 || 12)}:${pad(date.getMinutes())} ${pattern.periods[hours < 12 ? 0 : 1]}`
    : `${pad(hours)}:${pad(date.getMinutes())}`;
  return `${pattern.order.map((name) => parts[name]).join(pattern.separator)} ${time}`;
}

/** The format as a person reads it: "dd/mm/aaaa HH:mm", "mm/dd/yyyy hh:mm AM". */
export function formatHint(pattern = dateTimePattern()) {
  const date = pattern.order.map((name) => t("datetime." + name)).join(pattern.separator);
  return `${date} ${t("datetime.hour")}:${t("datetime.minute")}${pattern.periods ? " " + pattern.periods[0] : ""}`;
}

// Three numbers with / . or - between them, then hours:minutes and, optionally, a.m./p.m. in any spelling.
const TYPED = /^(\d{1,4})\s*[/.-]\s*(\d{1,2})\s*[/.-]\s*(\d{1,4})[\s,T]+(\d{1,2})[:.](\d{2})\s*(?:([ap])\.?\s*m\.?)?$/i;

/** The Date a person typed in the pattern's order (24-hour times are taken in any language), or null. */
export function parseFieldValue(text, pattern = dateTimePattern()) {
  const match = TYPED.exec(text.trim());
  if (!match) return null;
  const parts = Object.fromEntries(pattern.order.map((name, i) => [name, Number(match[i + 1])]));
  const [, , , , hourText, minuteText, period] = match;
  let hour = Number(hourText);
  if (period) {
    if (hour < 1 || hour > 12) return null;
    hour = (hour % 12) + (period.toLowerCase() === "p" ? 12 : 0);
  }
  const minute = Number(minuteText);
  const yearTyped = match[pattern.order.indexOf("year") + 1];
  if (yearTyped.length !== 4 || hour > 23 || minute > 59) return null;
  const date = new Date(parts.year, parts.month - 1, parts.day, hour, minute);
  // 31/02 rolls over into March in Date: a day the month does not have is a typing error.
  const real = date.getFullYear() === parts.year && date.getMonth() === parts.month - 1 && date.getDate() === parts.day;
  return real ? date : null;
}

/**
 * A text field for a date and time in the chosen language. `label` names it in error messages. Returns
 * {element, input, read}: read() gives the Date typed (null when empty and not `required`), or shows why the text
 * is not one (under the field and in the browser's validation bubble) and throws an Error with that message.
 */
export function dateTimeField({ id, label, value = null, required = false }) {
  const pattern = dateTimePattern();
  const hint = formatHint(pattern);
  const input = h(`input.datetime#${id}`, { type: "text", autocomplete: "off", spellcheck: false, required,
    placeholder: hint, title: hint, value: value ? formatFieldValue(value, pattern) : "" });
  const error = h("small.field-error", { id: `${id}-error`, hidden: true });
  input.setAttribute("aria-describedby", error.id);

  const problem = () => {
    const text = input.value.trim();
    if (!text) return required ? t("datetime.required", { field: label, format: hint }) : "";
    return parseFieldValue(text, pattern) ? ""
      : t("datetime.invalid", { field: label, format: hint, example: formatFieldValue(new Date(), pattern) });
  };
  const show = (message) => {
    input.setCustomValidity(message);
    input.setAttribute("aria-invalid", message ? "true" : "false");
    error.textContent = message;
    error.hidden = !message;
  };
  // While typing only the form's own check knows; leaving the field shows the message and tidies a valid value.
  input.addEventListener("input", () => {
    const message = problem();
    input.setCustomValidity(message);
    if (!message) show("");
  });
  input.addEventListener("change", () => {
    show(problem());
    const date = parseFieldValue(input.value, pattern);
    if (date) input.value = formatFieldValue(date, pattern);
  });

  return {
    element: h("span.datetime-field", input, error),
    input,
    read() {
      const message = problem();
      show(message);
      if (message) {
        input.reportValidity();
        throw new Error(message);
      }
      return input.value.trim() ? parseFieldValue(input.value, pattern) : null;
    },
  };
}
