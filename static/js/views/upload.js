// The CSV import card of the campaign view (docs/api.md §6.1): choosing a file runs a dry run,
// Import writes. The file is sent as-is with XHR, for its upload progress.

import { ApiError, authHeaders, authLost, buildUrl, detailLines, makeError, networkError, parseJsonText } from '../api.js';
import { showError, showNotice } from '../banners.js';
import { $, clear, el, fmtBytes, fmtNumber } from '../dom.js';
import { isCurrent, route } from '../router.js';
import { session } from '../session.js';

const MAX_CSV_BYTES = 10 * 1024 * 1024;
const upload = { file: null, busy: false, xhr: null };
/** Set by the campaign view: {path() → "/campaign/campaigns/<id>", campaign() → object, onImported()}. */
let host = null;

export function resetUpload() {
  if (upload.xhr) { try { upload.xhr.abort(); } catch (e) { /* ignore */ } }
  upload.file = null;
  upload.busy = false;
  upload.xhr = null;
  const input = $('upload-file');
  input.value = '';
  input.disabled = false;
  $('upload-file-name').textContent = '';
  $('upload-progress-box').hidden = true;
  $('upload-dryrun-result').hidden = true;
  clear($('upload-dryrun-result'));
  $('upload-result').hidden = true;
  clear($('upload-result'));
  $('upload-actions').hidden = true;
  $('upload-import').hidden = false;
  $('upload-skip-invalid').checked = false;
  $('upload-dropzone').classList.remove('busy', 'dragover');
  setBusy(false);
}

function setBusy(busy) {
  upload.busy = busy;
  $('upload-file').disabled = busy;
  ['upload-import', 'upload-recheck', 'upload-reset', 'upload-skip-invalid'].forEach(function (id) { $(id).disabled = busy; });
  $('upload-dropzone').classList.toggle('busy', busy);
}

function selectFile(file) {
  if (!file || upload.busy) return;
  const campaign = host && host.campaign();
  if (!campaign || campaign.status === 'closed') return;
  resetResults();
  upload.file = file;
  $('upload-file-name').textContent = 'Selected: ' + file.name + ' (' + fmtBytes(file.size) + ')';
  if (file.size > MAX_CSV_BYTES) {
    showMessage('upload-dryrun-result', 'error', 'The file is ' + fmtBytes(file.size) + ': the server accepts at most 10 MiB per import. Split the file.');
    $('upload-actions').hidden = false;
    $('upload-import').hidden = true;
    return;
  }
  if (file.size === 0) {
    showMessage('upload-dryrun-result', 'error', 'The file is empty.');
    $('upload-actions').hidden = false;
    $('upload-import').hidden = true;
    return;
  }
  runDryRun();
}

function resetResults() {
  $('upload-dryrun-result').hidden = true;
  clear($('upload-dryrun-result'));
  $('upload-result').hidden = true;
  clear($('upload-result'));
  $('upload-actions').hidden = true;
  $('upload-import').hidden = false;
}

function showMessage(boxId, kind, text, lines, moreCount) {
  const box = $(boxId);
  clear(box);
  box.className = 'upload-result ' + (kind === 'error' ? 'is-error' : kind === 'ok' ? 'is-ok' : '');
  box.appendChild(el('p', { class: 'upload-headline', text: text }));
  if (lines && lines.length) {
    const ul = el('ul', { class: 'error-lines', id: boxId === 'upload-result' ? 'upload-res-errors' : 'upload-dry-errors' });
    lines.forEach(function (l) { ul.appendChild(el('li', { text: l })); });
    box.appendChild(ul);
    if (moreCount > 0) box.appendChild(el('p', { class: 'muted small', text: '… and ' + moreCount.toLocaleString() + ' more.' }));
  }
  box.hidden = false;
}

