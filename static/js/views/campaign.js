// The campaign view: its properties and lifecycle buttons, its statistics (calls up against the
// organisation's limit, attempts) with the finish estimate, its calls over time (two charts of
// the timeline), the CSV import card and its contacts, each with its attempts in an expandable
// row. While the campaign is active and the tab visible, the statistics, the charts and the
// contacts refresh every couple of seconds, one refresh at a time.

import { api } from '../api.js';
import { hideError, showError, showNotice } from '../banners.js';
import { configRef, loadConfigs, refreshConfigRefs } from '../cache.js';
import { currentDialerMode, dialerHint, onDialerMode } from '../dialer.js';
import { $, badge, clear, compactJson, el, enc, fmtNumber, setBadge, setText, timeEl, truncate } from '../dom.js';
import { attemptsTable } from '../attempts.js';
import { drawAttempts, drawProgress, estimateText, fmtIn, legend, OUTCOMES, timelineTotals } from '../charts.js';
import { isCurrent, onRowClick, route, showView } from '../router.js';
import { session } from '../session.js';
import { resetUpload, wireUpload } from './upload.js';

const CONTACTS_PAGE = 50;
const REFRESH_MS = 2000;
const CONTACT_COLUMNS = 7;

const detail = {
  routeId: null,        // id or external_id as it appears in the URL
  campaign: null,       // last campaign object
  contactsOffset: 0,
  contacts: new Map(),  // id → contact, as last listed
  expanded: new Set(),  // ids of the contacts whose attempts are shown
  statsSeq: 0,
  contactsSeq: 0,
  timelineSeq: 0,
  total: 0,             // contacts in the campaign, as the last statistics said
  timer: null,          // the next automatic refresh
  inflight: null,       // the refresh under way, if any
  again: false,         // another refresh was asked for while one was under way
  gen: 0                // grows when refreshing stops (view left, signed out)
};

function campaignPath() {
  const id = detail.campaign ? detail.campaign.id : detail.routeId;
  return '/campaign/campaigns/' + enc(id);
}

export function showCampaign(seq, id) {
  showView('view-campaign');
  const same = detail.routeId === id;
  detail.routeId = id;
  if (!same || !detail.campaign) {
    detail.campaign = null;
    detail.contactsOffset = 0;
    detail.contacts = new Map();
    detail.expanded = new Set();
    $('contacts-status').value = '';
    clear($('contacts-list'));
    $('contacts-range').textContent = '';
    resetStats();
    resetUpload();
    $('campaign-name').textContent = 'Loading…';
    $('campaign-status').textContent = '';
    $('campaign-status').className = 'badge';
    ['btn-start', 'btn-pause', 'btn-close'].forEach(function (b) { $(b).hidden = true; });
    $('campaign-closed-note').hidden = true;
  }
  api('GET', '/campaign/campaigns/' + enc(id)).then(function (c) {
    if (!isCurrent(seq)) return;
    renderCampaign(c);
    refresh(false);
    loadConfigs().then(refreshConfigRefs, function (e) { showError('Could not load configurations', e); });
  }, function (e) {
    if (!isCurrent(seq)) return;
    detail.campaign = null;
    $('campaign-name').textContent = 'Campaign not available';
    showError('Could not load the campaign', e);
  });
}

function renderCampaign(c) {
  detail.campaign = c;
  document.title = c.name + ' · campaignd admin';
  $('campaign-name').textContent = c.name;
  setBadge($('campaign-status'), c.status);
  renderLifecycleButtons(c.status);
  $('campaign-id').textContent = c.id;
  setText('campaign-external-id', c.external_id);
  setText('campaign-priority', c.priority);
  const cfg = $('campaign-config');
  clear(cfg);
  cfg.appendChild(configRef(c.configuration_id));
  const created = $('campaign-created');
  clear(created);
  created.appendChild(timeEl(c.created_at));
  const updated = $('campaign-updated');
  clear(updated);
  updated.appendChild(timeEl(c.updated_at));
  const closed = c.status === 'closed';
  $('upload-closed').hidden = !closed;
  $('upload-body').hidden = closed;
  updateNotes();
}

