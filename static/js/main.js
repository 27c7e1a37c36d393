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
 * The controls have stable ids (each also its data-testid), written in index.html or by the
 * view that builds them; the browser tests (tests/it/admin_page.rs) find them there.
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