/** POST the file as-is with XHR (for upload progress). Resolves {status, data, statusText}. */
function sendCsv(dryRun) {
  const skip = $('upload-skip-invalid').checked;
  const url = buildUrl(host.path() + '/contacts/import', {
    dry_run: dryRun ? 'true' : undefined,
    skip_invalid: skip ? 'true' : undefined
  });
  const credential = session.credential;
  return new Promise(function (resolve, reject) {
    const xhr = new XMLHttpRequest();
    upload.xhr = xhr;
    xhr.open('POST', url, true);
    const headers = authHeaders(credential, session.org);
    Object.keys(headers).forEach(function (k) { xhr.setRequestHeader(k, headers[k]); });
    xhr.setRequestHeader('Content-Type', 'text/csv');
    const bar = $('upload-progress');
    const label = $('upload-progress-text');
    $('upload-progress-box').hidden = false;
    bar.value = 0;
    bar.max = 100;
    label.textContent = (dryRun ? 'Checking' : 'Importing') + ': uploading…';
    xhr.upload.onprogress = function (e) {
      if (e.lengthComputable && e.total > 0) {
        const p = Math.round(e.loaded * 100 / e.total);
        bar.value = p;
        label.textContent = (dryRun ? 'Checking' : 'Importing') + ': uploading ' + p + '%';
      }
    };
    xhr.upload.onload = function () {
      bar.value = 100;
      bar.removeAttribute('value'); // indeterminate while the server works
      label.textContent = dryRun ? 'Server is checking the file…' : 'Server is importing the file…';
    };
    xhr.onload = function () {
      upload.xhr = null;
      resolve({ status: xhr.status, statusText: xhr.statusText, data: parseJsonText(xhr.responseText), credential: credential });
    };
    xhr.onerror = function () { upload.xhr = null; reject(networkError(null)); };
    xhr.ontimeout = function () { upload.xhr = null; reject(new ApiError(0, null, 'The upload timed out.')); };
    xhr.onabort = function () { upload.xhr = null; reject(new ApiError(0, null, 'The upload was cancelled.')); };
    xhr.send(upload.file);
  });
}

function csvErrorLines(errors) {
  return (errors || []).map(function (e) {
    const where = 'line ' + e.line + (e.column ? ', ' + e.column : '');
    return where + ': ' + e.msg;
  });
}

function failure(boxId, res, what) {
  const err = makeError(res.status, res.statusText, res.data, true);
  if (res.status === 401) {
    authLost(err, res.credential);
    return;
  }
  let lines = detailLines(err.detail, true);
  if (!lines.length) lines = [err.message];
  const shown = lines.slice(0, 200);
  const headline = what + ' (HTTP ' + res.status + ')' + (res.status === 422 && boxId === 'upload-result' ? '; nothing was written:' : ':');
  showMessage(boxId, 'error', headline, shown, lines.length - shown.length);
}

function countItem(label, value, id) {
  return el('div', { class: 'count' }, el('span', { class: 'count-label', text: label }),
    el('span', { class: 'count-value', id: id, text: fmtNumber(value) }));
}

function runDryRun() {
  if (!upload.file || upload.busy) return;
  const seq = route.seq;
  resetResults();
  setBusy(true);
  sendCsv(true).then(function (res) {
    if (!isCurrent(seq)) return;
    $('upload-actions').hidden = false;
    if (res.status !== 200 || !res.data || typeof res.data !== 'object') {
      failure('upload-dryrun-result', res, 'The file was refused');
      $('upload-import').hidden = true;
      return;
    }
    renderDryRun(res.data);
  }, function (e) {
    if (!isCurrent(seq)) return;
    showMessage('upload-dryrun-result', 'error', e.message);
    $('upload-actions').hidden = false;
    $('upload-import').hidden = true;
  }).catch(function (e) {
    showError('Could not show the check result', e);
  }).then(function () {
    $('upload-progress-box').hidden = true;
    setBusy(false);
  });
}

function renderDryRun(r) {
  const box = $('upload-dryrun-result');
  clear(box);
  const errCount = r.error_count || 0;
  box.className = 'upload-result ' + (errCount ? 'is-warn' : 'is-ok');
  box.appendChild(el('p', { class: 'upload-headline', text: 'Check of ' + upload.file.name + ' (dry run, nothing written yet):' }));
  box.appendChild(el('div', { class: 'counts' },
    countItem('would insert', r.inserted, 'upload-dry-inserted'),
    countItem('would update', r.updated, 'upload-dry-updated'),
    countItem('skipped', r.skipped, 'upload-dry-skipped'),
    countItem('errors', errCount, 'upload-dry-error-count')));

  const columns = r.columns && typeof r.columns === 'object' ? r.columns : {};
  const headers = Object.keys(columns);
  if (headers.length) {
    box.appendChild(el('h3', { text: 'Column mapping' }));
    const tbody = el('tbody', { id: 'upload-dry-columns' });
    headers.forEach(function (h) {
      const field = String(columns[h]);
      tbody.appendChild(el('tr', null, el('td', { class: 'mono', text: h }), el('td', null,
        el('span', { class: 'mapping' + (field.indexOf('data.') === 0 ? ' mapping-data' : ''), text: field }))));
    });
    box.appendChild(el('div', { class: 'table-wrap', tabIndex: 0, attrs: { role: 'region', 'aria-label': 'Column mapping table' } }, el('table', { class: 'table compact' },
      el('thead', null, el('tr', null, el('th', { text: 'CSV header' }), el('th', { text: 'Goes to' }))), tbody)));
  }

  if (errCount) {
    const lines = csvErrorLines(r.errors);
    const shown = lines.slice(0, 100);
    box.appendChild(el('h3', { text: 'Problems' + (errCount > shown.length ? ' (first ' + shown.length + ' of ' + errCount.toLocaleString() + ')' : '') }));
    const ul = el('ul', { class: 'error-lines', id: 'upload-dry-errors' });
    shown.forEach(function (l) { ul.appendChild(el('li', { text: l })); });
    box.appendChild(ul);
    box.appendChild(el('p', { class: 'small', text: 'Without “skip invalid rows” the import is refused as a whole. Tick it to import only the valid rows.' }));
  }
  box.hidden = false;
  $('upload-import').hidden = false;
  $('upload-import').textContent = 'Import';
}