function renderLifecycleButtons(status) {
  $('btn-start').hidden = status !== 'paused';
  $('btn-pause').hidden = status !== 'active';
  $('btn-close').hidden = status === 'closed';
  $('campaign-closed-note').hidden = status !== 'closed';
}

function lifecycle(action) {
  if (!detail.campaign) return;
  const seq = route.seq;
  const buttons = ['btn-start', 'btn-pause', 'btn-close'].map($);
  buttons.forEach(function (b) { b.disabled = true; });
  hideError();
  api('POST', campaignPath() + '/' + action).then(function (c) {
    if (!isCurrent(seq)) return;
    renderCampaign(c);
    const done = { start: 'started', pause: 'paused', close: 'closed' }[action];
    showNotice('Campaign ' + done + '.');
    refresh(false);
  }, function (e) {
    if (!isCurrent(seq)) return;
    showError('Could not ' + action + ' the campaign', e);
    reloadCampaign(seq);
  }).then(function () {
    buttons.forEach(function (b) { b.disabled = false; });
  });
}

function reloadCampaign(seq) {
  return api('GET', campaignPath()).then(function (c) {
    if (isCurrent(seq)) renderCampaign(c);
  }, function (e) {
    if (isCurrent(seq)) showError('Could not reload the campaign', e);
  });
}

// ------------------------------------------------------------------ refreshing

function refreshWanted() {
  return route.view === 'view-campaign' && !!detail.campaign && detail.campaign.status === 'active' &&
    document.visibilityState === 'visible' && !!session.credential;
}

function schedule() {
  clearTimeout(detail.timer);
  detail.timer = null;
  if (refreshWanted()) detail.timer = setTimeout(function () { refresh(true); }, REFRESH_MS);
}

/**
 * Reloads the statistics and the contacts together. Never two at once: asked for while one is
 * under way, it runs once more when that one ends. `background`: an automatic refresh, which
 * leaves the page as it is while it loads (no "Loading…", buttons kept).
 */
function refresh(background) {
  clearTimeout(detail.timer);
  detail.timer = null;
  if (!detail.campaign) return Promise.resolve();
  if (detail.inflight) {
    if (!background) detail.again = true;
    return detail.inflight;
  }
  const gen = detail.gen;
  const seq = route.seq;
  // The timeline after the statistics: its progress chart draws against their total.
  const stats = loadStats(seq).then(function () { return loadTimeline(seq); });
  const p = Promise.all([stats, loadContacts(seq, background)]).then(function () {
    detail.inflight = null;
    if (detail.again) {
      detail.again = false;
      refresh(false);
    } else if (gen === detail.gen && isCurrent(seq)) {
      schedule();
    }
  });
  detail.inflight = p;
  return p;
}

/** Stops the automatic refresh (the view is left, or the user signs out). */
export function stopRefresh() {
  clearTimeout(detail.timer);
  detail.timer = null;
  detail.again = false;
  detail.gen++;
}

function onVisibilityChange() {
  if (document.visibilityState === 'visible') {
    if (refreshWanted()) refresh(true);
  } else {
    clearTimeout(detail.timer);
    detail.timer = null;
  }
}

// ------------------------------------------------------------------ statistics

const STAT_IDS = ['stats-total', 'stats-pending', 'stats-in-progress', 'stats-completed', 'stats-exhausted',
  'stats-attempts-total', 'stats-attempts-avg', 'stats-active-calls', 'stats-concurrency-limit'];

function resetStats() {
  STAT_IDS.forEach(function (id) { $(id).textContent = '–'; });
  $('stats-updated').textContent = '';
  ['stats-bar-completed', 'stats-bar-exhausted', 'stats-bar-in-progress', 'stats-calls-bar'].forEach(function (id) { $(id).style.width = '0'; });
  detail.total = 0;
  resetTimeline();
}

