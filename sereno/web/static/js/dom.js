// Small DOM helpers shared by every view: build elements without innerHTML (no injection of API text).

/** h("div.card#id", {onclick, title, dataset:{...}}, child, [children], "text") */
export function h(spec, attrs, ...children) {
  // "tag", then any mix of "#id" and ".class" parts
  const [tag, ...parts] = spec.split(/(?=[#.])/);
  const el = document.createElement(tag && !/^[#.]/.test(tag) ? tag : "div");
  if (/^[#.]/.test(tag)) parts.unshift(tag);
  for (const part of parts) {
    if (part[0] === "#") el.id = part.slice(1);
    else el.classList.add(part.slice(1));
  }
  if (attrs && (typeof attrs !== "object" || attrs instanceof Node || Array.isArray(attrs))) {
    children.unshift(attrs);
    attrs = null;
  }
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") el.addEventListener(key.slice(2), value);
    else if (key === "dataset") Object.assign(el.dataset, value);
    else if (key === "class") el.className += (el.className ? " " : "") + value;
    else if (key === "style" && typeof value === "object") Object.assign(el.style, value);
    else if (key in el && typeof value !== "string") el[key] = value;
    else el.setAttribute(key, value === true ? "" : value);
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replace the content of `el` with `children`. */
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

/** Close every long-lived image stream (MJPEG) under `root`: removing an <img> alone keeps the connection. */
export function stopStreams(root) {
  for (const img of root.querySelectorAll("img[data-stream]")) img.src = "";
}
