// The contact view: its fields, its data and all its attempts. While its campaign is active
// (ad-hoc contacts: always) and the tab visible, it refreshes every couple of seconds, as the
// campaign view does, so a call's end shows without a click.

import { api } from '../api.js';
import { showError } from '../banners.js';
import { $, clear, compactJson, el, enc, setBadge, timeEl } from '../dom.js';
import { attemptRows } from '../attempts.js';
import { isCurrent, showView } from '../router.js';
import { session } from '../session.js';

const REFRESH_MS = 2000;
let timer = null;

export function showContact(seq, campaignId, contactId) {
  showView('view-contact');
  const back = $('contact-back');
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
  clearTimeout(timer);
  load(seq, campaignId, contactId, true);
}

/**
 * Loads the contact and its campaign; while the campaign is active, again after REFRESH_MS.
 * `first`: the view was just opened (a failure is shown; later ones only stop the refresh).
 */
function load(seq, campaignId, contactId, first) {
  timer = null;
  const adHoc = campaignId === 'default';
  const contact = api('GET', '/campaign/campaigns/' + enc(campaignId) + '/contacts/' + enc(contactId)).then(function (ct) {
    if (isCurrent(seq)) renderContact(ct);
    return true;
  }, function (e) {
    if (!isCurrent(seq)) return false;
    if (first) {
      $('contact-title').textContent = 'Contact not available';
      showError('Could not load the contact', e);
    } else {
      showError('Could not refresh the contact', e);
    }
    return false;
  });
  const campaign = adHoc ? Promise.resolve(true) : api('GET', '/campaign/campaigns/' + enc(campaignId)).then(function (c) {
    if (isCurrent(seq)) $('contact-back').textContent = '← ' + c.name;
    return c.status === 'active';
  }, function () {
    // The contact request above reports the same problem (e.g. 404): not repeated here.
    return false;
  });
  Promise.all([contact, campaign]).then(function (ok) {
    if (!isCurrent(seq) || !ok[0] || !ok[1] || !session.credential) return;
    timer = setTimeout(function again() {
      if (!isCurrent(seq)) return;
      // A hidden tab waits until it is shown again.
      if (document.visibilityState !== 'visible') { timer = setTimeout(again, REFRESH_MS); return; }
      load(seq, campaignId, contactId, false);
    }, REFRESH_MS);
  });
}

function prop(dl, label, value) {
  dl.appendChild(el('dt', { text: label }));
  const dd = el('dd');
  if (value instanceof Node) dd.appendChild(value);
  else dd.textContent = value === undefined || value === null || value === '' ? '—' : String(value);
  dl.appendChild(dd);
}

function renderContact(ct) {
  document.title = 'Contact · campaignd admin';
  $('contact-title').textContent = ct.external_id ? 'Contact ' + ct.external_id : 'Contact';
  setBadge($('contact-status'), ct.status);
  const dl = $('contact-detail');
  clear(dl);
  prop(dl, 'Id', el('code', { text: ct.id }));
  prop(dl, 'External id', ct.external_id);
  prop(dl, 'Campaign', ct.campaign_id ? el('a', { href: '#/campaigns/' + enc(ct.campaign_id), text: ct.campaign_id }) : 'ad-hoc (default)');
  const phones = el('ol', { class: 'plain-list mono' });
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

  const dataBody = $('contact-data');
  clear(dataBody);
  const data = ct.data && typeof ct.data === 'object' ? ct.data : {};
  const keys = Object.keys(data);
  keys.forEach(function (k) {
    const v = data[k];
    dataBody.appendChild(el('tr', null,
      el('td', { class: 'mono', text: k }),
      el('td', { class: typeof v === 'string' ? 'prewrap' : 'mono', text: typeof v === 'string' ? v : compactJson(v) })));
  });
  $('contact-data-empty').hidden = keys.length > 0;

  const attBody = $('contact-attempts');
  clear(attBody);
  const attempts = ct.attempts || [];
  attemptRows(attempts, true).forEach(function (tr) { attBody.appendChild(tr); });
  $('contact-attempts-empty').hidden = attempts.length > 0;
}
