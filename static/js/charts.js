// A campaign's timeline (GET …/timeline) drawn as two small SVG charts — attempts per bucket
// stacked by how they ended, and contacts done (completed + exhausted) against the total — and
// its finish estimate as a sentence. Plain SVG made with createElementNS: no library, nothing
// from another host, no inline style (colours come from style.css classes), every value set as
// an attribute or as text.

import { el } from './dom.js';

const NS = 'http://www.w3.org/2000/svg';
export const OUTCOMES = ['answered', 'voicemail', 'no_answer', 'busy', 'failed'];

// The drawing's own units: the SVG scales to its box (viewBox), text keeps its proportions.
const W = 720;
const H = 200;
const PAD = { left: 44, right: 12, top: 10, bottom: 26 };
const X_LABELS = 6;

function svgEl(tag, attrs, text) {
  const node = document.createElementNS(NS, tag);
  Object.keys(attrs || {}).forEach(function (k) {
    if (attrs[k] !== undefined && attrs[k] !== null) node.setAttribute(k, String(attrs[k]));
  });
  if (text !== undefined) node.textContent = String(text);
  return node;
}

function clearSvg(svg) {
  while (svg.lastChild) svg.removeChild(svg.lastChild);
}

/** A formatter of instants in `timeZone` (falls back to UTC for a name the browser lacks). */
function formatter(timeZone, options) {
  try {
    return new Intl.DateTimeFormat(undefined, Object.assign({ timeZone: timeZone }, options));
  } catch (e) {
    return new Intl.DateTimeFormat(undefined, Object.assign({ timeZone: 'UTC' }, options));
  }
}

/** An instant as a short date and time in `timeZone`. */
export function fmtIn(iso, timeZone) {
  return formatter(timeZone, { dateStyle: 'medium', timeStyle: 'short', hourCycle: 'h23' }).format(new Date(iso));
}

