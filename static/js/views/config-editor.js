// The configuration form (create and edit): the fields, a structured editor for lists of calling
// windows, and one for timezone overrides (each with its own windows).

import { clear, el, intValue } from '../dom.js';

export const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];

let rowCounter = 0;

export function newWindow() { return { days: ['mon', 'tue', 'wed', 'thu', 'fri'], start: '09:00', end: '17:00' }; }

/** Structured editor for a list of TimeWindow. */
function createWindowsEditor(idPrefix, emptyText) {
  var root = el('div', { class: 'windows-editor', id: idPrefix, dataset: { testid: idPrefix } });
  var list = el('div', { class: 'windows-list' });
  var empty = el('p', { class: 'muted small windows-empty', text: emptyText || 'No window: no calls at all.' });
  var add = el('button', { type: 'button', class: 'btn btn-small', id: idPrefix + '-add', text: '+ Add window', dataset: { testid: idPrefix + '-add' } });
  root.appendChild(list);
  root.appendChild(empty);
  root.appendChild(add);

  function updateEmpty() { empty.hidden = list.children.length > 0; }

  function addRow(w) {
    var n = rowCounter++;
    var rid = idPrefix + '-' + n;
    var row = el('div', { class: 'window-row', dataset: { testid: 'window-row' } });
    var days = el('div', { class: 'days', attrs: { role: 'group', 'aria-label': 'Days' } });
    DAYS.forEach(function (d) {
      var cb = el('input', { type: 'checkbox', value: d, id: rid + '-day-' + d });
      cb.checked = Array.isArray(w.days) && w.days.indexOf(d) >= 0;
      days.appendChild(el('label', { class: 'day', htmlFor: rid + '-day-' + d }, cb, el('span', { text: d })));
    });
    var start = el('input', { type: 'text', class: 'hhmm win-start', id: rid + '-start', value: w.start || '', placeholder: 'HH:MM', maxLength: 5,
      attrs: { inputmode: 'numeric', pattern: '[0-2][0-9]:[0-5][0-9]', 'aria-label': 'Start (HH:MM)', autocomplete: 'off' } });
    var end = el('input', { type: 'text', class: 'hhmm win-end', id: rid + '-end', value: w.end || '', placeholder: 'HH:MM', maxLength: 5,
      attrs: { inputmode: 'numeric', pattern: '[0-2][0-9]:[0-5][0-9]', 'aria-label': 'End (HH:MM)', autocomplete: 'off' } });
    var remove = el('button', { type: 'button', class: 'btn btn-small btn-ghost win-remove', id: rid + '-remove', text: 'Remove', attrs: { 'aria-label': 'Remove window' } });
    remove.addEventListener('click', function () { list.removeChild(row); updateEmpty(); });
    row.appendChild(days);
    row.appendChild(el('div', { class: 'times' }, start, el('span', { class: 'dash', text: '–' }), end, remove));
    list.appendChild(row);
    updateEmpty();
    return row;
  }

  add.addEventListener('click', function () {
    var row = addRow(newWindow());
    var first = row.querySelector('input');
    if (first) first.focus();
  });

  return {
    root: root,
    getValue: function () {
      return Array.prototype.map.call(list.children, function (row) {
        var days = Array.prototype.filter.call(row.querySelectorAll('.days input'), function (cb) { return cb.checked; })
          .map(function (cb) { return cb.value; });
        return { days: days, start: row.querySelector('.win-start').value.trim(), end: row.querySelector('.win-end').value.trim() };
      });
    },
    setValue: function (windows) {
      clear(list);
      (Array.isArray(windows) ? windows : []).forEach(addRow);
      updateEmpty();
    }
  };
}