function updateNotes() {
  const c = detail.campaign;
  const note = $('stats-note');
  if (!c) note.textContent = '';
  else if (c.status === 'active') note.textContent = 'Refreshed every ' + REFRESH_MS / 1000 + ' seconds while the campaign is active and this tab is visible.';
  else note.textContent = 'Automatic refresh is off while the campaign is ' + c.status + '.';
  const off = $('dialer-off-note');
  off.hidden = !(c && c.status === 'active' && currentDialerMode() === 'off');
  off.textContent = dialerHint('off');
}

/** Resolves when done, failed or not (a failure is shown). */
function loadStats(routeSeq) {
  const mySeq = ++detail.statsSeq;
  return api('GET', campaignPath() + '/stats').then(function (st) {
    if (mySeq !== detail.statsSeq || !isCurrent(routeSeq)) return;
    renderStats(st);
    if (st.status && detail.campaign && st.status !== detail.campaign.status) {
      // Changed elsewhere (another tab, the API): show it now, then reload the campaign.
      detail.campaign.status = st.status;
      setBadge($('campaign-status'), st.status);
      renderLifecycleButtons(st.status);
      updateNotes();
      reloadCampaign(routeSeq);
    }
  }, function (e) {
    if (mySeq !== detail.statsSeq || !isCurrent(routeSeq)) return;
    $('stats-updated').textContent = 'Refresh failed at ' + new Date().toLocaleTimeString();
    showError('Could not load the statistics', e);
  });
}

function renderStats(st) {
  const c = st.contacts || {};
  const a = st.attempts || {};
  $('stats-total').textContent = fmtNumber(c.total);
  $('stats-pending').textContent = fmtNumber(c.pending);
  $('stats-in-progress').textContent = fmtNumber(c.in_progress);
  $('stats-completed').textContent = fmtNumber(c.completed);
  $('stats-exhausted').textContent = fmtNumber(c.exhausted);
  $('stats-attempts-total').textContent = fmtNumber(a.total);
  $('stats-attempts-avg').textContent = typeof a.average_per_contact === 'number' ? a.average_per_contact.toFixed(2) : '—';
  $('stats-active-calls').textContent = fmtNumber(st.active_calls);
  $('stats-concurrency-limit').textContent = fmtNumber(st.concurrency_limit);
  const total = c.total || 0;
  detail.total = total;
  function pct(n) { return total > 0 ? Math.max(0, Math.min(100, (n || 0) * 100 / total)) + '%' : '0'; }
  $('stats-bar-completed').style.width = pct(c.completed);
  $('stats-bar-exhausted').style.width = pct(c.exhausted);
  $('stats-bar-in-progress').style.width = pct(c.in_progress);
  const limit = st.concurrency_limit;
  const up = st.active_calls;
  const full = typeof limit === 'number' && limit > 0 && typeof up === 'number';
  $('stats-calls-bar').style.width = full ? Math.min(100, up * 100 / limit) + '%' : '0';
  $('stats-calls').classList.toggle('at-limit', full && up >= limit);
  $('stats-updated').textContent = 'Updated ' + new Date().toLocaleTimeString();
}

// ------------------------------------------------------------------ timeline and estimate

function resetTimeline() {
  ['chart-attempts', 'chart-progress'].forEach(function (id) { clear($(id)); });
  clear($('chart-attempts-legend'));
  $('chart-attempts-summary').textContent = '';
  $('chart-progress-label').textContent = '';
  $('chart-range').textContent = '';
  const estimate = $('estimate');
  estimate.textContent = '';
  estimate.hidden = true;
  delete estimate.dataset.state;
}

