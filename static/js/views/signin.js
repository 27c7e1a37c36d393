// The sign-in view: the pasted credential is checked with one API call before it is kept.

import { api } from '../api.js';
import { $ } from '../dom.js';
import { navigate, parseHash, render, showView } from '../router.js';
import { saveSession } from '../session.js';

export function showSignin() {
  showView('view-signin');
  updateOrgField();
  $('signin-credential').focus();
}

export function showSigninError(text) {
  const box = $('signin-error');
  box.textContent = text;
  box.hidden = !text;
}

/** An ak_ key carries its organisation; a pat_ token needs it. */
function updateOrgField() {
  const cred = $('signin-credential').value.trim();
  $('signin-org-field').hidden = cred.slice(0, 3) === 'ak_';
}

function onSubmit(ev) {
  ev.preventDefault();
  const cred = $('signin-credential').value.trim();
  const org = $('signin-org-field').hidden ? '' : $('signin-org').value.trim();
  if (!cred) {
    showSigninError('Paste a credential (ak_… or pat_…).');
    return;
  }
  showSigninError('');
  const btn = $('signin-submit');
  btn.disabled = true;
  btn.textContent = 'Checking…';
  api('GET', '/campaign/campaigns', { query: { limit: 1 }, credential: cred, org: org, signin: true })
    .then(function () {
      saveSession(cred, org);
      $('signin-credential').value = '';
      showSigninError('');
      const parts = parseHash();
      if (parts.length === 0 || parts[0] === 'signin') navigate('#/campaigns');
      else render();
    }, function (err) {
      let text;
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

export function resetSignin() {
  showSigninError('');
  $('signin-org').value = '';
}

export function wireSignin() {
  $('signin-form').addEventListener('submit', onSubmit);
  $('signin-credential').addEventListener('input', updateOrgField);
}