function runImport() {
  if (!upload.file || upload.busy) return;
  const seq = route.seq;
  $('upload-result').hidden = true;
  clear($('upload-result'));
  setBusy(true);
  sendCsv(false).then(function (res) {
    if (!isCurrent(seq)) return;
    if (res.status !== 200 || !res.data || typeof res.data !== 'object') {
      failure('upload-result', res, 'Import refused');
      return;
    }
    const r = res.data;
    const box = $('upload-result');
    clear(box);
    const errCount = r.error_count || 0;
    box.className = 'upload-result ' + (errCount ? 'is-warn' : 'is-ok');
    box.appendChild(el('p', { class: 'upload-headline', text: 'Imported ' + upload.file.name + '.' }));
    box.appendChild(el('div', { class: 'counts' },
      countItem('inserted', r.inserted, 'upload-res-inserted'),
      countItem('updated', r.updated, 'upload-res-updated'),
      countItem('skipped', r.skipped, 'upload-res-skipped'),
      countItem('errors', errCount, 'upload-res-error-count')));
    if (errCount) {
      const lines = csvErrorLines(r.errors).slice(0, 100);
      box.appendChild(el('h3', { text: 'Skipped rows' + (errCount > lines.length ? ' (first ' + lines.length + ' of ' + errCount.toLocaleString() + ')' : '') }));
      const ul = el('ul', { class: 'error-lines', id: 'upload-res-errors' });
      lines.forEach(function (l) { ul.appendChild(el('li', { text: l })); });
      box.appendChild(ul);
    }
    box.hidden = false;
    $('upload-import').hidden = true; // imported: choose another file or "check again"
    $('upload-dryrun-result').hidden = true; // the check's "would …" figures are superseded
    showNotice('Import done: ' + (r.inserted || 0) + ' inserted, ' + (r.updated || 0) + ' updated, ' + (r.skipped || 0) + ' skipped.');
    host.onImported();
  }, function (e) {
    if (!isCurrent(seq)) return;
    showMessage('upload-result', 'error', 'Import failed: ' + e.message);
  }).catch(function (e) {
    showError('Could not show the import result', e);
  }).then(function () {
    $('upload-progress-box').hidden = true;
    setBusy(false);
  });
}

function hasFiles(ev) {
  const dt = ev.dataTransfer;
  if (!dt || !dt.types) return false;
  return Array.prototype.indexOf.call(dt.types, 'Files') >= 0;
}

/** `campaignHost`: {path(), campaign(), onImported()} of the campaign view. */
export function wireUpload(campaignHost) {
  host = campaignHost;
  const zone = $('upload-dropzone');
  $('upload-file').addEventListener('change', function (ev) {
    const f = ev.target.files && ev.target.files[0];
    if (f) selectFile(f);
  });
  ['dragenter', 'dragover'].forEach(function (type) {
    zone.addEventListener(type, function (ev) {
      if (!hasFiles(ev)) return;
      ev.preventDefault();
      ev.dataTransfer.dropEffect = upload.busy ? 'none' : 'copy';
      zone.classList.add('dragover');
    });
  });
  zone.addEventListener('dragleave', function (ev) {
    if (ev.relatedTarget && zone.contains(ev.relatedTarget)) return;
    zone.classList.remove('dragover');
  });
  zone.addEventListener('drop', function (ev) {
    ev.preventDefault();
    zone.classList.remove('dragover');
    const files = ev.dataTransfer && ev.dataTransfer.files;
    if (files && files.length) selectFile(files[0]);
  });
  // A file dropped beside the zone must not make the browser leave the page.
  window.addEventListener('dragover', function (ev) { if (hasFiles(ev)) ev.preventDefault(); });
  window.addEventListener('drop', function (ev) { if (hasFiles(ev)) ev.preventDefault(); });
  $('upload-import').addEventListener('click', runImport);
  $('upload-recheck').addEventListener('click', runDryRun);
  $('upload-reset').addEventListener('click', function () {
    resetUpload();
    $('upload-file').focus();
  });
}
