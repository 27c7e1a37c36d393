/*
 * campaignd admin page — plain JavaScript, no framework, no build step.
 *
 * Served at /admin/ under `Content-Security-Policy: default-src 'self'`: no inline scripts, no
 * inline handlers, no eval. Every value that comes from the API is inserted as text
 * (textContent / createElement), never as HTML. The credential lives in memory and in
 * sessionStorage only (never localStorage, never a cookie).
 *
 * Navigation (hash based, so the back button works):
 *   #/campaigns                               campaign list + create form
 *   #/campaigns/<id>                          campaign detail, stats, CSV import, contacts
 *   #/campaigns/<id>/contacts/<contact_id>    contact detail with its attempts
 *   #/configurations                          configuration list + create form
 *   #/configurations/<id>                     configuration view / edit / delete
 *
 * Stable ids of the main controls (for browser tests); each also carries the same data-testid:
 *   Global:          #error-banner (#error-banner-text, #error-banner-close), #notice (#notice-text),
 *                    #signout, #nav-campaigns, #nav-configurations, #session-who
 *   Sign in:         #view-signin, #signin-form, #signin-credential, #signin-org, #signin-submit,
 *                    #signin-error
 *   Campaign list:   #view-campaigns, #campaign-search, #campaign-filter-active,
 *                    #campaign-filter-paused, #campaign-filter-closed,
 *                    #campaign-list (tbody; rows tr[data-campaign-id]), #campaign-list-empty,
 *                    #campaign-more
 *   Campaign create: #campaign-create-form, #campaign-create-name, #campaign-create-external-id,
 *                    #campaign-create-priority, #campaign-create-config (select),
 *                    #campaign-create-submit
 *   Campaign detail: #view-campaign, #campaign-name, #campaign-status (text = status),
 *                    #campaign-id, #btn-start, #btn-pause, #btn-close,
 *                    #stats-total, #stats-pending, #stats-in-progress, #stats-completed,
 *                    #stats-exhausted, #stats-attempts-total, #stats-attempts-avg,
 *                    #stats-active-calls, #stats-concurrency-limit, #stats-refresh, #stats-updated
 *   CSV import:      #upload-dropzone, #upload-file (file input), #upload-file-name,
 *                    #upload-progress (progress element), #upload-progress-text,
 *                    #upload-dryrun-result (#upload-dry-inserted, #upload-dry-updated,
 *                    #upload-dry-skipped, #upload-dry-error-count, #upload-dry-columns,
 *                    #upload-dry-errors), #upload-skip-invalid (checkbox), #upload-import,
 *                    #upload-recheck, #upload-reset,
 *                    #upload-result (#upload-res-inserted, #upload-res-updated,
 *                    #upload-res-skipped, #upload-res-error-count, #upload-res-errors)
 *   Contacts:        #contacts-status (select), #contacts-list (tbody; rows tr[data-contact-id]),
 *                    #contacts-prev, #contacts-next, #contacts-range
 *   Contact detail:  #view-contact, #contact-title, #contact-status, #contact-detail,
 *                    #contact-data, #contact-attempts (tbody; rows tr[data-attempt-id]),
 *                    #contact-back
 *   Configurations:  #view-configurations, #config-list (tbody; rows tr[data-config-id]),
 *                    #config-more
 *   Config create:   #config-create-form, #config-create-name, #config-create-timezone,
 *                    #config-create-country, #config-create-max-attempts,
 *                    #config-create-retry-delay, #config-create-agent-id,
 *                    #config-create-agent-version, #config-create-agent-number,
 *                    #config-create-windows (windows editor: rows .window-row, each with
 *                    day checkboxes `.days input[value=mon]` … `[value=sun]`, inputs `.win-start`,
 *                    `.win-end` (HH:MM) and a remove button `.win-remove`; the row's controls also
 *                    get ids <editor-id>-<n>-day-<mon..sun> / -start / -end / -remove, n being a
 *                    page-wide counter), #config-create-windows-add,
 *                    #config-create-overrides (blocks .override, each with a timezone input
 *                    `.override-tz` and its own windows editor), #config-create-overrides-add,
 *                    #config-create-scheduled-windows-enabled, #config-create-scheduled-windows,
 *                    #config-create-scheduled-overrides-enabled, #config-create-scheduled-overrides,
 *                    #config-create-submit
 *   Config edit:     #view-configuration, #config-title, #config-id, the same controls as
 *                    create with the prefix config-edit- (#config-edit-name, …,
 *                    #config-edit-submit), #config-delete (press twice to confirm)
 */
'use strict';