/** Structured editor for a list of ScheduleOverride {timezone, windows}. */
function createOverridesEditor(idPrefix) {
  var root = el('div', { class: 'overrides-editor', id: idPrefix, dataset: { testid: idPrefix } });
  var list = el('div', { class: 'overrides-list' });
  var empty = el('p', { class: 'muted small', text: 'No override.' });
  var add = el('button', { type: 'button', class: 'btn btn-small', id: idPrefix + '-add', text: '+ Add timezone override', dataset: { testid: idPrefix + '-add' } });
  root.appendChild(list);
  root.appendChild(empty);
  root.appendChild(add);
  var blocks = [];

  function updateEmpty() { empty.hidden = blocks.length > 0; }

  function addBlock(o) {
    var n = rowCounter++;
    var bid = idPrefix + '-' + n;
    var tz = el('input', { type: 'text', class: 'override-tz', id: bid + '-timezone', value: o.timezone || '', placeholder: 'e.g. America/Phoenix',
      attrs: { list: 'tz-list', autocomplete: 'off', spellcheck: 'false', autocapitalize: 'off' } });
    var windows = createWindowsEditor(bid + '-windows', 'No window: no calls at all for this timezone.');
    windows.setValue(o.windows || []);
    var remove = el('button', { type: 'button', class: 'btn btn-small btn-ghost', id: bid + '-remove', text: 'Remove override' });
    var block = el('div', { class: 'override', dataset: { testid: 'override' } },
      el('div', { class: 'override-head' },
        el('div', { class: 'field grow' }, el('label', { htmlFor: bid + '-timezone', text: 'Timezone' }), tz),
        remove),
      windows.root);
    var entry = { block: block, tz: tz, windows: windows };
    blocks.push(entry);
    remove.addEventListener('click', function () {
      list.removeChild(block);
      blocks.splice(blocks.indexOf(entry), 1);
      updateEmpty();
    });
    list.appendChild(block);
    updateEmpty();
    return entry;
  }

  add.addEventListener('click', function () {
    var entry = addBlock({ timezone: '', windows: [newWindow()] });
    entry.tz.focus();
  });

  return {
    root: root,
    getValue: function () {
      return blocks.map(function (b) { return { timezone: b.tz.value.trim(), windows: b.windows.getValue() }; });
    },
    setValue: function (overrides) {
      clear(list);
      blocks = [];
      (Array.isArray(overrides) ? overrides : []).forEach(addBlock);
      updateEmpty();
    }
  };
}

function field(id, labelText, input, hint) {
  var f = el('div', { class: 'field' }, el('label', { htmlFor: id, text: labelText }), input);
  if (hint) f.appendChild(el('small', { class: 'muted', text: hint }));
  return f;
}

