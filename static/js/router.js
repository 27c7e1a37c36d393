// Hash navigation (#/campaigns/<id>, …): which view shows, and the route sequence number that
// lets a late answer see that the user has moved on.

import { $ } from './dom.js';

const VIEWS = ['view-signin', 'view-campaigns', 'view-campaign', 'view-contact',
  'view-configurations', 'view-configuration', 'view-notfound'];

export const route = {
  seq: 0,            // grows at each render: an answer for an older seq is dropped
  view: null,        // id of the view shown
  pendingNotice: null
};

let renderFn = function () {};

/** Sets the function that draws the page for the current hash (main.js). */
export function setRenderer(fn) { renderFn = fn; }

export function render() { renderFn(); }

export function showView(id) {
  VIEWS.forEach(function (v) { $(v).hidden = v !== id; });
  route.view = id;
}

export function parseHash() {
  let h = location.hash.replace(/^#\/?/, '');
  const q = h.indexOf('?');
  if (q >= 0) h = h.slice(0, q);
  return h.split('/').filter(function (s) { return s !== ''; }).map(function (s) {
    try { return decodeURIComponent(s); } catch (e) { return s; }
  });
}

export function navigate(hash) {
  if (location.hash === hash) render();
  else location.hash = hash;
}

export function isCurrent(seq) { return seq === route.seq; }

/** Clicking anywhere on a row with data-href follows it (links inside keep working). */
export function onRowClick(ev) {
  if (ev.defaultPrevented || ev.button !== 0) return;
  const target = ev.target;
  if (target.closest('a, button, input, select, label')) return;
  const tr = target.closest('tr[data-href]');
  if (!tr) return;
  const sel = window.getSelection ? String(window.getSelection()) : '';
  if (sel) return; // the user is selecting text
  navigate(tr.dataset.href);
}
