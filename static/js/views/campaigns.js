// The campaign list (search, status filter, "More") and the form that creates a campaign.

import { api } from '../api.js';
import { hideError, showError, showNotice } from '../banners.js';
import { configById, configRef, loadConfigs, refreshConfigRefs } from '../cache.js';
import { $, badge, clear, debounce, el, enc, intValue, timeEl } from '../dom.js';
import { isCurrent, onRowClick, showView } from '../router.js';

const PAGE = 25;
const list = { cursor: null, seq: 0 };

function query() {
  const statuses = ['active', 'paused', 'closed'].filter(function (s) {
    return $('campaign-filter-' + s).checked;
  });
  return { limit: PAGE, name: $('campaign-search').value.trim(), status: statuses };
}

export function showCampaigns(seq) {
  showView('view-campaigns');
  document.title = 'Campaigns · campaignd admin';
  loadCampaigns(true);
  fillConfigSelect(seq);
}

function loadCampaigns(reset) {
  const mySeq = ++list.seq;
  const q = query();
  if (!reset) q.cursor = list.cursor;
  const more = $('campaign-more');
  more.disabled = true;
  $('campaign-list-status').textContent = 'Loading…';
  return api('GET', '/campaign/campaigns', { query: q }).then(function (data) {
    if (mySeq !== list.seq) return;
    const tbody = $('campaign-list');
    if (reset) clear(tbody);
    (data.campaigns || []).forEach(function (c) { tbody.appendChild(campaignRow(c)); });
    list.cursor = data.next_cursor || null;
    more.hidden = !data.next_cursor;
    more.disabled = false;
    $('campaign-list-empty').hidden = tbody.children.length > 0;
    $('campaign-list-status').textContent = tbody.children.length ? tbody.children.length + ' shown' + (data.next_cursor ? ', more available' : '') : '';
    loadConfigs().then(refreshConfigRefs, function (e) { showError('Could not load configurations', e); });
  }, function (e) {
    if (mySeq !== list.seq) return;
    more.disabled = false;
    $('campaign-list-status').textContent = 'Failed to load.';
    showError('Could not load campaigns', e);
  });
}

function campaignRow(c) {
  const href = '#/campaigns/' + enc(c.id);
  return el('tr', { dataset: { campaignId: c.id, href: href } },
    el('td', null, el('a', { href: href, text: c.name, class: 'rowlink' })),
    el('td', { text: c.external_id === null || c.external_id === undefined ? '—' : c.external_id }),
    el('td', null, badge(c.status)),
    el('td', { class: 'num', text: c.priority }),
    el('td', null, configRef(c.configuration_id)),
    el('td', null, timeEl(c.created_at))
  );
}

function fillConfigSelect(seq) {
  const select = $('campaign-create-config');
  const previous = select.value;
  if (!select.options.length) select.appendChild(el('option', { value: '', text: 'Loading…' }));
  return loadConfigs().then(function (configs) {
    if (!isCurrent(seq)) return;
    clear(select);
    if (configs.length !== 1) select.appendChild(el('option', { value: '', text: configs.length ? '— choose a configuration —' : '— none —' }));
    configs.forEach(function (c) {
      select.appendChild(el('option', { value: c.id, text: c.name + ' (' + c.default_timezone + ')' }));
    });
    if (previous && configById(previous)) select.value = previous;
    $('campaign-create-config-hint').hidden = configs.length > 0;
  }, function (e) {
    if (!isCurrent(seq)) return;
    clear(select);
    select.appendChild(el('option', { value: '', text: '(could not load configurations)' }));
    showError('Could not load configurations', e);
  });
}

function onCreate(ev) {
  ev.preventDefault();
  hideError();
  const body = {
    name: $('campaign-create-name').value.trim(),
    configuration_id: $('campaign-create-config').value
  };
  if (!body.configuration_id) delete body.configuration_id;
  const ext = $('campaign-create-external-id').value;
  if (ext.trim() !== '') body.external_id = ext.trim();
  const prio = intValue($('campaign-create-priority'));
  if (prio !== undefined && isNaN(prio)) {
    showError('Could not create the campaign', new Error('priority must be a whole number between 0 and 100'));
    return;
  }
  if (prio !== undefined) body.priority = prio;
  const btn = $('campaign-create-submit');
  btn.disabled = true;
  api('POST', '/campaign/campaigns', { body: body }).then(function (c) {
    $('campaign-create-name').value = '';
    $('campaign-create-external-id').value = '';
    $('campaign-create-priority').value = '0';
    showNotice('Campaign “' + c.name + '” created (status ' + c.status + ').');
    return loadCampaigns(true);
  }, function (e) {
    showError('Could not create the campaign', e);
  }).then(function () { btn.disabled = false; });
}

export function clearCampaigns() {
  clear($('campaign-list'));
}

export function wireCampaigns() {
  const reload = function () { loadCampaigns(true); };
  $('campaign-search').addEventListener('input', debounce(reload, 300));
  ['active', 'paused', 'closed'].forEach(function (s) {
    $('campaign-filter-' + s).addEventListener('change', reload);
  });
  $('campaign-more').addEventListener('click', function () { loadCampaigns(false); });
  $('campaign-create-form').addEventListener('submit', onCreate);
  $('campaign-list').addEventListener('click', onRowClick);
}
