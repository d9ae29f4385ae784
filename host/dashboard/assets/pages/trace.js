// #/traces/<trace_id>: everything one trace caused, in time order. Each
// execution gets a colour key so its entries can be told apart at a glance.

import { api, ApiError, isAbort, segment } from '../lib/api.js';
import { el } from '../lib/dom.js';
import { executionHref } from '../lib/links.js';
import { EMPTY, formatClock, formatCount, formatDuration, formatOffset, formatTime, parseTime, prettyJson } from '../lib/format.js';
import { errorNotice, idField, notice, panel, statusBadge } from '../lib/widgets.js';

const KEY_COLOURS = 8; // CSS classes key-0 ... key-7

/** One line for a timeline entry's detail: status, attempt, duration, error, then simple fields. */
function detailSummary(detail) {
  if (!detail || typeof detail !== 'object') return detail ? String(detail) : '';
  const parts = [];
  if (detail.attempt !== undefined) parts.push(`attempt ${detail.attempt}`);
  if (detail.duration_ms !== undefined) parts.push(formatDuration(detail.duration_ms));
  if (detail.error) parts.push(`${detail.error.code ?? 'error'}: ${detail.error.message ?? ''}`);
  for (const [key, value] of Object.entries(detail)) {
    if (['attempt', 'duration_ms', 'error', 'status'].includes(key)) continue;
    if (value === null || typeof value !== 'object') parts.push(`${key} ${value}`);
  }
  return parts.join(' · ');
}

function detailCell(detail) {
  const hasFields = detail && typeof detail === 'object' && Object.keys(detail).length > 0;
  if (!hasFields) return el('td', { class: 'muted' }, EMPTY);
  return el('td', { class: 'trace-detail' },
    typeof detail.status === 'string' ? statusBadge(detail.status) : null,
    el('span', { class: 'trace-summary' }, detailSummary(detail)),
    el('details', {}, el('summary', {}, 'JSON'), el('pre', { class: 'mono' }, prettyJson(detail))));
}

function executionKeys(timeline) {
  const keys = new Map();
  for (const entry of timeline) {
    if (!entry.execution_id || keys.has(entry.execution_id)) continue;
    keys.set(entry.execution_id, { colour: `key-${keys.size % KEY_COLOURS}`, workflow: entry.workflow, entries: 0 });
  }
  for (const entry of timeline) if (entry.execution_id) keys.get(entry.execution_id).entries += 1;
  return keys;
}

function summaryFacts(summary) {
  const kinds = Object.entries(summary.by_kind ?? {});
  return el('dl', { class: 'facts' },
    el('div', { class: 'fact' }, el('dt', {}, 'Entries'), el('dd', {}, formatCount(summary.entries))),
    el('div', { class: 'fact' }, el('dt', {}, 'Executions'), el('dd', {}, formatCount(summary.executions))),
    el('div', { class: 'fact' }, el('dt', {}, 'First'), el('dd', { title: summary.first_at ?? '' }, formatTime(summary.first_at, { withMs: true }))),
    el('div', { class: 'fact' }, el('dt', {}, 'Last'), el('dd', { title: summary.last_at ?? '' }, formatTime(summary.last_at, { withMs: true }))),
    el('div', { class: 'fact' }, el('dt', {}, 'Duration'), el('dd', {}, formatDuration(summary.duration_ms))),
    el('div', { class: 'fact fact-wide' }, el('dt', {}, 'By kind'),
      el('dd', {}, kinds.length
        ? el('ul', { class: 'kind-list' }, kinds.map(([kind, count]) => el('li', {}, el('span', { class: 'mono' }, kind), ` ${formatCount(count)}`)))
        : EMPTY)));
}

function executionsKey(keys) {
  if (keys.size === 0) return el('p', { class: 'muted' }, 'No execution was started by this trace.');
  return el('ul', { class: 'execution-keys' }, [...keys].map(([id, { colour, workflow, entries }]) =>
    el('li', {}, el('span', { class: `swatch ${colour}`, 'aria-hidden': 'true' }),
      idField(id, { href: executionHref(id), what: 'execution id' }),
      el('span', { class: 'muted' }, ` ${workflow} · ${entries} entries`))));
}

function timelineTable(timeline, keys, firstAt) {
  const sorted = [...timeline].sort((a, b) => (parseTime(a.at) ?? 0) - (parseTime(b.at) ?? 0));
  return el('div', { class: 'table-wrap' },
    el('table', { class: 'data-table trace-table', 'data-testid': 'trace-table' },
      el('thead', {}, el('tr', {}, ['Time', 'After', 'Kind', 'Workflow', 'Execution', 'Step', 'Detail'].map((h) => el('th', { scope: 'col' }, h)))),
      el('tbody', {}, sorted.map((entry) => {
        const key = keys.get(entry.execution_id);
        return el('tr', { class: key ? key.colour : 'key-none', 'data-kind': entry.kind },
          el('td', { class: 'keyed', title: entry.at }, formatClock(entry.at)),
          el('td', { class: 'num muted' }, formatOffset(Math.max(0, (parseTime(entry.at) ?? firstAt) - firstAt))),
          el('td', { class: 'mono' }, entry.kind),
          el('td', {}, entry.workflow || EMPTY),
          el('td', {}, entry.execution_id ? el('a', { class: 'mono', href: executionHref(entry.execution_id) }, entry.execution_id) : EMPTY),
          el('td', { class: 'mono' }, entry.step || EMPTY),
          detailCell(entry.detail));
      }))));
}

export async function mount(container, ctx) {
  const { signal } = ctx;
  const [traceId] = ctx.params;
  ctx.setTitle(`Trace ${traceId}`);
  const body = el('div', {}, el('p', { class: 'muted' }, 'Loading the trace…'));
  const refreshButton = el('button', { type: 'button', class: 'button', 'data-action': 'refresh' }, 'Refresh');
  container.append(
    el('div', { class: 'page-head' },
      el('h1', { class: 'page-title' }, 'Trace'),
      idField(traceId, { what: 'trace id' }),
      refreshButton),
    body);

  const load = async () => {
    refreshButton.disabled = true;
    try {
      const trace = await api.get(`/v1/traces/${segment(traceId)}`, { signal });
      const keys = executionKeys(trace.timeline ?? []);
      const firstAt = parseTime(trace.summary?.first_at) ?? 0;
      body.replaceChildren(
        panel('Summary', summaryFacts(trace.summary ?? {})),
        panel('Executions', executionsKey(keys)),
        panel('Timeline', trace.timeline?.length ? timelineTable(trace.timeline, keys, firstAt) : el('p', { class: 'muted' }, 'Nothing recorded yet.')));
    } catch (error) {
      if (isAbort(error)) return;
      const missing = error instanceof ApiError && error.status === 404;
      body.replaceChildren(missing ? notice('error', `There is no trace with id ${traceId}.`) : errorNotice('Could not load the trace', error));
    } finally {
      refreshButton.disabled = false;
    }
  };
  refreshButton.addEventListener('click', load);

  await load();
  ctx.ready();
}