/** The configuration form; prefix 'config-create' or 'config-edit'. */
export function createConfigEditor(prefix, mode) {
  var P = function (s) { return prefix + '-' + s; };
  function input(name, props) {
    props = props || {};
    props.id = P(name);
    props.dataset = { testid: P(name) };
    props.attrs = Object.assign({ autocomplete: 'off' }, props.attrs || {});
    return el('input', props);
  }
  var ins = {
    name: input('name', { type: 'text', maxLength: 200, required: true }),
    timezone: input('timezone', { type: 'text', placeholder: 'America/New_York', attrs: { list: 'tz-list', spellcheck: 'false', autocapitalize: 'off' } }),
    country: input('country', { type: 'text', placeholder: 'US', maxLength: 2, attrs: { autocapitalize: 'characters', spellcheck: 'false' } }),
    maxAttempts: input('max-attempts', { type: 'number', min: 1, max: 20, step: 1, placeholder: '3', attrs: { inputmode: 'numeric' } }),
    retryDelay: input('retry-delay', { type: 'number', min: 1, max: 10080, step: 1, placeholder: '60', attrs: { inputmode: 'numeric' } }),
    agentId: input('agent-id', { type: 'text', maxLength: 255 }),
    agentVersion: input('agent-version', { type: 'number', min: 1, step: 1, placeholder: 'latest', attrs: { inputmode: 'numeric' } }),
    agentNumber: input('agent-number', { type: 'text', placeholder: '+14155550100', attrs: { inputmode: 'tel' } })
  };
  var windows = createWindowsEditor(P('windows'));
  var overrides = createOverridesEditor(P('overrides'));
  var schedWindowsOn = input('scheduled-windows-enabled', { type: 'checkbox' });
  var schedWindows = createWindowsEditor(P('scheduled-windows'));
  var schedOverridesOn = input('scheduled-overrides-enabled', { type: 'checkbox' });
  var schedOverrides = createOverridesEditor(P('scheduled-overrides'));
  var submit = el('button', { type: 'submit', class: 'btn btn-primary', id: P('submit'),
    text: mode === 'create' ? 'Create configuration' : 'Save changes', dataset: { testid: P('submit') } });

  function syncSched() {
    schedWindows.root.hidden = !schedWindowsOn.checked;
    schedOverrides.root.hidden = !schedOverridesOn.checked;
  }
  schedWindowsOn.addEventListener('change', syncSched);
  schedOverridesOn.addEventListener('change', syncSched);

  var form = el('form', { class: 'form config-form', id: P('form'), noValidate: true, attrs: { autocomplete: 'off' } },
    el('div', { class: 'grid-form' },
      field(P('name'), 'Name', ins.name),
      field(P('timezone'), 'Default timezone', ins.timezone, 'IANA name; contacts without a timezone use it.'),
      field(P('country'), 'Default country code', ins.country, 'Region for numbers written without +.'),
      field(P('max-attempts'), 'Max attempts (1–20)', ins.maxAttempts),
      field(P('retry-delay'), 'Retry delay, minutes (1–10080)', ins.retryDelay),
      field(P('agent-id'), 'Agent id (optional)', ins.agentId),
      field(P('agent-version'), 'Agent version (optional)', ins.agentVersion, 'Empty = latest.'),
      field(P('agent-number'), 'Agent number (optional)', ins.agentNumber, 'Caller number, E.164.')),
    el('fieldset', { class: 'group' },
      el('legend', { text: 'Calling windows' }),
      el('p', { class: 'muted small', text: 'In the contact’s local time. A window whose end is before its start crosses midnight.' }),
      windows.root),
    el('fieldset', { class: 'group' },
      el('legend', { text: 'Timezone overrides' }),
      el('p', { class: 'muted small', text: 'Windows that replace the ones above for contacts in one timezone.' }),
      overrides.root),
    el('details', { class: 'group advanced' },
      el('summary', { text: 'First attempt of scheduled contacts (advanced)' }),
      el('p', { class: 'muted small', text: 'Windows used for the first attempt of a contact that has scheduled_at. Off = use the windows above.' }),
      el('label', { class: 'check' }, schedWindowsOn, ' Separate windows for scheduled first attempts'),
      schedWindows.root,
      el('label', { class: 'check' }, schedOverridesOn, ' Separate timezone overrides for scheduled first attempts'),
      schedOverrides.root),
    el('div', { class: 'actions' }, submit));

  var editor = {
    form: form,
    submit: submit,
    setValue: function (c) {
      c = c || {};
      ins.name.value = c.name || '';
      ins.timezone.value = c.default_timezone || '';
      ins.country.value = c.default_country_code || '';
      ins.maxAttempts.value = c.max_attempts !== undefined && c.max_attempts !== null ? String(c.max_attempts) : '';
      ins.retryDelay.value = c.retry_delay_minutes !== undefined && c.retry_delay_minutes !== null ? String(c.retry_delay_minutes) : '';
      ins.agentId.value = c.agent_id || '';
      ins.agentVersion.value = c.agent_version !== undefined && c.agent_version !== null ? String(c.agent_version) : '';
      ins.agentNumber.value = c.agent_number || '';
      windows.setValue(c.default_windows || []);
      overrides.setValue(c.overrides || []);
      schedWindowsOn.checked = Array.isArray(c.scheduled_windows);
      schedWindows.setValue(c.scheduled_windows || []);
      schedOverridesOn.checked = Array.isArray(c.scheduled_overrides);
      schedOverrides.setValue(c.scheduled_overrides || []);
      var adv = form.querySelector('details.advanced');
      if (adv) adv.open = schedWindowsOn.checked || schedOverridesOn.checked;
      syncSched();
    },
    /** Returns {body, problems}: problems are client-side input errors (not sent). */
    getBody: function () {
      var body = {};
      var problems = [];
      var isEdit = mode === 'edit';
      body.name = ins.name.value.trim();
      var tz = ins.timezone.value.trim();
      if (tz) body.default_timezone = tz;
      var cc = ins.country.value.trim();
      if (cc) body.default_country_code = cc;
      [['max_attempts', ins.maxAttempts], ['retry_delay_minutes', ins.retryDelay], ['agent_version', ins.agentVersion]].forEach(function (pair) {
        var v = intValue(pair[1]);
        if (v !== undefined && isNaN(v)) problems.push(pair[0] + ': must be a whole number');
        else if (v !== undefined) body[pair[0]] = v;
        else if (isEdit && pair[0] === 'agent_version') body.agent_version = null;
      });
      var agentId = ins.agentId.value.trim();
      if (agentId) body.agent_id = agentId; else if (isEdit) body.agent_id = null;
      var agentNumber = ins.agentNumber.value.trim();
      if (agentNumber) body.agent_number = agentNumber; else if (isEdit) body.agent_number = null;
      body.default_windows = windows.getValue();
      body.overrides = overrides.getValue();
      if (schedWindowsOn.checked) body.scheduled_windows = schedWindows.getValue();
      else if (isEdit) body.scheduled_windows = null;
      if (schedOverridesOn.checked) body.scheduled_overrides = schedOverrides.getValue();
      else if (isEdit) body.scheduled_overrides = null;
      return { body: body, problems: problems };
    }
  };
  return editor;
}