(function () {
  // ------------------------------------------------------------------ constants & state
  var SS_CREDENTIAL = 'campaignd.admin.credential';
  var SS_ORG = 'campaignd.admin.org';
  var DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
  var CAMPAIGN_PAGE = 25;
  var CONFIG_PAGE = 50;
  var CONTACTS_PAGE = 50;
  var STATS_INTERVAL_MS = 5000;
  var MAX_CSV_BYTES = 10 * 1024 * 1024;
  var MAX_ERROR_LINES = 50;

  var state = {
    credential: null,
    org: '',
    configs: null, // array of configurations (all pages), or null when not loaded
    configsPromise: null,
    timezones: null,
    timezonesPromise: null,
    routeSeq: 0,
    view: null,
    pendingNotice: null
  };

  // ------------------------------------------------------------------ small DOM helpers
  function $(id) { return document.getElementById(id); }

  function clear(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
  }

  /** el('tag', {class, id, text, href, title, type, dataset:{}, attrs:{}}, children...) */
  function el(tag, props) {
    var node = document.createElement(tag);
    if (props) {
      Object.keys(props).forEach(function (k) {
        var v = props[k];
        if (v === undefined || v === null) return;
        if (k === 'class') node.className = v;
        else if (k === 'text') node.textContent = String(v);
        else if (k === 'dataset') Object.keys(v).forEach(function (d) { node.dataset[d] = v[d]; });
        else if (k === 'attrs') Object.keys(v).forEach(function (a) { node.setAttribute(a, v[a]); });
        else node[k] = v;
      });
    }
    for (var i = 2; i < arguments.length; i++) {
      var c = arguments[i];
      if (c === undefined || c === null || c === false) continue;
      node.appendChild(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
    }
    return node;
  }

  function setText(id, value) {
    var node = typeof id === 'string' ? $(id) : id;
    node.textContent = value === undefined || value === null || value === '' ? '—' : String(value);
  }

  function enc(s) { return encodeURIComponent(String(s)); }

  function fmtDate(s) {
    if (!s) return '—';
    var d = new Date(s);
    if (isNaN(d.getTime())) return String(s);
    return d.toLocaleString();
  }

  function timeEl(s) {
    if (!s) return document.createTextNode('—');
    return el('time', { text: fmtDate(s), attrs: { datetime: String(s), title: String(s) } });
  }

  function fmtNumber(n) {
    if (typeof n !== 'number') return n === undefined || n === null ? '—' : String(n);
    return n.toLocaleString();
  }

  function fmtBytes(n) {
    if (n < 1024) return n + ' B';
    if (n < 1024 * 1024) return (n / 1024).toFixed(1) + ' KiB';
    return (n / 1024 / 1024).toFixed(1) + ' MiB';
  }

  function truncate(s, n) {
    s = String(s);
    return s.length > n ? s.slice(0, n - 1) + '…' : s;
  }

  function badge(status, extraClass) {
    return el('span', { class: 'badge badge-' + String(status) + (extraClass ? ' ' + extraClass : ''), text: status });
  }

  function setBadge(node, status) {
    node.className = 'badge badge-' + String(status);
    node.textContent = String(status);
  }

  function debounce(fn, ms) {
    var t = null;
    return function () {
      var args = arguments, self = this;
      clearTimeout(t);
      t = setTimeout(function () { fn.apply(self, args); }, ms);
    };
  }

  // ------------------------------------------------------------------ session
  function loadSession() {
    try {
      state.credential = sessionStorage.getItem(SS_CREDENTIAL) || null;
      state.org = sessionStorage.getItem(SS_ORG) || '';
    } catch (e) {
      // sessionStorage unavailable: the credential then lives in memory only.
      state.credential = null;
      state.org = '';
    }
  }

  function saveSession(credential, org) {
    state.credential = credential;
    state.org = org || '';
    try {
      sessionStorage.setItem(SS_CREDENTIAL, credential);
      if (org) sessionStorage.setItem(SS_ORG, org); else sessionStorage.removeItem(SS_ORG);
    } catch (e) { /* memory only */ }
  }

  function clearSession() {
    state.credential = null;
    state.org = '';
    state.configs = null;
    state.configsPromise = null;
    try {
      sessionStorage.removeItem(SS_CREDENTIAL);
      sessionStorage.removeItem(SS_ORG);
    } catch (e) { /* nothing stored */ }
  }

  // ------------------------------------------------------------------ API access
  function ApiError(status, detail, message, statusText) {
    this.name = 'ApiError';
    this.status = status;
    this.detail = detail;
    this.statusText = statusText || '';
    this.message = message;
  }
  ApiError.prototype = Object.create(Error.prototype);
  ApiError.prototype.constructor = ApiError;

  function buildUrl(path, query) {
    var params = new URLSearchParams();
    if (query) {
      Object.keys(query).forEach(function (k) {
        var v = query[k];
        if (v === undefined || v === null || v === '') return;
        if (Array.isArray(v)) v.forEach(function (x) { params.append(k, String(x)); });
        else params.append(k, String(v));
      });
    }
    var qs = params.toString();
    return qs ? path + '?' + qs : path;
  }

  function authHeaders(credential, org) {
    var h = { 'Authorization': 'Bearer ' + credential, 'Accept': 'application/json' };
    if (org) h['X-Anyreach-Org'] = org;
    return h;
  }

  /** "body.contacts[3].phone_numbers[0]", or "line 7, phone" for the CSV import. */
  function formatLoc(loc, csv) {
    if (!Array.isArray(loc)) return loc === undefined || loc === null ? '' : String(loc);
    if (csv && loc[0] === 'body') {
      if (loc.length === 1) return 'file';
      if (typeof loc[1] === 'number') {
        var s = 'line ' + loc[1];
        if (loc.length > 2) s += ', ' + loc.slice(2).map(String).join('.');
        return s;
      }
    }
    var out = '';
    loc.forEach(function (p) {
      if (typeof p === 'number') out += '[' + p + ']';
      else out += (out ? '.' : '') + String(p);
    });
    return out;
  }

  function formatValidationEntry(entry, csv) {
    if (entry === null || typeof entry !== 'object') return String(entry);
    var where = formatLoc(entry.loc, csv);
    var msg = entry.msg !== undefined && entry.msg !== null ? String(entry.msg) : JSON.stringify(entry);
    return where ? where + ': ' + msg : msg;
  }

  /** Lines describing an error detail (string or FastAPI validation list). */
  function detailLines(detail, csv) {
    if (typeof detail === 'string') return [detail];
    if (Array.isArray(detail)) return detail.map(function (e) { return formatValidationEntry(e, csv); });
    if (detail !== undefined && detail !== null) return [JSON.stringify(detail)];
    return [];
  }

  function makeError(status, statusText, data, csv) {
    var detail = data && typeof data === 'object' && !Array.isArray(data) ? data.detail : undefined;
    var lines = detailLines(detail, csv);
    var message = lines.length ? lines.join('\n') : ('HTTP ' + status + (statusText ? ' ' + statusText : ''));
    if (status === 503) message += '\n(The server is busy; try again in a moment.)';
    return new ApiError(status, detail, message, statusText);
  }

  function networkError(e) {
    return new ApiError(0, null, 'Network error: the server could not be reached' +
      (e && e.message ? ' (' + e.message + ')' : '') + '.');
  }

  function parseJsonText(text) {
    if (!text) return null;
    try { return JSON.parse(text); } catch (e) { return undefined; }
  }

  /**
   * fetch wrapper: JSON in and out, throws ApiError for every non-2xx answer and for network
   * failures. opts: {query, body, credential, org, signin}
   */
  function api(method, path, opts) {
    opts = opts || {};
    var credential = opts.credential !== undefined ? opts.credential : state.credential;
    var org = opts.org !== undefined ? opts.org : state.org;
    var headers = authHeaders(credential, org);
    var init = { method: method, headers: headers, cache: 'no-store', credentials: 'omit' };
    if (opts.body !== undefined) {
      headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(opts.body);
    }
    var usedCredential = credential;
    return fetch(buildUrl(path, opts.query), init).then(function (res) {
      return res.text().then(function (text) {
        var data = parseJsonText(text);
        if (!res.ok) {
          var err = makeError(res.status, res.statusText, data, false);
          if (res.status === 401 && !opts.signin) authLost(err, usedCredential);
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

  /** A 401 after sign-in: the credential was revoked, expired or is wrong: back to sign in. */
  function authLost(err, usedCredential) {
    err.authLost = true;
    if (usedCredential !== state.credential) return; // already signed out / another credential
    clearSession();
    stopStatsPolling();
    showSigninError('You were signed out: ' + err.message);
    render();
  }

  // ------------------------------------------------------------------ banners
  var noticeTimer = null;

  function showError(context, err) {
    if (err && err.authLost) return;
    var text;
    if (err instanceof ApiError) {
      var lines = err.message.split('\n');
      var extra = '';
      if (lines.length > MAX_ERROR_LINES) {
        extra = '\n… and ' + (lines.length - MAX_ERROR_LINES) + ' more.';
        lines = lines.slice(0, MAX_ERROR_LINES);
      }
      var code = err.status ? ' (HTTP ' + err.status + ')' : '';
      if (Array.isArray(err.detail)) text = context + code + ':\n' + lines.join('\n') + extra;
      else text = context + ': ' + lines.join('\n') + extra + code;
    } else if (err) {
      text = context + ': ' + (err.message || String(err));
    } else {
      text = context;
    }
    $('error-banner-text').textContent = text;
    $('error-banner').hidden = false;
    if (window.console && console.error) console.error(text);
  }

  function hideError() {
    $('error-banner').hidden = true;
    $('error-banner-text').textContent = '';
  }

  function showNotice(text) {
    $('notice-text').textContent = text;
    $('notice').hidden = false;
    clearTimeout(noticeTimer);
    noticeTimer = setTimeout(hideNotice, 8000);
  }

  function hideNotice() {
    clearTimeout(noticeTimer);
    $('notice').hidden = true;
  }

  // ------------------------------------------------------------------ shared caches
  function loadConfigs(force) {
    if (!force && state.configs) return Promise.resolve(state.configs);
    if (!force && state.configsPromise) return state.configsPromise;
    var all = [];
    var pages = 0;
    function page(cursor) {
      return api('GET', '/campaign/configurations', { query: { limit: 200, cursor: cursor } }).then(function (data) {
        all = all.concat(data.configurations || []);
        pages++;
        if (data.next_cursor && pages < 50) return page(data.next_cursor);
        return all;
      });
    }
    var p = page(undefined).then(function (list) {
      if (state.configsPromise === p) { state.configs = list; state.configsPromise = null; }
      return list;
    }, function (e) {
      if (state.configsPromise === p) state.configsPromise = null;
      throw e;
    });
    state.configsPromise = p;
    return p;
  }

  function invalidateConfigs() {
    state.configs = null;
    state.configsPromise = null;
  }

  function configById(id) {
    if (!state.configs) return null;
    for (var i = 0; i < state.configs.length; i++) if (state.configs[i].id === id) return state.configs[i];
    return null;
  }

  /** Fill every [data-config-ref] element with the configuration's name. */
  function refreshConfigRefs() {
    var nodes = document.querySelectorAll('[data-config-ref]');
    Array.prototype.forEach.call(nodes, function (node) {
      var c = configById(node.dataset.configRef);
      if (c) node.textContent = c.name;
    });
  }

  function configRef(id) {
    if (!id) return document.createTextNode('—');
    var c = configById(id);
    return el('a', { href: '#/configurations/' + enc(id), text: c ? c.name : truncate(id, 13), dataset: { configRef: id } });
  }

  function loadTimezones() {
    if (state.timezones) return Promise.resolve(state.timezones);
    if (state.timezonesPromise) return state.timezonesPromise;
    state.timezonesPromise = api('GET', '/campaign/timezones').then(function (list) {
      state.timezones = Array.isArray(list) ? list : [];
      state.timezonesPromise = null;
      var dl = $('tz-list');
      clear(dl);
      var frag = document.createDocumentFragment();
      state.timezones.forEach(function (name) { frag.appendChild(el('option', { value: String(name) })); });
      dl.appendChild(frag);
      return state.timezones;
    }, function (e) {
      state.timezonesPromise = null;
      throw e;
    });
    return state.timezonesPromise;
  }

  // ------------------------------------------------------------------ routing
  var VIEWS = ['view-signin', 'view-campaigns', 'view-campaign', 'view-contact',
    'view-configurations', 'view-configuration', 'view-notfound'];

  function showView(id) {
    VIEWS.forEach(function (v) { $(v).hidden = v !== id; });
    state.view = id;
  }

  function parseHash() {
    var h = location.hash.replace(/^#\/?/, '');
    var q = h.indexOf('?');
    if (q >= 0) h = h.slice(0, q);
    return h.split('/').filter(function (s) { return s !== ''; }).map(function (s) {
      try { return decodeURIComponent(s); } catch (e) { return s; }
    });
  }

  function navigate(hash) {
    if (location.hash === hash) render();
    else location.hash = hash;
  }

  function isCurrent(seq) { return seq === state.routeSeq; }

  function updateChrome(parts) {
    var signedIn = !!state.credential;
    $('mainnav').hidden = !signedIn;
    $('session-box').hidden = !signedIn;
    if (signedIn) {
      var who = truncate(state.credential.split('.')[0], 28);
      $('session-who').textContent = state.org ? who + ' · ' + state.org : who;
      $('session-who').title = state.org ? 'Credential ' + who + ', organisation ' + state.org : 'Credential ' + who;
    }
    $('nav-campaigns').classList.toggle('active', signedIn && parts[0] === 'campaigns');
    $('nav-configurations').classList.toggle('active', signedIn && parts[0] === 'configurations');
  }

  function render() {
    state.routeSeq++;
    stopStatsPolling();
    hideError();
    hideNotice();
    if (state.pendingNotice) {
      showNotice(state.pendingNotice);
      state.pendingNotice = null;
    }
    var parts = parseHash();
    updateChrome(parts);
    if (!state.credential) {
      showSignin();
      return;
    }
    var seq = state.routeSeq;
    if (parts.length === 0) {
      location.replace('#/campaigns');
      return;
    }
    if (parts[0] === 'campaigns') {
      if (parts.length === 1) return showCampaigns(seq);
      if (parts.length === 2) return showCampaign(seq, parts[1]);
      if (parts.length === 4 && parts[2] === 'contacts') return showContact(seq, parts[1], parts[3]);
    } else if (parts[0] === 'configurations') {
      if (parts.length === 1) return showConfigurations(seq);
      if (parts.length === 2) return showConfiguration(seq, parts[1]);
    } else if (parts[0] === 'signin' && parts.length === 1) {
      location.replace('#/campaigns');
      return;
    }
    showView('view-notfound');
  }

  // ------------------------------------------------------------------ sign in
  function showSignin() {
    showView('view-signin');
    updateOrgField();
    $('signin-credential').focus();
  }

  function showSigninError(text) {
    var box = $('signin-error');
    box.textContent = text;
    box.hidden = !text;
  }

  function updateOrgField() {
    var cred = $('signin-credential').value.trim();
    var isKey = cred.slice(0, 3) === 'ak_';
    $('signin-org-field').hidden = isKey;
  }

  function onSigninSubmit(ev) {
    ev.preventDefault();
    var cred = $('signin-credential').value.trim();
    var org = $('signin-org-field').hidden ? '' : $('signin-org').value.trim();
    if (!cred) {
      showSigninError('Paste a credential (ak_… or pat_…).');
      return;
    }
    showSigninError('');
    var btn = $('signin-submit');
    btn.disabled = true;
    btn.textContent = 'Checking…';
    api('GET', '/campaign/campaigns', { query: { limit: 1 }, credential: cred, org: org, signin: true })
      .then(function () {
        saveSession(cred, org);
        $('signin-credential').value = '';
        showSigninError('');
        var parts = parseHash();
        if (parts.length === 0 || parts[0] === 'signin') navigate('#/campaigns');
        else render();
      }, function (err) {
        var text;
        if (err.status === 401 || err.status === 403) {
          text = 'Sign-in refused (HTTP ' + err.status + '): ' + err.message;
          if (err.detail === 'Token is missing organization claim') {
            text += '\nA personal access token (pat_…) needs the organisation id.';
          } else if (err.detail === 'Invalid token') {
            text += '\nCheck that the credential was pasted whole and has not been revoked or expired.';
          }
        } else if (err.status === 0) {
          text = err.message;
        } else {
          text = 'Sign-in failed (HTTP ' + err.status + '): ' + err.message;
        }
        showSigninError(text);
      })
      .then(function () {
        btn.disabled = false;
        btn.textContent = 'Sign in';
      });
  }

  function onSignout() {
    clearSession();
    resetUpload();
    clear($('campaign-list'));
    clear($('config-list'));
    clear($('contacts-list'));
    hideNotice();
    showSigninError('');
    $('signin-org').value = '';
    if (location.hash !== '#/campaigns') location.hash = '#/campaigns';
    else render();
  }

  // ------------------------------------------------------------------ campaign list
  var campaignsList = { cursor: null, seq: 0 };

  function campaignQuery() {
    var statuses = ['active', 'paused', 'closed'].filter(function (s) {
      return $('campaign-filter-' + s).checked;
    });
    return { limit: CAMPAIGN_PAGE, name: $('campaign-search').value.trim(), status: statuses };
  }

  function showCampaigns(seq) {
    showView('view-campaigns');
    loadCampaigns(true);
    fillConfigSelect(seq);
  }

  function loadCampaigns(reset) {
    var mySeq = ++campaignsList.seq;
    var q = campaignQuery();
    if (!reset) q.cursor = campaignsList.cursor;
    var more = $('campaign-more');
    more.disabled = true;
    $('campaign-list-status').textContent = 'Loading…';
    return api('GET', '/campaign/campaigns', { query: q }).then(function (data) {
      if (mySeq !== campaignsList.seq) return;
      var tbody = $('campaign-list');
      if (reset) clear(tbody);
      (data.campaigns || []).forEach(function (c) { tbody.appendChild(campaignRow(c)); });
      campaignsList.cursor = data.next_cursor || null;
      more.hidden = !data.next_cursor;
      more.disabled = false;
      $('campaign-list-empty').hidden = tbody.children.length > 0;
      $('campaign-list-status').textContent = tbody.children.length ? tbody.children.length + ' shown' + (data.next_cursor ? ', more available' : '') : '';
      loadConfigs().then(refreshConfigRefs, function (e) { showError('Could not load configurations', e); });
    }, function (e) {
      if (mySeq !== campaignsList.seq) return;
      more.disabled = false;
      $('campaign-list-status').textContent = 'Failed to load.';
      showError('Could not load campaigns', e);
    });
  }

  function campaignRow(c) {
    var href = '#/campaigns/' + enc(c.id);
    var tr = el('tr', { dataset: { campaignId: c.id, href: href } },
      el('td', null, el('a', { href: href, text: c.name, class: 'rowlink' })),
      el('td', { text: c.external_id === null || c.external_id === undefined ? '—' : c.external_id }),
      el('td', null, badge(c.status)),
      el('td', { class: 'num', text: c.priority }),
      el('td', null, configRef(c.configuration_id)),
      el('td', null, timeEl(c.created_at))
    );
    return tr;
  }

  /** Clicking anywhere on a row with data-href follows it (links inside keep working). */
  function onRowClick(ev) {
    if (ev.defaultPrevented || ev.button !== 0) return;
    var target = ev.target;
    if (target.closest('a, button, input, select, label')) return;
    var tr = target.closest('tr[data-href]');
    if (!tr) return;
    var sel = window.getSelection ? String(window.getSelection()) : '';
    if (sel) return; // the user is selecting text
    navigate(tr.dataset.href);
  }

  function fillConfigSelect(seq) {
    var select = $('campaign-create-config');
    var previous = select.value;
    if (!select.options.length) select.appendChild(el('option', { value: '', text: 'Loading…' }));
    return loadConfigs().then(function (list) {
      if (!isCurrent(seq)) return;
      clear(select);
      if (list.length !== 1) select.appendChild(el('option', { value: '', text: list.length ? '— choose a configuration —' : '— none —' }));
      list.forEach(function (c) {
        select.appendChild(el('option', { value: c.id, text: c.name + ' (' + c.default_timezone + ')' }));
      });
      if (previous && configById(previous)) select.value = previous;
      $('campaign-create-config-hint').hidden = list.length > 0;
    }, function (e) {
      if (!isCurrent(seq)) return;
      clear(select);
      select.appendChild(el('option', { value: '', text: '(could not load configurations)' }));
      showError('Could not load configurations', e);
    });
  }

  /** Integer from a number input: undefined when empty, NaN when not a whole number. */
  function intValue(input) {
    if (input.validity && input.validity.badInput) return NaN;
    var v = input.value.trim();
    if (v === '') return undefined;
    if (!/^-?\d+$/.test(v)) return NaN;
    return parseInt(v, 10);
  }

  function onCampaignCreate(ev) {
    ev.preventDefault();
    hideError();
    var body = {
      name: $('campaign-create-name').value.trim(),
      configuration_id: $('campaign-create-config').value
    };
    if (!body.configuration_id) delete body.configuration_id;
    var ext = $('campaign-create-external-id').value;
    if (ext.trim() !== '') body.external_id = ext.trim();
    var prio = intValue($('campaign-create-priority'));
    if (prio !== undefined && isNaN(prio)) {
      showError('Could not create the campaign', new Error('priority must be a whole number between 0 and 100'));
      return;
    }
    if (prio !== undefined) body.priority = prio;
    var btn = $('campaign-create-submit');
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

  // ------------------------------------------------------------------ campaign detail
  var detail = {
    routeId: null,   // id or external_id as it appears in the URL
    campaign: null,  // last campaign object
    statsTimer: null,
    statsSeq: 0,
    contactsOffset: 0,
    contactsSeq: 0,
    contactsTotal: 0
  };

  function campaignPath() {
    var id = detail.campaign ? detail.campaign.id : detail.routeId;
    return '/campaign/campaigns/' + enc(id);
  }

  function showCampaign(seq, id) {
    showView('view-campaign');
    var same = detail.routeId === id;
    detail.routeId = id;
    if (!same || !detail.campaign) {
      detail.campaign = null;
      detail.contactsOffset = 0;
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
      loadStats();
      loadContacts();
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
    var cfg = $('campaign-config');
    clear(cfg);
    cfg.appendChild(configRef(c.configuration_id));
    var created = $('campaign-created');
    clear(created);
    created.appendChild(timeEl(c.created_at));
    var updated = $('campaign-updated');
    clear(updated);
    updated.appendChild(timeEl(c.updated_at));
    var closed = c.status === 'closed';
    $('upload-closed').hidden = !closed;
    $('upload-body').hidden = closed;
    updateStatsNote();
  }

  function renderLifecycleButtons(status) {
    $('btn-start').hidden = status !== 'paused';
    $('btn-pause').hidden = status !== 'active';
    $('btn-close').hidden = status === 'closed';
    $('campaign-closed-note').hidden = status !== 'closed';
  }

  function lifecycle(action) {
    if (!detail.campaign) return;
    var seq = state.routeSeq;
    var buttons = ['btn-start', 'btn-pause', 'btn-close'].map($);
    buttons.forEach(function (b) { b.disabled = true; });
    hideError();
    api('POST', campaignPath() + '/' + action).then(function (c) {
      if (!isCurrent(seq)) return;
      renderCampaign(c);
      var done = { start: 'started', pause: 'paused', close: 'closed' }[action];
      showNotice('Campaign ' + done + '.');
      loadStats();
    }, function (e) {
      if (!isCurrent(seq)) return;
      showError('Could not ' + action + ' the campaign', e);
      refreshCampaign(seq);
    }).then(function () {
      buttons.forEach(function (b) { b.disabled = false; });
    });
  }

  function refreshCampaign(seq) {
    return api('GET', campaignPath()).then(function (c) {
      if (isCurrent(seq)) renderCampaign(c);
    }, function (e) {
      if (isCurrent(seq)) showError('Could not reload the campaign', e);
    });
  }

  // ------------------------------------------------------------------ stats
  var STAT_IDS = ['stats-total', 'stats-pending', 'stats-in-progress', 'stats-completed', 'stats-exhausted',
    'stats-attempts-total', 'stats-attempts-avg', 'stats-active-calls', 'stats-concurrency-limit'];

  function resetStats() {
    STAT_IDS.forEach(function (id) { $(id).textContent = '–'; });
    $('stats-updated').textContent = '';
    ['stats-bar-completed', 'stats-bar-exhausted', 'stats-bar-in-progress'].forEach(function (id) { $(id).style.width = '0'; });
  }

  function stopStatsPolling() {
    clearTimeout(detail.statsTimer);
    detail.statsTimer = null;
    detail.statsSeq++;
  }

  function pollingWanted() {
    return state.view === 'view-campaign' && !!detail.campaign && detail.campaign.status === 'active' &&
      document.visibilityState === 'visible' && !!state.credential;
  }

  function scheduleStats() {
    clearTimeout(detail.statsTimer);
    detail.statsTimer = null;
    if (pollingWanted()) detail.statsTimer = setTimeout(loadStats, STATS_INTERVAL_MS);
  }

  function updateStatsNote() {
    var c = detail.campaign;
    var note = $('stats-note');
    if (!c) { note.textContent = ''; return; }
    if (c.status === 'active') note.textContent = 'Refreshed every 5 seconds while the campaign is active and this tab is visible.';
    else note.textContent = 'Automatic refresh is off while the campaign is ' + c.status + '.';
  }

  function loadStats() {
    if (!detail.campaign) return;
    clearTimeout(detail.statsTimer);
    detail.statsTimer = null;
    var mySeq = ++detail.statsSeq;
    var routeSeq = state.routeSeq;
    api('GET', campaignPath() + '/stats').then(function (st) {
      if (mySeq !== detail.statsSeq || !isCurrent(routeSeq)) return;
      renderStats(st);
      if (st.status && detail.campaign && st.status !== detail.campaign.status) {
        // Changed elsewhere (another tab, the API): show it now, then reload the campaign.
        detail.campaign.status = st.status;
        setBadge($('campaign-status'), st.status);
        renderLifecycleButtons(st.status);
        updateStatsNote();
        refreshCampaign(routeSeq);
      }
      scheduleStats();
    }, function (e) {
      if (mySeq !== detail.statsSeq || !isCurrent(routeSeq)) return;
      $('stats-updated').textContent = 'Refresh failed at ' + new Date().toLocaleTimeString();
      showError('Could not load the statistics', e);
      scheduleStats();
    });
  }

  function renderStats(st) {
    var c = st.contacts || {};
    var a = st.attempts || {};
    $('stats-total').textContent = fmtNumber(c.total);
    $('stats-pending').textContent = fmtNumber(c.pending);
    $('stats-in-progress').textContent = fmtNumber(c.in_progress);
    $('stats-completed').textContent = fmtNumber(c.completed);
    $('stats-exhausted').textContent = fmtNumber(c.exhausted);
    $('stats-attempts-total').textContent = fmtNumber(a.total);
    $('stats-attempts-avg').textContent = typeof a.average_per_contact === 'number' ? a.average_per_contact.toFixed(2) : '—';
    $('stats-active-calls').textContent = fmtNumber(st.active_calls);
    $('stats-concurrency-limit').textContent = fmtNumber(st.concurrency_limit);
    var total = c.total || 0;
    function pct(n) { return total > 0 ? Math.max(0, Math.min(100, (n || 0) * 100 / total)) + '%' : '0'; }
    $('stats-bar-completed').style.width = pct(c.completed);
    $('stats-bar-exhausted').style.width = pct(c.exhausted);
    $('stats-bar-in-progress').style.width = pct(c.in_progress);
    $('stats-updated').textContent = 'Updated ' + new Date().toLocaleTimeString();
  }

  function onVisibilityChange() {
    if (document.visibilityState === 'visible') {
      if (pollingWanted()) loadStats();
    } else {
      clearTimeout(detail.statsTimer);
      detail.statsTimer = null;
    }
  }

  // ------------------------------------------------------------------ contacts of a campaign
  function loadContacts() {
    if (!detail.campaign) return Promise.resolve();
    var mySeq = ++detail.contactsSeq;
    var routeSeq = state.routeSeq;
    var status = $('contacts-status').value;
    var q = { limit: CONTACTS_PAGE, offset: detail.contactsOffset, status: status || undefined };
    $('contacts-prev').disabled = true;
    $('contacts-next').disabled = true;
    $('contacts-range').textContent = 'Loading…';
    return api('GET', campaignPath() + '/contacts', { query: q }).then(function (data) {
      if (mySeq !== detail.contactsSeq || !isCurrent(routeSeq)) return;
      var list = data.contacts || [];
      var tbody = $('contacts-list');
      clear(tbody);
      list.forEach(function (ct) { tbody.appendChild(contactRow(ct)); });
      var offset = typeof data.offset === 'number' ? data.offset : detail.contactsOffset;
      var total = typeof data.total === 'number' ? data.total : list.length;
      detail.contactsTotal = total;
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

  function compactJson(v) {
    try { return JSON.stringify(v); } catch (e) { return String(v); }
  }

  function contactRow(ct) {
    var campaignId = detail.campaign ? detail.campaign.id : detail.routeId;
    var href = '#/campaigns/' + enc(campaignId) + '/contacts/' + enc(ct.id);
    var label = ct.external_id !== null && ct.external_id !== undefined ? ct.external_id : truncate(ct.id, 13);
    var dataText = ct.data && typeof ct.data === 'object' && Object.keys(ct.data).length ? compactJson(ct.data) : '';
    return el('tr', { dataset: { contactId: ct.id, href: href } },
      el('td', null, el('a', { href: href, text: label, class: 'rowlink', title: ct.id })),
      el('td', { class: 'mono', text: (ct.phone_numbers || []).join(', ') }),
      el('td', null, badge(ct.status)),
      el('td', { class: 'num', text: ct.attempt_count }),
      el('td', null, timeEl(ct.next_attempt_at)),
      el('td', { text: ct.timezone || '—' }),
      el('td', { class: 'mono small', text: dataText ? truncate(dataText, 80) : '—', title: dataText || null })
    );
  }

  // ------------------------------------------------------------------ contact detail
  function showContact(seq, campaignId, contactId) {
    showView('view-contact');
    var back = $('contact-back');
    back.href = '#/campaigns/' + enc(campaignId);
    back.textContent = '← Back to campaign';
    $('contact-title').textContent = 'Loading…';
    $('contact-status').textContent = '';
    $('contact-status').className = 'badge';
    clear($('contact-detail'));
    clear($('contact-data'));
    clear($('contact-attempts'));
    $('contact-data-empty').hidden = true;
    $('contact-attempts-empty').hidden = true;
    api('GET', '/campaign/campaigns/' + enc(campaignId) + '/contacts/' + enc(contactId)).then(function (ct) {
      if (!isCurrent(seq)) return;
      renderContact(ct);
    }, function (e) {
      if (!isCurrent(seq)) return;
      $('contact-title').textContent = 'Contact not available';
      showError('Could not load the contact', e);
    });
    api('GET', '/campaign/campaigns/' + enc(campaignId)).then(function (c) {
      if (!isCurrent(seq)) return;
      back.textContent = '← ' + c.name;
    }, function () {
      // The contact request above reports the same problem (e.g. 404): not repeated here.
    });
  }

  function prop(dl, label, value) {
    dl.appendChild(el('dt', { text: label }));
    var dd = el('dd');
    if (value instanceof Node) dd.appendChild(value);
    else dd.textContent = value === undefined || value === null || value === '' ? '—' : String(value);
    dl.appendChild(dd);
  }

  function renderContact(ct) {
    document.title = 'Contact · campaignd admin';
    $('contact-title').textContent = ct.external_id ? 'Contact ' + ct.external_id : 'Contact';
    setBadge($('contact-status'), ct.status);
    var dl = $('contact-detail');
    clear(dl);
    prop(dl, 'Id', el('code', { text: ct.id }));
    prop(dl, 'External id', ct.external_id);
    prop(dl, 'Campaign', ct.campaign_id ? el('a', { href: '#/campaigns/' + enc(ct.campaign_id), text: ct.campaign_id }) : 'ad-hoc (default)');
    var phones = el('ol', { class: 'plain-list mono' });
    (ct.phone_numbers || []).forEach(function (p) { phones.appendChild(el('li', { text: p })); });
    prop(dl, 'Phone numbers', (ct.phone_numbers || []).length ? phones : null);
    prop(dl, 'Status', ct.status);
    prop(dl, 'Attempts made', ct.attempt_count);
    prop(dl, 'Next attempt', timeEl(ct.next_attempt_at));
    prop(dl, 'Timezone', ct.timezone);
    prop(dl, 'Scheduled at', timeEl(ct.scheduled_at));
    prop(dl, 'Agent id', ct.agent_id);
    prop(dl, 'Agent version', ct.agent_version);
    prop(dl, 'Agent number', ct.agent_number);
    prop(dl, 'Agent config', ct.agent_config === null || ct.agent_config === undefined ? null
      : el('pre', { class: 'json', text: JSON.stringify(ct.agent_config, null, 2) }));
    prop(dl, 'Initial context', ct.initial_context === null || ct.initial_context === undefined ? null
      : el('div', { class: 'prewrap', text: ct.initial_context }));
    prop(dl, 'Created', timeEl(ct.created_at));
    prop(dl, 'Updated', timeEl(ct.updated_at));

    var dataBody = $('contact-data');
    clear(dataBody);
    var data = ct.data && typeof ct.data === 'object' ? ct.data : {};
    var keys = Object.keys(data);
    keys.forEach(function (k) {
      var v = data[k];
      dataBody.appendChild(el('tr', null,
        el('td', { class: 'mono', text: k }),
        el('td', { class: typeof v === 'string' ? 'prewrap' : 'mono', text: typeof v === 'string' ? v : compactJson(v) })));
    });
    $('contact-data-empty').hidden = keys.length > 0;

    var attBody = $('contact-attempts');
    clear(attBody);
    var attempts = ct.attempts || [];
    attempts.forEach(function (a, i) {
      attBody.appendChild(el('tr', { dataset: { attemptId: a.id || '' } },
        el('td', { class: 'num', text: i + 1 }),
        el('td', null, timeEl(a.started_at)),
        el('td', null, timeEl(a.ended_at)),
        el('td', { class: 'mono', text: a.phone_number || '—' }),
        el('td', null, badge(a.status || 'unknown')),
        el('td', null, a.outcome ? badge(a.outcome, 'badge-outcome') : document.createTextNode('—')),
        el('td', { class: 'mono small', text: a.conversation_id || '—' })));
    });
    $('contact-attempts-empty').hidden = attempts.length > 0;
  }

  // ------------------------------------------------------------------ CSV upload
  var upload = { file: null, busy: false, xhr: null };

  function resetUpload() {
    if (upload.xhr) { try { upload.xhr.abort(); } catch (e) { /* ignore */ } }
    upload.file = null;
    upload.busy = false;
    upload.xhr = null;
    var input = $('upload-file');
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
    setUploadBusy(false);
  }

  function setUploadBusy(busy) {
    upload.busy = busy;
    $('upload-file').disabled = busy;
    ['upload-import', 'upload-recheck', 'upload-reset', 'upload-skip-invalid'].forEach(function (id) { $(id).disabled = busy; });
    $('upload-dropzone').classList.toggle('busy', busy);
  }

  function selectFile(file) {
    if (!file || upload.busy) return;
    if (!detail.campaign || detail.campaign.status === 'closed') return;
    resetUploadResults();
    upload.file = file;
    $('upload-file-name').textContent = 'Selected: ' + file.name + ' (' + fmtBytes(file.size) + ')';
    if (file.size > MAX_CSV_BYTES) {
      showUploadMessage('upload-dryrun-result', 'error', 'The file is ' + fmtBytes(file.size) + ': the server accepts at most 10 MiB per import. Split the file.');
      $('upload-actions').hidden = false;
      $('upload-import').hidden = true;
      return;
    }
    if (file.size === 0) {
      showUploadMessage('upload-dryrun-result', 'error', 'The file is empty.');
      $('upload-actions').hidden = false;
      $('upload-import').hidden = true;
      return;
    }
    runDryRun();
  }

  function resetUploadResults() {
    $('upload-dryrun-result').hidden = true;
    clear($('upload-dryrun-result'));
    $('upload-result').hidden = true;
    clear($('upload-result'));
    $('upload-actions').hidden = true;
    $('upload-import').hidden = false;
  }

  function showUploadMessage(boxId, kind, text, lines, moreCount) {
    var box = $(boxId);
    clear(box);
    box.className = 'upload-result ' + (kind === 'error' ? 'is-error' : kind === 'ok' ? 'is-ok' : '');
    box.appendChild(el('p', { class: 'upload-headline', text: text }));
    if (lines && lines.length) {
      var ul = el('ul', { class: 'error-lines', id: boxId === 'upload-result' ? 'upload-res-errors' : 'upload-dry-errors' });
      lines.forEach(function (l) { ul.appendChild(el('li', { text: l })); });
      box.appendChild(ul);
      if (moreCount > 0) box.appendChild(el('p', { class: 'muted small', text: '… and ' + moreCount.toLocaleString() + ' more.' }));
    }
    box.hidden = false;
  }

  /** POST the file as-is with XHR (for upload progress). Resolves {status, data, statusText}. */
  function sendCsv(dryRun) {
    var skip = $('upload-skip-invalid').checked;
    var url = buildUrl(campaignPath() + '/contacts/import', {
      dry_run: dryRun ? 'true' : undefined,
      skip_invalid: skip ? 'true' : undefined
    });
    var credential = state.credential;
    return new Promise(function (resolve, reject) {
      var xhr = new XMLHttpRequest();
      upload.xhr = xhr;
      xhr.open('POST', url, true);
      var headers = authHeaders(credential, state.org);
      Object.keys(headers).forEach(function (k) { xhr.setRequestHeader(k, headers[k]); });
      xhr.setRequestHeader('Content-Type', 'text/csv');
      var bar = $('upload-progress');
      var label = $('upload-progress-text');
      $('upload-progress-box').hidden = false;
      bar.value = 0;
      bar.max = 100;
      label.textContent = (dryRun ? 'Checking' : 'Importing') + ': uploading…';
      xhr.upload.onprogress = function (e) {
        if (e.lengthComputable && e.total > 0) {
          var p = Math.round(e.loaded * 100 / e.total);
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
        var data = parseJsonText(xhr.responseText);
        resolve({ status: xhr.status, statusText: xhr.statusText, data: data, credential: credential });
      };
      xhr.onerror = function () { upload.xhr = null; reject(networkError(null)); };
      xhr.ontimeout = function () { upload.xhr = null; reject(new ApiError(0, null, 'The upload timed out.')); };
      xhr.onabort = function () { upload.xhr = null; reject(new ApiError(0, null, 'The upload was cancelled.')); };
      xhr.send(upload.file);
    });
  }

  function csvErrorLines(errors) {
    return (errors || []).map(function (e) {
      var where = 'line ' + e.line + (e.column ? ', ' + e.column : '');
      return where + ': ' + e.msg;
    });
  }

  function uploadFailure(boxId, res, what) {
    var err = makeError(res.status, res.statusText, res.data, true);
    if (res.status === 401) {
      authLost(err, res.credential);
      return;
    }
    var lines = detailLines(err.detail, true);
    if (!lines.length) lines = [err.message];
    var shown = lines.slice(0, 200);
    var headline = what + ' (HTTP ' + res.status + ')' + (res.status === 422 && boxId === 'upload-result' ? '; nothing was written:' : ':');
    showUploadMessage(boxId, 'error', headline, shown, lines.length - shown.length);
  }

  function countItem(label, value, id) {
    return el('div', { class: 'count' }, el('span', { class: 'count-label', text: label }),
      el('span', { class: 'count-value', id: id, text: fmtNumber(value) }));
  }

  function runDryRun() {
    if (!upload.file || upload.busy) return;
    var seq = state.routeSeq;
    resetUploadResults();
    setUploadBusy(true);
    sendCsv(true).then(function (res) {
      if (!isCurrent(seq)) return;
      $('upload-actions').hidden = false;
      if (res.status !== 200 || !res.data || typeof res.data !== 'object') {
        uploadFailure('upload-dryrun-result', res, 'The file was refused');
        $('upload-import').hidden = true;
        return;
      }
      renderDryRun(res.data);
    }, function (e) {
      if (!isCurrent(seq)) return;
      showUploadMessage('upload-dryrun-result', 'error', e.message);
      $('upload-actions').hidden = false;
      $('upload-import').hidden = true;
    }).catch(function (e) {
      showError('Could not show the check result', e);
    }).then(function () {
      $('upload-progress-box').hidden = true;
      setUploadBusy(false);
    });
  }

  function renderDryRun(r) {
    var box = $('upload-dryrun-result');
    clear(box);
    var errCount = r.error_count || 0;
    box.className = 'upload-result ' + (errCount ? 'is-warn' : 'is-ok');
    box.appendChild(el('p', { class: 'upload-headline', text: 'Check of ' + upload.file.name + ' (dry run, nothing written yet):' }));
    box.appendChild(el('div', { class: 'counts' },
      countItem('would insert', r.inserted, 'upload-dry-inserted'),
      countItem('would update', r.updated, 'upload-dry-updated'),
      countItem('skipped', r.skipped, 'upload-dry-skipped'),
      countItem('errors', errCount, 'upload-dry-error-count')));

    var columns = r.columns && typeof r.columns === 'object' ? r.columns : {};
    var headers = Object.keys(columns);
    if (headers.length) {
      box.appendChild(el('h3', { text: 'Column mapping' }));
      var tbody = el('tbody', { id: 'upload-dry-columns' });
      headers.forEach(function (h) {
        var field = String(columns[h]);
        tbody.appendChild(el('tr', null, el('td', { class: 'mono', text: h }), el('td', null,
          el('span', { class: 'mapping' + (field.indexOf('data.') === 0 ? ' mapping-data' : ''), text: field }))));
      });
      box.appendChild(el('div', { class: 'table-wrap' }, el('table', { class: 'table compact' },
        el('thead', null, el('tr', null, el('th', { text: 'CSV header' }), el('th', { text: 'Goes to' }))), tbody)));
    }

    if (errCount) {
      var lines = csvErrorLines(r.errors);
      var shown = lines.slice(0, 100);
      box.appendChild(el('h3', { text: 'Problems' + (errCount > shown.length ? ' (first ' + shown.length + ' of ' + errCount.toLocaleString() + ')' : '') }));
      var ul = el('ul', { class: 'error-lines', id: 'upload-dry-errors' });
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
    var seq = state.routeSeq;
    $('upload-result').hidden = true;
    clear($('upload-result'));
    setUploadBusy(true);
    sendCsv(false).then(function (res) {
      if (!isCurrent(seq)) return;
      if (res.status !== 200 || !res.data || typeof res.data !== 'object') {
        uploadFailure('upload-result', res, 'Import refused');
        return;
      }
      var r = res.data;
      var box = $('upload-result');
      clear(box);
      var errCount = r.error_count || 0;
      box.className = 'upload-result ' + (errCount ? 'is-warn' : 'is-ok');
      box.appendChild(el('p', { class: 'upload-headline', text: 'Imported ' + upload.file.name + '.' }));
      box.appendChild(el('div', { class: 'counts' },
        countItem('inserted', r.inserted, 'upload-res-inserted'),
        countItem('updated', r.updated, 'upload-res-updated'),
        countItem('skipped', r.skipped, 'upload-res-skipped'),
        countItem('errors', errCount, 'upload-res-error-count')));
      if (errCount) {
        var lines = csvErrorLines(r.errors).slice(0, 100);
        box.appendChild(el('h3', { text: 'Skipped rows' + (errCount > lines.length ? ' (first ' + lines.length + ' of ' + errCount.toLocaleString() + ')' : '') }));
        var ul = el('ul', { class: 'error-lines', id: 'upload-res-errors' });
        lines.forEach(function (l) { ul.appendChild(el('li', { text: l })); });
        box.appendChild(ul);
      }
      box.hidden = false;
      $('upload-import').hidden = true; // imported: choose another file or "check again"
      $('upload-dryrun-result').hidden = true; // the check's "would …" figures are superseded
      showNotice('Import done: ' + (r.inserted || 0) + ' inserted, ' + (r.updated || 0) + ' updated, ' + (r.skipped || 0) + ' skipped.');
      loadStats();
      detail.contactsOffset = 0;
      loadContacts();
    }, function (e) {
      if (!isCurrent(seq)) return;
      showUploadMessage('upload-result', 'error', 'Import failed: ' + e.message);
    }).catch(function (e) {
      showError('Could not show the import result', e);
    }).then(function () {
      $('upload-progress-box').hidden = true;
      setUploadBusy(false);
    });
  }

  function hasFiles(ev) {
    var dt = ev.dataTransfer;
    if (!dt || !dt.types) return false;
    return Array.prototype.indexOf.call(dt.types, 'Files') >= 0;
  }

  function wireUpload() {
    var zone = $('upload-dropzone');
    $('upload-file').addEventListener('change', function (ev) {
      var f = ev.target.files && ev.target.files[0];
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
      var files = ev.dataTransfer && ev.dataTransfer.files;
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

  // ------------------------------------------------------------------ configurations: list
  var configsList = { cursor: null, seq: 0 };
  var editors = {};

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

  function showConfigurations(seq) {
    showView('view-configurations');
    document.title = 'Configurations · campaignd admin';
    ensureEditor('config-create');
    loadConfigList(true);
    loadTimezones().catch(function (e) { if (isCurrent(seq)) showError('Could not load the timezone list', e); });
  }

  function loadConfigList(reset) {
    var mySeq = ++configsList.seq;
    var q = { limit: CONFIG_PAGE };
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

  // ------------------------------------------------------------------ configurations: editor
  var rowCounter = 0;

  function newWindow() { return { days: ['mon', 'tue', 'wed', 'thu', 'fri'], start: '09:00', end: '17:00' }; }

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
  function createConfigEditor(prefix, mode) {
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

  // ------------------------------------------------------------------ configurations: view / edit
  var currentConfigId = null;

  function showConfiguration(seq, id) {
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
    var seq = state.routeSeq;
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

  var deleteArmTimer = null;

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
    var seq = state.routeSeq;
    var name = $('config-title').textContent;
    api('DELETE', '/campaign/configurations/' + enc(currentConfigId)).then(function () {
      invalidateConfigs();
      state.pendingNotice = 'Configuration “' + name + '” deleted.';
      if (isCurrent(seq)) navigate('#/configurations');
    }, function (e) {
      if (isCurrent(seq)) showError('Could not delete the configuration', e);
    }).then(function () {
      if (isCurrent(seq)) disarmDelete();
    });
  }

  // ------------------------------------------------------------------ wiring
  function init() {
    loadSession();

    $('signin-form').addEventListener('submit', onSigninSubmit);
    $('signin-credential').addEventListener('input', updateOrgField);
    $('signout').addEventListener('click', onSignout);
    $('error-banner-close').addEventListener('click', hideError);
    $('notice-close').addEventListener('click', hideNotice);

    var reloadCampaigns = function () { loadCampaigns(true); };
    $('campaign-search').addEventListener('input', debounce(reloadCampaigns, 300));
    ['active', 'paused', 'closed'].forEach(function (s) {
      $('campaign-filter-' + s).addEventListener('change', reloadCampaigns);
    });
    $('campaign-more').addEventListener('click', function () { loadCampaigns(false); });
    $('campaign-create-form').addEventListener('submit', onCampaignCreate);
    $('campaign-list').addEventListener('click', onRowClick);

    $('btn-start').addEventListener('click', function () { lifecycle('start'); });
    $('btn-pause').addEventListener('click', function () { lifecycle('pause'); });
    $('btn-close').addEventListener('click', function () { lifecycle('close'); });
    $('stats-refresh').addEventListener('click', function () { loadStats(); });
    document.addEventListener('visibilitychange', onVisibilityChange);

    $('contacts-status').addEventListener('change', function () {
      detail.contactsOffset = 0;
      loadContacts();
    });
    $('contacts-prev').addEventListener('click', function () {
      detail.contactsOffset = Math.max(0, detail.contactsOffset - CONTACTS_PAGE);
      loadContacts();
    });
    $('contacts-next').addEventListener('click', function () {
      detail.contactsOffset += CONTACTS_PAGE;
      loadContacts();
    });
    $('contacts-list').addEventListener('click', onRowClick);

    wireUpload();

    $('config-list').addEventListener('click', onRowClick);
    $('config-more').addEventListener('click', function () { loadConfigList(false); });
    $('config-delete').addEventListener('click', onConfigDelete);

    window.addEventListener('hashchange', render);
    render();
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
  else init();
})();