/** "14:00", or "3 Dec" for day buckets, in `timeZone`. */
function bucketLabel(iso, bucket, timeZone) {
  const f = bucket === 'day'
    ? formatter(timeZone, { day: 'numeric', month: 'short' })
    : formatter(timeZone, { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
  return f.format(new Date(iso));
}

/** A round axis maximum at or above `n` (1, 2, 5 × 10^k). */
function niceMax(n) {
  if (n <= 1) return 1;
  const p = Math.pow(10, Math.floor(Math.log10(n)));
  const m = [1, 2, 5, 10].find(function (f) { return f * p >= n; });
  return m * p;
}

function frame(svg, max, buckets, bucket, timeZone) {
  const plotH = H - PAD.top - PAD.bottom;
  [0, 0.5, 1].forEach(function (f) {
    const y = PAD.top + plotH * (1 - f);
    svg.appendChild(svgEl('line', { x1: PAD.left, x2: W - PAD.right, y1: y, y2: y, class: f === 0 ? 'chart-axis' : 'chart-grid' }));
    const v = max * f;
    svg.appendChild(svgEl('text', { x: PAD.left - 6, y: y + 4, class: 'chart-tick', 'text-anchor': 'end' },
      Number.isInteger(v) ? v.toLocaleString() : v.toFixed(1)));
  });
  const n = buckets.length;
  const step = Math.max(1, Math.ceil(n / X_LABELS));
  const bw = (W - PAD.left - PAD.right) / Math.max(1, n);
  for (let i = 0; i < n; i += step) {
    svg.appendChild(svgEl('text', { x: PAD.left + (i + 0.5) * bw, y: H - 8, class: 'chart-tick', 'text-anchor': 'middle' },
      bucketLabel(buckets[i].start, bucket, timeZone)));
  }
  return bw;
}

function ended(b) {
  return OUTCOMES.reduce(function (s, o) { return s + ((b.outcomes && b.outcomes[o]) || 0); }, 0);
}

/** Sums of the timeline: attempts started, each outcome, contacts done. */
export function timelineTotals(t) {
  const sums = { started: 0, done: 0 };
  OUTCOMES.forEach(function (o) { sums[o] = 0; });
  (t.buckets || []).forEach(function (b) {
    sums.started += b.attempts_started || 0;
    OUTCOMES.forEach(function (o) { sums[o] += (b.outcomes && b.outcomes[o]) || 0; });
    sums.done += (b.contacts_completed || 0) + (b.contacts_exhausted || 0);
  });
  return sums;
}

/** Attempts per bucket, stacked by outcome (answered at the bottom). */
export function drawAttempts(svg, t, timeZone) {
  clearSvg(svg);
  const buckets = t.buckets || [];
  const max = niceMax(buckets.reduce(function (m, b) { return Math.max(m, ended(b)); }, 0));
  const bw = frame(svg, max, buckets, t.bucket, timeZone);
  const plotH = H - PAD.top - PAD.bottom;
  const gap = bw > 4 ? 1 : 0;
  const label = formatter(timeZone, { dateStyle: 'medium', timeStyle: 'short' });
  buckets.forEach(function (b, i) {
    const total = ended(b);
    if (!total && !b.attempts_started) return;
    const g = svgEl('g', { class: 'chart-bucket' });
    const parts = OUTCOMES.filter(function (o) { return b.outcomes[o]; })
      .map(function (o) { return o + ' ' + b.outcomes[o]; });
    g.appendChild(svgEl('title', null, label.format(new Date(b.start)) + ': ' + (b.attempts_started || 0) +
      ' started; ended: ' + (parts.length ? parts.join(', ') : 'none')));
    let y = PAD.top + plotH;
    OUTCOMES.forEach(function (o) {
      const n = b.outcomes[o] || 0;
      if (!n) return;
      const h = n * plotH / max;
      y -= h;
      g.appendChild(svgEl('rect', { x: PAD.left + i * bw + gap / 2, y: y, width: Math.max(0.5, bw - gap), height: h, class: 'bar-' + o }));
    });
    // A bucket where calls started but none ended yet still shows, as a mark on the axis.
    if (!total) g.appendChild(svgEl('rect', { x: PAD.left + i * bw, y: PAD.top + plotH - 2, width: Math.max(0.5, bw - gap), height: 2, class: 'bar-started' }));
    svg.appendChild(g);
  });
}

/** Contacts done so far (a running sum over the buckets) against the campaign's total. */
export function drawProgress(svg, t, total, timeZone) {
  clearSvg(svg);
  const buckets = t.buckets || [];
  let done = 0;
  const running = buckets.map(function (b) {
    done += (b.contacts_completed || 0) + (b.contacts_exhausted || 0);
    return done;
  });
  const max = niceMax(Math.max(total || 0, done));
  const bw = frame(svg, max, buckets, t.bucket, timeZone);
  const plotH = H - PAD.top - PAD.bottom;
  const y = function (v) { return PAD.top + plotH * (1 - v / max); };
  if (total > 0) {
    svg.appendChild(svgEl('line', { x1: PAD.left, x2: W - PAD.right, y1: y(total), y2: y(total), class: 'chart-total' }));
    // Under the line when it runs along the top of the chart.
    const labelY = y(total) - 4 < PAD.top + 8 ? y(total) + 13 : y(total) - 4;
    svg.appendChild(svgEl('text', { x: W - PAD.right, y: labelY, class: 'chart-tick', 'text-anchor': 'end' },
      'total ' + total.toLocaleString()));
  }
  if (!buckets.length) return;
  const points = [[PAD.left, y(0)]];
  running.forEach(function (v, i) { points.push([PAD.left + (i + 1) * bw, y(v)]); });
  const line = points.map(function (p) { return p[0].toFixed(1) + ',' + p[1].toFixed(1); }).join(' ');
  svg.appendChild(svgEl('polygon', { points: line + ' ' + points[points.length - 1][0].toFixed(1) + ',' + y(0).toFixed(1), class: 'chart-done-area' }));
  svg.appendChild(svgEl('polyline', { points: line, class: 'chart-done' }));
}

/** The legend: one item per outcome with its total over the range. */
export function legend(list, sums) {
  while (list.firstChild) list.removeChild(list.firstChild);
  OUTCOMES.forEach(function (o) {
    list.appendChild(el('li', { dataset: { outcome: o } },
      el('span', { class: 'swatch bar-' + o, attrs: { 'aria-hidden': 'true' } }),
      el('span', { text: o.replace('_', ' ') + ' ' }),
      el('span', { class: 'n', text: (sums[o] || 0).toLocaleString() })));
  });
}

// ------------------------------------------------------------------ the estimate in words

/** "about 40 min", "about 3 h", "about 2 days 4 h". */
function callingTime(minutes) {
  if (minutes < 60) return 'about ' + Math.max(1, Math.round(minutes)) + ' min';
  const hours = Math.round(minutes / 60);
  if (hours < 48) return 'about ' + hours + ' h';
  return 'about ' + Math.floor(hours / 24) + ' days ' + (hours % 24) + ' h';
}

/** "Tuesday around 11:00", with the date when it is a week or more away, in `timeZone`. */
export function when(iso, timeZone, now) {
  const at = new Date(iso);
  const far = at.getTime() - (now || Date.now()) > 6 * 86400000;
  const day = formatter(timeZone, far ? { weekday: 'long', day: 'numeric', month: 'long' } : { weekday: 'long' });
  const time = formatter(timeZone, { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
  return day.format(at) + ' around ' + time.format(at);
}

function exactly(iso, timeZone) {
  const day = formatter(timeZone, { weekday: 'long', day: 'numeric', month: 'long' });
  const time = formatter(timeZone, { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
  const at = new Date(iso);
  return day.format(at) + ' at ' + time.format(at);
}

/** The estimate of the timeline answer as one or two sentences. */
export function estimateText(e, now) {
  if (!e) return '';
  const tz = e.timezone;
  const n = e.remaining_contacts || 0;
  const contacts = n.toLocaleString() + (n === 1 ? ' contact' : ' contacts');
  const left = e.calling_left_minutes !== null && e.calling_left_minutes !== undefined
    ? callingTime(e.calling_left_minutes) + ' of calling left' : null;
  const done = e.done_at ? ' — done ' + when(e.done_at, tz, now) + ' (' + tz + ')' : '';
  const rate = typeof e.rate_per_hour === 'number' ? ' at ' + e.rate_per_hour.toLocaleString() + ' contacts an hour' : '';
  switch (e.state) {
    case 'calling':
      return capital(left ? left + rate + done : contacts + ' left') + '.';
    case 'no_rate':
      return contacts + ' to call. No estimate yet: no contact has finished in the last hour of calling.';
    case 'windows_closed':
      return capital(contacts) + ' due, but every calling window is closed until ' +
        exactly(e.next_window_at, tz) + ' (' + tz + ').' + (left ? ' Then ' + left + done + '.' : '');
    case 'paused':
      return 'Paused: ' + contacts + ' wait' + (n === 1 ? 's' : '') + '.' + (left ? ' ' + capital(left) + ' once it is started.' : '');
    case 'closed':
      return 'Closed: no more calls.';
    case 'no_windows':
      return 'The configuration has no calling windows: none of the ' + contacts + ' will be called.';
    case 'nothing_pending':
      return 'Nothing left to call.';
    default:
      return '';
  }
}

function capital(s) { return s.charAt(0).toUpperCase() + s.slice(1); }
