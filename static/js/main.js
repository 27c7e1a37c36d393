/*
 * campaignd admin page — plain JavaScript modules, no framework, no build step.
 *
 * Served at /admin/ under `Content-Security-Policy: default-src 'self'`: no inline scripts, no
 * inline handlers, no eval, nothing from other hosts. Every value that comes from the API is
 * inserted as text (textContent / createElement), never as HTML. The credential lives in memory
 * and in sessionStorage only (never localStorage, never a cookie).
 *
 * Modules:
 *   main.js              this file: start-up, the route table, sign-out
 *   api.js               the API client (fetch, ApiError, error details) and /healthz
 *   session.js           the credential (memory + sessionStorage)
 *   router.js            hash navigation, the current view, the route sequence number
 *   dom.js               DOM and formatting helpers (el, timeEl, fmtDuration …)
 *   banners.js           the error banner and the notice
 *   cache.js             configurations and timezones several views share
 *   dialer.js            the dialer's mode in the top bar
 *   attempts.js          a contact's attempts as a table
 *   charts.js            a campaign's timeline as two SVG charts, and its finish estimate in words
 *   views/signin.js      sign in
 *   views/campaigns.js   campaign list + create form
 *   views/campaign.js    one campaign: lifecycle, statistics, contacts (with attempts), refresh
 *   views/upload.js      the campaign's CSV import card
 *   views/contact.js     one contact with its attempts (refreshed while its campaign is active)
 *   views/configurations.js, views/config-editor.js   configurations: list, create, edit, delete
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
 *                    #signout, #nav-campaigns, #nav-configurations, #session-who,
 *                    #dialer-mode (#dialer-mode-value; hidden when /healthz does not say)
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
 *                    #stats-calls (calls up: #stats-active-calls / #stats-concurrency-limit,
 *                    #stats-calls-bar), #stats-refresh, #stats-updated, #stats-note,
 *                    #dialer-off-note, #estimate (the finish estimate; data-state = the
 *                    timeline's estimate.state)
 *   Timeline:        #chart-range, #chart-attempts (svg; g.chart-bucket per bucket with calls,
 *                    rect.bar-<outcome>), #chart-attempts-legend (li[data-outcome] with .n =
 *                    the outcome's total), #chart-progress (svg), #chart-progress-label
 *                    ("<done> of <total>")
 *   CSV import:      #upload-dropzone, #upload-file (file input), #upload-file-name,
 *                    #upload-progress (progress element), #upload-progress-text,
 *                    #upload-dryrun-result (#upload-dry-inserted, #upload-dry-updated,
 *                    #upload-dry-skipped, #upload-dry-error-count, #upload-dry-columns,
 *                    #upload-dry-errors), #upload-skip-invalid (checkbox), #upload-import,
 *                    #upload-recheck, #upload-reset,
 *                    #upload-result (#upload-res-inserted, #upload-res-updated,
 *                    #upload-res-skipped, #upload-res-error-count, #upload-res-errors)
 *   Contacts:        #contacts-status (select), #contacts-list (tbody; rows tr[data-contact-id];
 *                    a contact with attempts has a toggle button[data-toggle-for=<id>] that shows
 *                    tr.attempts-row[data-attempts-for=<id>] under it, one tr[data-attempt-id]
 *                    per attempt with cells .att-n, .att-phone, .att-outcome, .att-started,
 *                    .att-duration), #contacts-prev, #contacts-next, #contacts-range
 *   Contact detail:  #view-contact, #contact-title, #contact-status, #contact-detail,
 *                    #contact-data, #contact-attempts (tbody; rows tr[data-attempt-id], the same
 *                    cells plus .att-ended, .att-conversation), #contact-back
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

import { onAuthLost } from './api.js';
import { hideError, hideNotice, showNotice } from './banners.js';
import { invalidateConfigs } from './cache.js';
import { loadDialerMode } from './dialer.js';
import { $, truncate } from './dom.js';
import { parseHash, render, route, setRenderer, showView } from './router.js';
import { clearSession, loadSession, session } from './session.js';
import { clearCampaigns, showCampaigns, wireCampaigns } from './views/campaigns.js';
import { clearContacts, showCampaign, stopRefresh, wireCampaign } from './views/campaign.js';
import { clearConfigurations, showConfiguration, showConfigurations, wireConfigurations } from './views/configurations.js';
import { showContact } from './views/contact.js';
import { resetSignin, showSignin, showSigninError, wireSignin } from './views/signin.js';
import { resetUpload } from './views/upload.js';

function updateChrome(parts) {
  const signedIn = !!session.credential;
  $('mainnav').hidden = !signedIn;
  $('session-box').hidden = !signedIn;
  if (signedIn) {
    const who = truncate(session.credential.split('.')[0], 28);
    $('session-who').textContent = session.org ? who + ' · ' + session.org : who;
    $('session-who').title = session.org ? 'Credential ' + who + ', organisation ' + session.org : 'Credential ' + who;
  }
  $('nav-campaigns').classList.toggle('active', signedIn && parts[0] === 'campaigns');
  $('nav-configurations').classList.toggle('active', signedIn && parts[0] === 'configurations');
}

/** Draws the view of the current hash. */
function draw() {
  route.seq++;
  stopRefresh();
  hideError();
  hideNotice();
  if (route.pendingNotice) {
    showNotice(route.pendingNotice);
    route.pendingNotice = null;
  }
  const parts = parseHash();
  updateChrome(parts);
  if (!session.credential) {
    showSignin();
    return;
  }
  const seq = route.seq;
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

function signOut() {
  clearSession();
  invalidateConfigs();
  stopRefresh();
}

function onSignout() {
  signOut();
  resetUpload();
  clearCampaigns();
  clearConfigurations();
  clearContacts();
  hideNotice();
  resetSignin();
  if (location.hash !== '#/campaigns') location.hash = '#/campaigns';
  else render();
}

/** A 401 after sign-in: the credential was revoked, expired or is wrong: back to sign in. */
function onCredentialRefused(err, usedCredential) {
  if (usedCredential !== session.credential) return; // already signed out / another credential
  signOut();
  showSigninError('You were signed out: ' + err.message);
  render();
}

function init() {
  loadSession();
  setRenderer(draw);
  onAuthLost(onCredentialRefused);

  wireSignin();
  $('signout').addEventListener('click', onSignout);
  $('error-banner-close').addEventListener('click', hideError);
  $('notice-close').addEventListener('click', hideNotice);
  wireCampaigns();
  wireCampaign();
  wireConfigurations();

  window.addEventListener('hashchange', render);
  render();
  loadDialerMode();
}

// Module scripts run after the document is parsed.
init();
