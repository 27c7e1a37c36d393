// Data several views share and that rarely changes: the configurations (for names and the
// campaign form) and the timezone list (for the timezone inputs' suggestions).

import { api } from './api.js';
import { $, clear, el, enc, truncate } from './dom.js';

const cache = { configs: null, configsPromise: null, timezones: null, timezonesPromise: null };

export function loadConfigs(force) {
  if (!force && cache.configs) return Promise.resolve(cache.configs);
  if (!force && cache.configsPromise) return cache.configsPromise;
  let all = [];
  let pages = 0;
  function page(cursor) {
    return api('GET', '/campaign/configurations', { query: { limit: 200, cursor: cursor } }).then(function (data) {
      all = all.concat(data.configurations || []);
      pages++;
      if (data.next_cursor && pages < 50) return page(data.next_cursor);
      return all;
    });
  }
  const p = page(undefined).then(function (list) {
    if (cache.configsPromise === p) { cache.configs = list; cache.configsPromise = null; }
    return list;
  }, function (e) {
    if (cache.configsPromise === p) cache.configsPromise = null;
    throw e;
  });
  cache.configsPromise = p;
  return p;
}

export function invalidateConfigs() {
  cache.configs = null;
  cache.configsPromise = null;
}

export function configById(id) {
  if (!cache.configs) return null;
  return cache.configs.find(function (c) { return c.id === id; }) || null;
}

/** Fill every [data-config-ref] element with the configuration's name. */
export function refreshConfigRefs() {
  document.querySelectorAll('[data-config-ref]').forEach(function (node) {
    const c = configById(node.dataset.configRef);
    if (c) node.textContent = c.name;
  });
}

export function configRef(id) {
  if (!id) return document.createTextNode('—');
  const c = configById(id);
  return el('a', { href: '#/configurations/' + enc(id), text: c ? c.name : truncate(id, 13), dataset: { configRef: id } });
}

export function loadTimezones() {
  if (cache.timezones) return Promise.resolve(cache.timezones);
  if (cache.timezonesPromise) return cache.timezonesPromise;
  cache.timezonesPromise = api('GET', '/campaign/timezones').then(function (list) {
    cache.timezones = Array.isArray(list) ? list : [];
    cache.timezonesPromise = null;
    const dl = $('tz-list');
    clear(dl);
    const frag = document.createDocumentFragment();
    cache.timezones.forEach(function (name) { frag.appendChild(el('option', { value: String(name) })); });
    dl.appendChild(frag);
    return cache.timezones;
  }, function (e) {
    cache.timezonesPromise = null;
    throw e;
  });
  return cache.timezonesPromise;
}
