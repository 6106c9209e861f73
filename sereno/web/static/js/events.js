// The live stream of the API (Server-Sent Events at /api/events): `alert` and `camera` events.
// One EventSource per logged-in page; views subscribe with onEvent() and unsubscribe when they leave.

const listeners = { alert: new Set(), camera: new Set() };
let source = null;

export function connectEvents() {
  if (source) return;
  source = new EventSource("/api/events", { withCredentials: true });
  for (const kind of Object.keys(listeners)) {
    source.addEventListener(kind, (message) => {
      let data;
      try {
        data = JSON.parse(message.data);
      } catch {
        return; // a malformed event is not worth breaking the page for
      }
      for (const listener of listeners[kind]) listener(data);
    });
  }
  source.addEventListener("open", () => document.body.classList.remove("stream-lost"));
  // EventSource reconnects by itself; the banner tells the operator that alerts may be late meanwhile.
  source.addEventListener("error", () => document.body.classList.add("stream-lost"));
}

export function disconnectEvents() {
  source?.close();
  source = null;
}

/** Call `listener(data)` for each event of `kind`; returns the function that stops it. */
export function onEvent(kind, listener) {
  listeners[kind].add(listener);
  return () => listeners[kind].delete(listener);
}
