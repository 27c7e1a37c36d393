// A contact's call attempts as a table: number, phone number, outcome, start, duration (and, in
// the contact's own view, the end and the conversation id). Used by the contacts list's
// expandable rows and by the contact view.

import { badge, el, fmtDuration, timeEl } from './dom.js';

function outcomeCell(a) {
  if (a.outcome) return badge(a.outcome, 'badge-outcome');
  if (a.status === 'in_progress') return el('span', { class: 'badge badge-in_progress', text: 'in progress' });
  return document.createTextNode(a.status ? String(a.status) : '—');
}

function durationText(a) {
  if (!a.ended_at) return a.status === 'in_progress' ? 'in progress' : '—';
  return fmtDuration(a.started_at, a.ended_at) || '—';
}

/** One <tr data-attempt-id> per attempt, oldest first (the API's order). */
export function attemptRows(attempts, detailed) {
  return (attempts || []).map(function (a, i) {
    const cells = [
      el('td', { class: 'num att-n', text: i + 1 }),
      el('td', { class: 'mono att-phone', text: a.phone_number || '—' }),
      el('td', { class: 'att-outcome' }, outcomeCell(a)),
      el('td', { class: 'att-started' }, timeEl(a.started_at)),
      el('td', { class: 'num att-duration', text: durationText(a) })
    ];
    if (detailed) {
      cells.push(el('td', { class: 'att-ended' }, timeEl(a.ended_at)));
      cells.push(el('td', { class: 'mono small att-conversation', text: a.conversation_id || '—' }));
    }
    return el('tr', { dataset: { attemptId: a.id || '' } }, ...cells);
  });
}

/** Header cells matching attemptRows. */
export function attemptHeads(detailed) {
  const names = ['#', 'Phone number', 'Outcome', 'Started', 'Duration'];
  if (detailed) names.push('Ended', 'Conversation');
  return names.map(function (n, i) {
    return el('th', { class: i === 0 || n === 'Duration' ? 'num' : null, text: n });
  });
}

/** A compact table of `attempts`, or a line saying there are none. */
export function attemptsTable(attempts) {
  if (!attempts || !attempts.length) return el('p', { class: 'muted small', text: 'No attempts yet.' });
  return el('table', { class: 'table compact attempts' },
    el('thead', null, el('tr', null, ...attemptHeads(false))),
    el('tbody', null, ...attemptRows(attempts, false)));
}
