// Every page takes its data from the JSON API (sereno/api). The session is an HttpOnly cookie; requests that
// change state carry the `X-Sereno: 1` header the API demands of cookie sessions (a cross-site form cannot).

export class ApiError extends Error {
  constructor(status, body) {
    super(body?.message || `HTTP ${status}`);
    this.status = status;
    this.code = body?.error || "http_" + status;
    this.ledgerSeq = body?.ledger_seq ?? null;
  }

  /** A refusal by the governance gate (recorded in the ledger). */
  get refused() {
    return this.status === 403 && this.code !== "csrf";
  }
}

/** A URL with the query parameters that have a value (arrays repeat the parameter). */
export function apiUrl(path, query = {}) {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    for (const item of Array.isArray(value) ? value : [value]) {
      if (item !== undefined && item !== null && item !== "") params.append(key, String(item));
    }
  }
  const text = params.toString();
  return text ? `${path}${path.includes("?") ? "&" : "?"}${text}` : path;
}

/**
 * Call the API. `body` is sent as JSON, `form` (FormData) as multipart. Answers JSON, text or a Blob by type.
 * A 401 anywhere means the session ended: the app listens for `sereno:unauthenticated` and shows the login.
 */
export async function api(path, { method = "GET", query, body, form } = {}) {
  const headers = { Accept: "application/json" };
  if (method !== "GET") headers["X-Sereno"] = "1";
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(apiUrl(path, query), {
    method,
    headers,
    credentials: "same-origin",
    body: form ?? (body !== undefined ? JSON.stringify(body) : undefined),
  });
  const type = response.headers.get("Content-Type") || "";
  const payload = type.includes("json") ? await response.json().catch(() => null) : null;
  if (!response.ok) {
    const error = new ApiError(response.status, payload);
    if (response.status === 401 && path !== "/api/session") {
      window.dispatchEvent(new CustomEvent("sereno:unauthenticated"));
    }
    throw error;
  }
  if (payload !== null || type.includes("json")) return payload;
  return type.startsWith("text/") ? response.text() : response.blob();
}
