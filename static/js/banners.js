// The error banner and the notice under the top bar.

import { ApiError } from './api.js';
import { $ } from './dom.js';

const MAX_ERROR_LINES = 50;
let noticeTimer = null;

export function showError(context, err) {
  if (err && err.authLost) return;
  let text;
  if (err instanceof ApiError) {
    let lines = err.message.split('\n');
    let extra = '';
    if (lines.length > MAX_ERROR_LINES) {
      extra = '\n… and ' + (lines.length - MAX_ERROR_LINES) + ' more.';
      lines = lines.slice(0, MAX_ERROR_LINES);
    }
    const code = err.status ? ' (HTTP ' + err.status + ')' : '';
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

export function hideError() {
  $('error-banner').hidden = true;
  $('error-banner-text').textContent = '';
}

export function showNotice(text) {
  $('notice-text').textContent = text;
  $('notice').hidden = false;
  clearTimeout(noticeTimer);
  noticeTimer = setTimeout(hideNotice, 8000);
}

export function hideNotice() {
  clearTimeout(noticeTimer);
  $('notice').hidden = true;
}
