// The API client: JSON over fetch with the session's credential, one error type (ApiError) for
// every non-2xx answer and every network failure, and the readers of the {"detail": …} shapes.

import { session } from './session.js';

export class ApiError extends Error {
  constructor(status, detail, message, statusText) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.detail = detail;
    this.statusText = statusText || '';
  }
}

let authLostHandler = function () {};

/** `handler(err, usedCredential)` runs when an authenticated call answers 401. */
export function onAuthLost(handler) { authLostHandler = handler; }

/** Reports a 401 seen outside `api()` (the CSV upload's XHR). */
export function authLost(err, usedCredential) {
  err.authLost = true;
  authLostHandler(err, usedCredential);
}

export function buildUrl(path, query) {
  const params = new URLSearchParams();
  if (query) {
    Object.keys(query).forEach(function (k) {
      const v = query[k];
      if (v === undefined || v === null || v === '') return;
      if (Array.isArray(v)) v.forEach(function (x) { params.append(k, String(x)); });
      else params.append(k, String(v));
    });
  }
  const qs = params.toString();
  return qs ? path + '?' + qs : path;
}

export function authHeaders(credential, org) {
  const h = { 'Authorization': 'Bearer ' + credential, 'Accept': 'application/json' };
  if (org) h['X-Anyreach-Org'] = org;
  return h;
}

/** "body.contacts[3].phone_numbers[0]", or "line 7, phone" for the CSV import. */
function formatLoc(loc, csv) {
  if (!Array.isArray(loc)) return loc === undefined || loc === null ? '' : String(loc);
  if (csv && loc[0] === 'body') {
    if (loc.length === 1) return 'file';
    if (typeof loc[1] === 'number') {
      let s = 'line ' + loc[1];
      if (loc.length > 2) s += ', ' + loc.slice(2).map(String).join('.');
      return s;
    }
  }
  let out = '';
  loc.forEach(function (p) {
    if (typeof p === 'number') out += '[' + p + ']';
    else out += (out ? '.' : '') + String(p);
  });
  return out;
}

function formatValidationEntry(entry, csv) {
  if (entry === null || typeof entry !== 'object') return String(entry);
  const where = formatLoc(entry.loc, csv);
  const msg = entry.msg !== undefined && entry.msg !== null ? String(entry.msg) : JSON.stringify(entry);
  return where ? where + ': ' + msg : msg;
}

/** Lines describing an error detail (string or FastAPI validation list). */
export function detailLines(detail, csv) {
  if (typeof detail === 'string') return [detail];
  if (Array.isArray(detail)) return detail.map(function (e) { return formatValidationEntry(e, csv); });
  if (detail !== undefined && detail !== null) return [JSON.stringify(detail)];
  return [];
}

export function makeError(status, statusText, data, csv) {
  const detail = data && typeof data === 'object' && !Array.isArray(data) ? data.detail : undefined;
  const lines = detailLines(detail, csv);
  let message = lines.length ? lines.join('\n') : ('HTTP ' + status + (statusText ? ' ' + statusText : ''));
  if (status === 503) message += '\n(The server is busy; try again in a moment.)';
  return new ApiError(status, detail, message, statusText);
}

export function networkError(e) {
  return new ApiError(0, null, 'Network error: the server could not be reached' +
    (e && e.message ? ' (' + e.message + ')' : '') + '.');
}

export function parseJsonText(text) {
  if (!text) return null;
  try { return JSON.parse(text); } catch (e) { return undefined; }
}

/**
 * fetch wrapper: JSON in and out, throws ApiError for every non-2xx answer and for network
 * failures. opts: {query, body, credential, org, signin}
 */
export function api(method, path, opts) {
  opts = opts || {};
  const credential = opts.credential !== undefined ? opts.credential : session.credential;
  const org = opts.org !== undefined ? opts.org : session.org;
  const headers = authHeaders(credential, org);
  const init = { method: method, headers: headers, cache: 'no-store', credentials: 'omit' };
  if (opts.body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(opts.body);
  }
  return fetch(buildUrl(path, opts.query), init).then(function (res) {
    return res.text().then(function (text) {
      const data = parseJsonText(text);
      if (!res.ok) {
        const err = makeError(res.status, res.statusText, data, false);
        if (res.status === 401 && !opts.signin) authLost(err, credential);
        throw err;
      }
      if (res.status === 204) return null;
      if (data === undefined) {
        throw new ApiError(res.status, null, 'The server answered HTTP ' + res.status + ' with a body that is not JSON.');
      }
      return data;
    }, function (e) { throw networkError(e); });
  }, function (e) {
    throw networkError(e);
  });
}

/**
 * The dialer's mode from `GET /healthz` (no credential): "off", "simulate", "webhook" …, or
 * null when the server does not say (an older campaignd) or cannot be reached.
 */
export function dialerMode() {
  return fetch('/healthz', { cache: 'no-store', credentials: 'omit', headers: { 'Accept': 'application/json' } })
    .then(function (res) { return res.ok ? res.json() : null; })
    .then(function (data) {
      return data && typeof data.dialer === 'string' && data.dialer ? data.dialer : null;
    }, function () { return null; });
}
