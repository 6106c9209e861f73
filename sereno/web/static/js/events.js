// The live stream of the API (Server-Sent Events at /api/events): `alert` and `camera` events, and a tablet's
// own feed grant (`feed_request`, `feed_decision`, `feed_expired`, also sent to the supervisors who decide it).
// One EventSource per logged-in page; views subscribe with onEvent() and unsubscribe when they leave.

export const EVENT_KINDS = ["alert", "camera", "feed_request", "feed_decision", "feed_expired"];

// `reconnected`: the stream is back after a break (what was missed is replayed, but a view may check anyway).
const listeners = Object.fromEntries([...EVENT_KINDS, "reconnected"].map((kind) => [kind, new Set()]));
let source = null;

function dispatch(kind, data) {
  for (const listener of listeners[kind]) listener(data);
}

export function connectEvents() {
  if (source) return;
  source = new EventSource("/api/events", { withCredentials: true });
  for (const kind of EVENT_KINDS) {
    source.addEventListener(kind, (message) => {
      let data;
      try {
        data = JSON.parse(message.data);
      } catch {
        return; // a malformed event is not worth breaking the page for
      }
      dispatch(kind, data);
    });
  }
  let opened = false;
  source.addEventListener("open", () => {
    document.body.classList.remove("stream-lost");
    if (opened) dispatch("reconnected", {});
    opened = true;
  });
  // EventSource reconnects by itself; the banner tells the operator that alerts may be late meanwhile.
  source.addEventListener("error", () => document.body.classList.add("stream-lost"));
}

export function disconnectEvents() {
  source?.close();
  source = null;
}

/** Whether events arrive now (false while the stream is down or reconnecting). */
export const eventsConnected = () => source?.readyState === EventSource.OPEN;

/** Call `listener(data)` for each event of `kind`; returns the function that stops it. */
export function onEvent(kind, listener) {
  listeners[kind].add(listener);
  return () => listeners[kind].delete(listener);
}
