// Small DOM and formatting helpers. Every value from the API goes into the page through
// `textContent` / `createElement` here, never as HTML.

export function $(id) { return document.getElementById(id); }

export function clear(node) {
  while (node.firstChild) node.removeChild(node.firstChild);
}

/** el('tag', {class, id, text, href, title, type, dataset:{}, attrs:{}}, children...) */
export function el(tag, props, ...children) {
  const node = document.createElement(tag);
  if (props) {
    Object.keys(props).forEach(function (k) {
      const v = props[k];
      if (v === undefined || v === null) return;
      if (k === 'class') node.className = v;
      else if (k === 'text') node.textContent = String(v);
      else if (k === 'dataset') Object.keys(v).forEach(function (d) { node.dataset[d] = v[d]; });
      else if (k === 'attrs') Object.keys(v).forEach(function (a) { node.setAttribute(a, v[a]); });
      else node[k] = v;
    });
  }
  children.forEach(function (c) {
    if (c === undefined || c === null || c === false) return;
    node.appendChild(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
  });
  return node;
}

export function setText(id, value) {
  const node = typeof id === 'string' ? $(id) : id;
  node.textContent = value === undefined || value === null || value === '' ? '—' : String(value);
}

export function enc(s) { return encodeURIComponent(String(s)); }

export function fmtDate(s) {
  if (!s) return '—';
  const d = new Date(s);
  if (isNaN(d.getTime())) return String(s);
  return d.toLocaleString();
}

export function timeEl(s) {
  if (!s) return document.createTextNode('—');
  return el('time', { text: fmtDate(s), attrs: { datetime: String(s), title: String(s) } });
}

export function fmtNumber(n) {
  if (typeof n !== 'number') return n === undefined || n === null ? '—' : String(n);
  return n.toLocaleString();
}

export function fmtBytes(n) {
  if (n < 1024) return n + ' B';
  if (n < 1024 * 1024) return (n / 1024).toFixed(1) + ' KiB';
  return (n / 1024 / 1024).toFixed(1) + ' MiB';
}

/** "42 s", "2 min 5 s", "1 h 3 min"; null when `from` or `to` is not a date or ends first. */
export function fmtDuration(from, to) {
  const a = new Date(from).getTime();
  const b = new Date(to).getTime();
  if (!from || !to || isNaN(a) || isNaN(b) || b < a) return null;
  const s = Math.round((b - a) / 1000);
  if (s < 60) return s + ' s';
  if (s < 3600) return Math.floor(s / 60) + ' min ' + (s % 60) + ' s';
  return Math.floor(s / 3600) + ' h ' + Math.floor((s % 3600) / 60) + ' min';
}

export function truncate(s, n) {
  s = String(s);
  return s.length > n ? s.slice(0, n - 1) + '…' : s;
}

export function badge(status, extraClass) {
  return el('span', { class: 'badge badge-' + String(status) + (extraClass ? ' ' + extraClass : ''), text: status });
}

export function setBadge(node, status) {
  node.className = 'badge badge-' + String(status);
  node.textContent = String(status);
}

export function debounce(fn, ms) {
  let t = null;
  return function (...args) {
    clearTimeout(t);
    t = setTimeout(() => fn.apply(this, args), ms);
  };
}

/** Integer from a number input: undefined when empty, NaN when not a whole number. */
export function intValue(input) {
  if (input.validity && input.validity.badInput) return NaN;
  const v = input.value.trim();
  if (v === '') return undefined;
  if (!/^-?\d+$/.test(v)) return NaN;
  return parseInt(v, 10);
}

export function compactJson(v) {
  try { return JSON.stringify(v); } catch (e) { return String(v); }
}
