// Building DOM from data that came from a log entry: text only ever goes in as text nodes, and only http(s) URLs
// become links.
/* global document, Node */

/** `h('p', { class: 'x' }, 'text', node, …)`; attributes named `on…` are event listeners. */
export function h(tag, attrs = {}, ...children) {
  return fill(document.createElement(tag), attrs, children);
}

/** `h` for SVG elements (the chart), which need their namespace. */
export function svg(tag, attrs = {}, ...children) {
  return fill(document.createElementNS('http://www.w3.org/2000/svg', tag), attrs, children);
}

function fill(el, attrs, children) {
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue;
    if (name.startsWith('on')) el.addEventListener(name.slice(2), value);
    else el.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(typeof child === 'string' || typeof child === 'number' ? document.createTextNode(String(child)) : child);
  }
  return el;
}

/** A link when `value` is an http(s) URL, the text otherwise. */
export function linkify(value, href = value) {
  const text = String(value);
  let url;
  try {
    url = new URL(String(href));
  } catch {
    return h('span', {}, text);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return h('span', {}, text);
  return h('a', { href: url.href, rel: 'noopener noreferrer nofollow' }, text);
}

/** A description list of `[label, value]` rows; values that are nodes are used as they are. */
export function fields(rows, attrs = {}) {
  return h('dl', { class: 'fields', ...attrs }, rows.flatMap(([label, value, rowAttrs]) => [
    h('dt', rowAttrs ?? {}, label),
    h('dd', rowAttrs ?? {}, value instanceof Node ? value : linkify(value)),
  ]));
}

/** A section with a heading of the given level. */
export function section(title, level, ...children) {
  const id = `s-${title.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`;
  return h('section', { 'aria-labelledby': id }, h(`h${level}`, { id }, title), ...children);
}

