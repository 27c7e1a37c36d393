// The pasted credential: in memory, and in this tab's sessionStorage so that a reload keeps it
// (never localStorage, never a cookie: docs/api.md §6.2).

const SS_CREDENTIAL = 'campaignd.admin.credential';
const SS_ORG = 'campaignd.admin.org';

export const session = { credential: null, org: '' };

export function loadSession() {
  try {
    session.credential = sessionStorage.getItem(SS_CREDENTIAL) || null;
    session.org = sessionStorage.getItem(SS_ORG) || '';
  } catch (e) {
    // sessionStorage unavailable: the credential then lives in memory only.
    session.credential = null;
    session.org = '';
  }
}

export function saveSession(credential, org) {
  session.credential = credential;
  session.org = org || '';
  try {
    sessionStorage.setItem(SS_CREDENTIAL, credential);
    if (org) sessionStorage.setItem(SS_ORG, org); else sessionStorage.removeItem(SS_ORG);
  } catch (e) { /* memory only */ }
}

export function clearSession() {
  session.credential = null;
  session.org = '';
  try {
    sessionStorage.removeItem(SS_CREDENTIAL);
    sessionStorage.removeItem(SS_ORG);
  } catch (e) { /* nothing stored */ }
}
