// Compensations that ran, in the order they started.

import { el } from '../../lib/dom.js';
import { durationBetween, EMPTY, errorText, formatDuration, formatTime } from '../../lib/format.js';
import { panel, statusBadge } from '../../lib/widgets.js';

export function byStart(records) {
  return [...records].sort((a, b) => (a.started_at ?? '\uffff').localeCompare(b.started_at ?? '\uffff'));
}

export function createCompensationsPanel() {
  const body = el('div');
  const element = panel('Compensations', body);
  let shown = null;

  const update = (execution) => {
    const records = byStart(execution.compensations ?? []);
    const text = JSON.stringify(records);
    if (text === shown) return;
    shown = text;
    if (records.length === 0) {
      body.replaceChildren(el('p', { class: 'muted' }, 'No compensation has run.'));
      return;
    }
    body.replaceChildren(el('div', { class: 'table-wrap' },
      el('table', { class: 'data-table compensations-table' },
        el('thead', {}, el('tr', {}, ['#', 'Compensates step', 'Status', 'Attempts', 'Started', 'Duration', 'Error'].map((h) => el('th', { scope: 'col' }, h)))),
        el('tbody', {}, records.map((record, i) => el('tr', { 'data-compensation': record.id },
          el('td', { class: 'num' }, i + 1),
          el('td', { class: 'mono' }, record.id),
          el('td', {}, statusBadge(record.status)),
          el('td', { class: 'num' }, record.attempts),
          el('td', { title: record.started_at ?? '' }, formatTime(record.started_at, { withMs: true })),
          el('td', { class: 'num' }, record.finished_at ? formatDuration(durationBetween(record.started_at, record.finished_at)) : EMPTY),
          el('td', { class: 'wrap' }, record.error ? errorText(record.error) : EMPTY)))))));
  };

  return { element, update };
}