/** Resolves when done, failed or not (a failure is shown). */
function loadTimeline(routeSeq) {
  const mySeq = ++detail.timelineSeq;
  return api('GET', campaignPath() + '/timeline').then(function (t) {
    if (mySeq !== detail.timelineSeq || !isCurrent(routeSeq)) return;
    renderTimeline(t);
  }, function (e) {
    if (mySeq !== detail.timelineSeq || !isCurrent(routeSeq)) return;
    showError('Could not load the calls over time', e);
  });
}

function renderTimeline(t) {
  const e = t.estimate || {};
  // Times are shown in the campaign's default timezone, as the estimate reads its windows.
  const tz = e.timezone || 'UTC';
  const estimate = $('estimate');
  estimate.textContent = estimateText(e, Date.parse(t.to));
  estimate.dataset.state = e.state || '';
  estimate.hidden = !estimate.textContent;

  const sums = timelineTotals(t);
  drawAttempts($('chart-attempts'), t, tz);
  legend($('chart-attempts-legend'), sums);
  const ended = OUTCOMES.reduce(function (n, o) { return n + sums[o]; }, 0);
  $('chart-attempts-summary').textContent = sums.started.toLocaleString() + ' attempts started and ' +
    ended.toLocaleString() + ' ended, by ' + t.bucket + ': ' +
    OUTCOMES.map(function (o) { return o.replace('_', ' ') + ' ' + sums[o].toLocaleString(); }).join(', ') + '.';
  drawProgress($('chart-progress'), t, detail.total, tz);
  $('chart-progress-label').textContent = sums.done.toLocaleString() + ' of ' + detail.total.toLocaleString();
  $('chart-range').textContent = 'By ' + t.bucket + ', ' + fmtIn(t.from, tz) + ' – ' + fmtIn(t.to, tz) +
    ' · times in ' + tz;
}

// ------------------------------------------------------------------ contacts

/** Resolves when done, failed or not (a failure is shown). */
function loadContacts(routeSeq, background) {
  const mySeq = ++detail.contactsSeq;
  const status = $('contacts-status').value;
  const q = { limit: CONTACTS_PAGE, offset: detail.contactsOffset, status: status || undefined };
  if (!background) {
    $('contacts-prev').disabled = true;
    $('contacts-next').disabled = true;
    $('contacts-range').textContent = 'Loading…';
  }
  return api('GET', campaignPath() + '/contacts', { query: q }).then(function (data) {
    if (mySeq !== detail.contactsSeq || !isCurrent(routeSeq)) return;
    const list = data.contacts || [];
    renderContacts(list);
    const offset = typeof data.offset === 'number' ? data.offset : detail.contactsOffset;
    const total = typeof data.total === 'number' ? data.total : list.length;
    $('contacts-empty').hidden = list.length > 0;
    $('contacts-range').textContent = list.length
      ? (offset + 1).toLocaleString() + '–' + (offset + list.length).toLocaleString() + ' of ' + total.toLocaleString()
      : (total ? 'Nothing at offset ' + offset + ' (' + total.toLocaleString() + ' in all)' : '0 contacts');
    $('contacts-prev').disabled = offset <= 0;
    $('contacts-next').disabled = offset + list.length >= total;
  }, function (e) {
    if (mySeq !== detail.contactsSeq || !isCurrent(routeSeq)) return;
    $('contacts-range').textContent = 'Failed to load.';
    $('contacts-prev').disabled = detail.contactsOffset <= 0;
    $('contacts-next').disabled = false;
    showError('Could not load the contacts', e);
  });
}

function renderContacts(list) {
  const tbody = $('contacts-list');
  // A refresh redraws the rows: keep the keyboard focus on the same toggle.
  const focused = document.activeElement && tbody.contains(document.activeElement)
    ? document.activeElement.dataset.toggleFor : null;
  detail.contacts = new Map(list.map(function (ct) { return [ct.id, ct]; }));
  clear(tbody);
  list.forEach(function (ct) {
    tbody.appendChild(contactRow(ct));
    if (detail.expanded.has(ct.id)) tbody.appendChild(attemptsRow(ct));
  });
  if (focused) {
    const again = tbody.querySelector('button[data-toggle-for="' + CSS.escape(focused) + '"]');
    if (again) again.focus();
  }
}

