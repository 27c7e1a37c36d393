// The configurations: their list and the create form, and one configuration's view, edit form
// and delete button (press twice).

import { ApiError, api } from '../api.js';
import { hideError, showError, showNotice } from '../banners.js';
import { invalidateConfigs, loadTimezones } from '../cache.js';
import { $, clear, el, enc, setText, timeEl } from '../dom.js';
import { isCurrent, navigate, onRowClick, route, showView } from '../router.js';
import { DAYS, createConfigEditor, newWindow } from './config-editor.js';

const PAGE = 50;

const configsList = { cursor: null, seq: 0 };
const editors = {};

function windowsSummary(windows) {
  if (!Array.isArray(windows) || !windows.length) return 'no calls';
  return windows.map(function (w) { return daysSummary(w.days) + ' ' + w.start + '–' + w.end; }).join('; ');
}

function daysSummary(days) {
  if (!Array.isArray(days)) return '';
  var idx = days.map(function (d) { return DAYS.indexOf(d); }).filter(function (i) { return i >= 0; }).sort();
  var out = [];
  var i = 0;
  while (i < idx.length) {
    var j = i;
    while (j + 1 < idx.length && idx[j + 1] === idx[j] + 1) j++;
    if (j - i >= 2) out.push(DAYS[idx[i]] + '–' + DAYS[idx[j]]);
    else for (var k = i; k <= j; k++) out.push(DAYS[idx[k]]);
    i = j + 1;
  }
  return out.join(',');
}

export function showConfigurations(seq) {
  showView('view-configurations');
  document.title = 'Configurations · campaignd admin';
  ensureEditor('config-create');
  loadConfigList(true);
  loadTimezones().catch(function (e) { if (isCurrent(seq)) showError('Could not load the timezone list', e); });
}

function loadConfigList(reset) {
  var mySeq = ++configsList.seq;
  var q = { limit: PAGE };
  if (!reset) q.cursor = configsList.cursor;
  var more = $('config-more');
  more.disabled = true;
  return api('GET', '/campaign/configurations', { query: q }).then(function (data) {
    if (mySeq !== configsList.seq) return;
    var tbody = $('config-list');
    if (reset) clear(tbody);
    (data.configurations || []).forEach(function (c) { tbody.appendChild(configRow(c)); });
    configsList.cursor = data.next_cursor || null;
    more.hidden = !data.next_cursor;
    more.disabled = false;
    $('config-list-empty').hidden = tbody.children.length > 0;
  }, function (e) {
    if (mySeq !== configsList.seq) return;
    more.disabled = false;
    showError('Could not load configurations', e);
  });
}

function configRow(c) {
  var href = '#/configurations/' + enc(c.id);
  var windows = windowsSummary(c.default_windows);
  var n = Array.isArray(c.overrides) ? c.overrides.length : 0;
  if (n) windows += ' (+' + n + ' override' + (n > 1 ? 's' : '') + ')';
  return el('tr', { dataset: { configId: c.id, href: href } },
    el('td', null, el('a', { href: href, text: c.name, class: 'rowlink' })),
    el('td', { text: c.default_timezone }),
    el('td', { text: c.default_country_code }),
    el('td', { class: 'num', text: c.max_attempts }),
    el('td', { class: 'num', text: c.retry_delay_minutes + ' min' }),
    el('td', { class: 'small', text: windows }),
    el('td', null, timeEl(c.created_at)));
}

function ensureEditor(prefix) {
  if (editors[prefix]) return editors[prefix];
  var mode = prefix === 'config-create' ? 'create' : 'edit';
  var ed = createConfigEditor(prefix, mode);
  editors[prefix] = ed;
  $(prefix + '-host').appendChild(ed.form);
  if (mode === 'create') {
    ed.setValue({ default_windows: [newWindow()] });
    ed.form.addEventListener('submit', onConfigCreate);
  } else {
    ed.form.addEventListener('submit', onConfigSave);
  }
  return ed;
}

function clientProblems(context, problems) {
  if (!problems.length) return false;
  showError(context, new ApiError(0, problems.map(function (p) { return { loc: [], msg: p }; }), problems.join('\n')));
  return true;
}

