// The dashboard shell: hash routing between pages, the navigation bar, and
// the hooks the browser tests read (body data-page and data-ready).
//
// A page module exports mount(container, ctx) with ctx = {params, query,
// signal, ready, setTitle}. `signal` aborts when the user leaves the page:
// pages tie their requests, streams and timers to it. ready() marks that the
// page's first data is on screen.

import { isAbort } from './lib/api.js';
import { el } from './lib/dom.js';
import { errorNotice } from './lib/widgets.js';
import * as dlq from './pages/dlq.js';
import * as execution from './pages/execution.js';
import * as executions from './pages/executions.js';
import * as health from './pages/health.js';
import * as trace from './pages/trace.js';
import * as workflows from './pages/workflows.js';

const DEFAULT_HASH = '#/executions';

const ROUTES = [
  { page: 'executions', nav: 'executions', pattern: /^\/executions\/?$/, module: executions },
  { page: 'execution', nav: 'executions', pattern: /^\/executions\/([^/]+)\/?$/, module: execution },
  { page: 'trace', nav: 'executions', pattern: /^\/traces\/([^/]+)\/?$/, module: trace },
  { page: 'dlq', nav: 'dlq', pattern: /^\/dlq\/?$/, module: dlq },
  { page: 'workflows', nav: 'workflows', pattern: /^\/workflows\/?$/, module: workflows },
  { page: 'health', nav: 'health', pattern: /^\/health\/?$/, module: health },
];

const view = document.getElementById('view');
const appError = document.getElementById('app-error');
let leavePage = null;

function decode(part) {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}

function parseHash() {
  const raw = location.hash.replace(/^#/, '');
  const q = raw.indexOf('?');
  return {
    path: q === -1 ? raw : raw.slice(0, q),
    query: new URLSearchParams(q === -1 ? '' : raw.slice(q + 1)),
  };
}

function markNavigation(navKey) {
  for (const link of document.querySelectorAll('[data-nav]')) {
    if (link.dataset.nav === navKey) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
}

function mountNotFound(container, ctx) {
  ctx.setTitle('Not found');
  container.append(
    el('h1', { class: 'page-title' }, 'Page not found'),
    el('p', {}, 'There is no page at this address. ', el('a', { href: DEFAULT_HASH }, 'Go to the executions'), '.'));
  ctx.ready();
}

function showPage({ moveFocus }) {
  if (!location.hash || location.hash === '#' || location.hash === '#/') {
    history.replaceState(null, '', DEFAULT_HASH);
  }
  leavePage?.abort();
  const controller = new AbortController();
  leavePage = controller;
  const { signal } = controller;

  const { path, query } = parseHash();
  let route = null;
  let match = null;
  for (const candidate of ROUTES) {
    match = candidate.pattern.exec(path);
    if (match) {
      route = candidate;
      break;
    }
  }

  document.body.dataset.ready = 'false';
  document.body.dataset.page = route?.page ?? 'not-found';
  markNavigation(route?.nav ?? null);
  appError.hidden = true;

  const container = el('div', { class: `page page-${route?.page ?? 'not-found'}` });
  view.replaceChildren(container);
  window.scrollTo(0, 0);
  if (moveFocus) view.focus({ preventScroll: true });

  const ctx = {
    params: match ? match.slice(1).map(decode) : [],
    query,
    signal,
    ready: () => {
      if (!signal.aborted) document.body.dataset.ready = 'true';
    },
    setTitle: (title) => {
      document.title = `${title} · weft`;
    },
  };
  const mount = route ? route.module.mount : mountNotFound;
  Promise.resolve()
    .then(() => mount(container, ctx))
    .catch((error) => {
      if (signal.aborted || isAbort(error)) return;
      container.append(errorNotice('This page could not be shown', error));
      ctx.ready();
    });
}

function showUnexpected(message) {
  appError.textContent = `Something went wrong in the dashboard: ${message}. Reloading the page may help.`;
  appError.hidden = false;
}

window.addEventListener('error', (event) => showUnexpected(event.message));
window.addEventListener('unhandledrejection', (event) => {
  // Requests cut short by leaving a page are expected, not failures.
  if (isAbort(event.reason)) {
    event.preventDefault();
    return;
  }
  showUnexpected(event.reason?.message ?? String(event.reason));
});
window.addEventListener('hashchange', () => showPage({ moveFocus: true }));
showPage({ moveFocus: false });
