// Small reusable pieces of UI: status badges, copyable ids, JSON blocks,
// notices, the live-stream indicator, panels and form fields.

import { el, setText, svg } from './dom.js';
import { prettyJson } from './format.js';
import { statusLabel, toneClass } from './status.js';

export function statusBadge(status, props = {}) {
  const badge = el('span', props);
  setBadge(badge, status);
  return badge;
}

/** Updates a badge in place (text is the raw status, colour by its tone). */
export function setBadge(badge, status) {
  const className = `badge ${toneClass(status)}`;
  if (badge.className !== className) badge.className = className;
  setText(badge, statusLabel(status));
}

async function copyText(text) {
  if (navigator.clipboard && window.isSecureContext) {
    await navigator.clipboard.writeText(text);
    return;
  }
  // Pages over plain HTTP (not localhost) have no clipboard API.
  const area = el('textarea', { class: 'offscreen', readonly: true, 'aria-hidden': 'true' });
  area.value = text;
  document.body.append(area);
  area.select();
  const copied = document.execCommand('copy');
  area.remove();
  if (!copied) throw new Error('the browser refused to copy');
}

function copyIcon() {
  return svg('svg', { class: 'icon', viewBox: '0 0 16 16', 'aria-hidden': 'true', focusable: 'false' },
    svg('rect', { x: 5.5, y: 5.5, width: 8, height: 9, rx: 1.5 }),
    svg('path', { d: 'M10.5 3.5v-1a1 1 0 0 0-1-1h-6a1 1 0 0 0-1 1v8a1 1 0 0 0 1 1h1' }));
}

export function copyButton(text, what = 'id') {
  const label = `Copy ${what}`;
  const button = el('button', { type: 'button', class: 'copy', title: label, 'aria-label': label }, copyIcon());
  button.addEventListener('click', () => {
    copyText(text).then(
      () => flashCopy(button, 'copied', 'Copied'),
      () => flashCopy(button, 'copy-failed', 'Copy failed: select the text instead'),
    );
  });
  return button;
}

function flashCopy(button, className, title) {
  button.classList.add(className);
  button.title = title;
  setTimeout(() => {
    button.classList.remove(className);
    button.title = button.getAttribute('aria-label');
  }, 1500);
}

/** A full id in monospace, selectable, optionally a link, with a copy button. */
export function idField(id, { href, what = 'id' } = {}) {
  const text = href ? el('a', { class: 'mono', href }, id) : el('span', { class: 'mono' }, id);
  return el('span', { class: 'id-field' }, text, copyButton(id, what));
}

/** Pretty JSON in a <details>, closed when long so the page stays short. */
export function jsonBlock(label, value) {
  const text = prettyJson(value);
  const lines = text.split('\n').length;
  const long = lines > 24 || text.length > 2000;
  return el('details', { class: 'json', open: !long },
    el('summary', {}, label, long ? el('span', { class: 'muted' }, ` (${lines} lines)`) : null),
    el('pre', { class: 'mono' }, text));
}

export function notice(kind, text) {
  return el('p', { class: `notice notice-${kind}`, role: kind === 'error' ? 'alert' : 'status' }, text);
}

export function errorNotice(what, error) {
  return notice('error', `${what}: ${error.message}`);
}

/** A titled panel; the heading text is plain. */
export function panel(title, ...children) {
  return el('section', { class: 'panel' }, el('h2', { class: 'panel-title' }, title), ...children);
}

export function field(label, control, hint) {
  return el('label', { class: 'field' },
    el('span', { class: 'field-label' }, label),
    control,
    hint ? el('span', { class: 'field-hint' }, hint) : null);
}

const LIVE_TEXT = { connecting: 'Connecting…', live: 'Live', reconnecting: 'Reconnecting…' };

/** "Live" / "Reconnecting…" dot for pages that follow the stream. */
export function liveIndicator() {
  const element = el('span', { class: 'live', 'data-state': 'connecting' }, LIVE_TEXT.connecting);
  const set = (state, detail) => {
    element.dataset.state = state;
    setText(element, LIVE_TEXT[state]);
    element.title = detail ? `Live updates: ${detail}` : 'Live updates from /v1/stream';
  };
  set('connecting');
  return { element, set };
}

/** The area that tells the outcome of the last action (tests read it). */
export function actionResult() {
  const element = el('p', { class: 'action-result', 'data-testid': 'action-result', role: 'status', 'aria-live': 'polite' });
  const show = (kind, text) => {
    element.dataset.outcome = kind;
    setText(element, text);
  };
  return { element, show };
}

/** A key of colours: [{className: 'tone-ok', label: 'completed'}]; solid swatches for bars. */
export function legend(items, { solid = false } = {}) {
  return el('ul', { class: solid ? 'legend solid' : 'legend', 'aria-label': 'Legend' },
    items.map(({ className, label }) => el('li', {}, el('span', { class: `swatch ${className}`, 'aria-hidden': 'true' }), label)));
}

/** An API error object ({code, message, step, details, retryable}) in full. */
export function errorDetails(error, { title } = {}) {
  if (error === null || typeof error !== 'object') return notice('error', String(error));
  return el('div', { class: 'error-box' },
    title ? el('p', { class: 'error-title' }, title) : null,
    el('p', { class: 'error-message' },
      error.code ? el('span', { class: 'mono error-code' }, error.code) : null,
      error.code ? ' ' : null,
      error.message ?? ''),
    error.retryable === false ? el('p', { class: 'muted' }, 'Not retryable.') : null,
    error.details !== undefined && error.details !== null ? jsonBlock('Details', error.details) : null);
}