function contactRow(ct) {
  const campaignId = detail.campaign ? detail.campaign.id : detail.routeId;
  const href = '#/campaigns/' + enc(campaignId) + '/contacts/' + enc(ct.id);
  const label = ct.external_id !== null && ct.external_id !== undefined ? ct.external_id : truncate(ct.id, 13);
  const dataText = ct.data && typeof ct.data === 'object' && Object.keys(ct.data).length ? compactJson(ct.data) : '';
  const attempts = Array.isArray(ct.attempts) ? ct.attempts : [];
  const count = typeof ct.attempt_count === 'number' ? ct.attempt_count : attempts.length;
  let attemptsCell;
  if (attempts.length) {
    const open = detail.expanded.has(ct.id);
    const toggle = el('button', {
      type: 'button', class: 'btn btn-small attempts-toggle', text: count + (open ? ' ▾' : ' ▸'),
      title: (open ? 'Hide' : 'Show') + ' the attempts',
      dataset: { toggleFor: ct.id },
      attrs: { 'aria-expanded': String(open), 'aria-label': count + ' attempts: ' + (open ? 'hide' : 'show') }
    });
    attemptsCell = el('td', { class: 'num' }, toggle);
  } else {
    attemptsCell = el('td', { class: 'num', text: count });
  }
  return el('tr', { dataset: { contactId: ct.id, href: href } },
    el('td', null, el('a', { href: href, text: label, class: 'rowlink', title: ct.id })),
    el('td', { class: 'mono', text: (ct.phone_numbers || []).join(', ') }),
    el('td', null, badge(ct.status)),
    attemptsCell,
    el('td', null, timeEl(ct.next_attempt_at)),
    el('td', { text: ct.timezone || '—' }),
    el('td', { class: 'mono small', text: dataText ? truncate(dataText, 80) : '—', title: dataText || null })
  );
}

function attemptsRow(ct) {
  return el('tr', { class: 'attempts-row', dataset: { attemptsFor: ct.id } },
    el('td', { colSpan: CONTACT_COLUMNS }, attemptsTable(ct.attempts)));
}

function onToggleAttempts(ev) {
  const button = ev.target.closest('button[data-toggle-for]');
  if (!button) return;
  const id = button.dataset.toggleFor;
  if (detail.expanded.has(id)) detail.expanded.delete(id); else detail.expanded.add(id);
  renderContacts(Array.from(detail.contacts.values()));
}

// ------------------------------------------------------------------ wiring

export function clearContacts() {
  clear($('contacts-list'));
  detail.contacts = new Map();
  detail.expanded = new Set();
}

export function wireCampaign() {
  $('btn-start').addEventListener('click', function () { lifecycle('start'); });
  $('btn-pause').addEventListener('click', function () { lifecycle('pause'); });
  $('btn-close').addEventListener('click', function () { lifecycle('close'); });
  $('stats-refresh').addEventListener('click', function () { refresh(false); });
  document.addEventListener('visibilitychange', onVisibilityChange);
  onDialerMode(updateNotes);

  $('contacts-status').addEventListener('change', function () {
    detail.contactsOffset = 0;
    refresh(false);
  });
  $('contacts-prev').addEventListener('click', function () {
    detail.contactsOffset = Math.max(0, detail.contactsOffset - CONTACTS_PAGE);
    refresh(false);
  });
  $('contacts-next').addEventListener('click', function () {
    detail.contactsOffset += CONTACTS_PAGE;
    refresh(false);
  });
  $('contacts-list').addEventListener('click', onToggleAttempts);
  $('contacts-list').addEventListener('click', onRowClick);

  wireUpload({
    path: campaignPath,
    campaign: function () { return detail.campaign; },
    onImported: function () {
      detail.contactsOffset = 0;
      refresh(false);
    }
  });
}
