// The dialer's mode (docs/api.md §8.1) as /healthz tells it, shown in the top bar. A server that
// does not say (an older campaignd), or a failed request, shows nothing.

import { dialerMode } from './api.js';
import { $ } from './dom.js';

const HINTS = {
  off: 'The dialer is off: no calls are placed and contacts stay pending. Start campaignd with --dialer simulate, --dialer webhook or --dialer twilio to dial.',
  simulate: 'Calls are simulated: each draws an outcome and a duration, nobody is called.',
  webhook: 'Each call is handed to your telephony through the webhook; results come back on the API.',
  twilio: 'Each call is placed through Twilio (or a compatible API); outcomes come back on its signed status callbacks.'
};

let mode = null;
const listeners = [];

/** The mode once known ("off", "simulate", "webhook" …), else null. */
export function currentDialerMode() { return mode; }

/** `fn(mode)` runs when the mode becomes known. */
export function onDialerMode(fn) { listeners.push(fn); }

export function dialerHint(m) { return HINTS[m] || ''; }

export function loadDialerMode() {
  return dialerMode().then(function (m) {
    mode = m;
    const box = $('dialer-mode');
    if (m) {
      $('dialer-mode-value').textContent = m;
      box.className = 'dialer-mode dialer-' + m.replace(/[^a-z0-9_-]/gi, '');
      box.title = dialerHint(m);
    }
    box.hidden = !m;
    listeners.forEach(function (fn) { fn(m); });
    return m;
  });
}