function onConfigCreate(ev) {
  ev.preventDefault();
  hideError();
  var ed = editors['config-create'];
  var got = ed.getBody();
  if (clientProblems('Could not create the configuration', got.problems)) return;
  ed.submit.disabled = true;
  api('POST', '/campaign/configurations', { body: got.body }).then(function (c) {
    invalidateConfigs();
    ed.setValue({ default_windows: [newWindow()] });
    showNotice('Configuration “' + c.name + '” created.');
    return loadConfigList(true);
  }, function (e) {
    showError('Could not create the configuration', e);
  }).then(function () { ed.submit.disabled = false; });
}

let currentConfigId = null;

export function showConfiguration(seq, id) {
  showView('view-configuration');
  var ed = ensureEditor('config-edit');
  currentConfigId = id;
  disarmDelete();
  $('config-title').textContent = 'Loading…';
  $('config-id').textContent = id;
  setText('config-created', '');
  setText('config-updated', '');
  ed.form.hidden = true;
  loadTimezones().catch(function (e) { if (isCurrent(seq)) showError('Could not load the timezone list', e); });
  api('GET', '/campaign/configurations/' + enc(id)).then(function (c) {
    if (!isCurrent(seq)) return;
    renderConfig(c);
  }, function (e) {
    if (!isCurrent(seq)) return;
    $('config-title').textContent = 'Configuration not available';
    showError('Could not load the configuration', e);
  });
}

function renderConfig(c) {
  var ed = editors['config-edit'];
  document.title = c.name + ' · campaignd admin';
  $('config-title').textContent = c.name;
  $('config-id').textContent = c.id;
  var created = $('config-created'); clear(created); created.appendChild(timeEl(c.created_at));
  var updated = $('config-updated'); clear(updated); updated.appendChild(timeEl(c.updated_at));
  ed.setValue(c);
  ed.form.hidden = false;
}

function onConfigSave(ev) {
  ev.preventDefault();
  hideError();
  var ed = editors['config-edit'];
  var got = ed.getBody();
  if (clientProblems('Could not save the configuration', got.problems)) return;
  var seq = route.seq;
  ed.submit.disabled = true;
  api('PATCH', '/campaign/configurations/' + enc(currentConfigId), { body: got.body }).then(function (c) {
    invalidateConfigs();
    if (!isCurrent(seq)) return;
    renderConfig(c);
    showNotice('Configuration saved.');
  }, function (e) {
    if (isCurrent(seq)) showError('Could not save the configuration', e);
  }).then(function () { ed.submit.disabled = false; });
}

let deleteArmTimer = null;

function disarmDelete() {
  clearTimeout(deleteArmTimer);
  var btn = $('config-delete');
  btn.dataset.armed = '';
  btn.classList.remove('armed');
  btn.textContent = 'Delete configuration';
  btn.disabled = false;
}

function onConfigDelete() {
  var btn = $('config-delete');
  if (btn.dataset.armed !== 'yes') {
    btn.dataset.armed = 'yes';
    btn.classList.add('armed');
    btn.textContent = 'Press again to delete for good';
    clearTimeout(deleteArmTimer);
    deleteArmTimer = setTimeout(disarmDelete, 5000);
    return;
  }
  clearTimeout(deleteArmTimer);
  btn.disabled = true;
  var seq = route.seq;
  var name = $('config-title').textContent;
  api('DELETE', '/campaign/configurations/' + enc(currentConfigId)).then(function () {
    invalidateConfigs();
    route.pendingNotice = 'Configuration “' + name + '” deleted.';
    if (isCurrent(seq)) navigate('#/configurations');
  }, function (e) {
    if (isCurrent(seq)) showError('Could not delete the configuration', e);
  }).then(function () {
    if (isCurrent(seq)) disarmDelete();
  });
}

export function clearConfigurations() {
  clear($('config-list'));
}

export function wireConfigurations() {
  $('config-list').addEventListener('click', onRowClick);
  $('config-more').addEventListener('click', function () { loadConfigList(false); });
  $('config-delete').addEventListener('click', onConfigDelete);
}
