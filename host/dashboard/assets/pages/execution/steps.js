// The steps table (one row per step of the workflow, started or not) and the
// detail of the selected step: its attempts, error, input and output.

import { el, setText } from '../../lib/dom.js';
import { durationBetween, EMPTY, errorText, formatDuration, formatTime } from '../../lib/format.js';
import { NOT_STARTED } from '../../lib/status.js';
import { errorDetails, jsonBlock, panel, setBadge, statusBadge } from '../../lib/widgets.js';

const COLUMNS = [
  ['Step', 'col-step'],
  ['Status', 'col-status'],
  ['Attempts', 'col-count'],
  ['Started', 'col-time'],
  ['Finished', 'col-time'],
  ['Duration', 'col-duration'],
  ['Next attempt', 'col-time'],
];
const ATTEMPTS_SHOWN = 200; // the latest ones; the rest on request

function time(iso) {
  return el('span', { title: iso ?? '' }, formatTime(iso, { withMs: true }));
}

function stepDuration(record) {
  return record?.finished_at ? formatDuration(durationBetween(record.started_at, record.finished_at)) : EMPTY;
}

function attemptsTable(history, showAll) {
  const ordered = [...history].sort((a, b) => a.attempt - b.attempt);
  const shown = showAll ? ordered : ordered.slice(-ATTEMPTS_SHOWN);
  return el('div', { class: 'table-wrap' },
    el('table', { class: 'data-table attempts-table' },
      el('thead', {}, el('tr', {}, ['Attempt', 'Status', 'Started', 'Duration', 'Error'].map((h) => el('th', { scope: 'col' }, h)))),
      el('tbody', {}, shown.map((attempt) => el('tr', { 'data-attempt': attempt.attempt },
        el('td', { class: 'num' }, attempt.attempt),
        el('td', {}, statusBadge(attempt.status)),
        el('td', {}, time(attempt.started_at)),
        el('td', { class: 'num' }, formatDuration(attempt.duration_ms)),
        el('td', { class: 'wrap' }, attempt.error ? errorText(attempt.error) : EMPTY))))));
}

function stepDetail(id, record, { showAllAttempts, onShowAll }) {
  const status = record?.status ?? NOT_STARTED;
  const heading = el('h3', { class: 'detail-title' }, 'Step ', el('span', { class: 'mono' }, id), ' ', statusBadge(status));
  if (!record) return [heading, el('p', { class: 'muted' }, 'This step has not started in this execution.')];

  const history = record.history ?? [];
  const hidden = showAllAttempts ? 0 : Math.max(0, history.length - ATTEMPTS_SHOWN);
  return [
    heading,
    record.error ? errorDetails(record.error, { title: 'Last error' }) : null,
    el('h4', { class: 'detail-subtitle' }, `Attempts (${history.length})`),
    hidden
      ? el('button', { type: 'button', class: 'button small', 'data-action': 'show-all-attempts', onclick: onShowAll }, `Show the ${hidden} earlier attempts`)
      : null,
    history.length ? attemptsTable(history, showAllAttempts) : el('p', { class: 'muted' }, 'No attempt has finished yet.'),
    el('div', { class: 'json-pair' }, jsonBlock('Input', record.input), jsonBlock('Output', record.output)),
  ];
}

/** onSelect(stepId) runs when a row is chosen. */
export function createStepsPanel({ onSelect }) {
  const tbody = el('tbody');
  const table = el('table', { class: 'data-table fixed steps-table' },
    el('colgroup', {}, COLUMNS.map(([, className]) => el('col', { class: className }))),
    el('thead', {}, el('tr', {}, COLUMNS.map(([label]) => el('th', { scope: 'col' }, label)))),
    tbody);
  const detail = el('div', { class: 'step-detail' });
  const element = panel('Steps', el('div', { class: 'table-wrap' }, table), detail);

  const rows = new Map();
  let records = new Map();
  let selected = null;
  let shownDetail = null;
  let showAllAttempts = false;

  tbody.addEventListener('click', (event) => {
    const row = event.target.closest('tr[data-step]');
    if (row) onSelect(row.dataset.step);
  });

  const createRow = (id) => {
    const cells = {
      step: el('td', {}, el('button', { type: 'button', class: 'link-button mono', 'aria-pressed': 'false' }, id)),
      status: el('td', { 'data-field': 'status' }, statusBadge(NOT_STARTED)),
      attempts: el('td', { class: 'num' }),
      started: el('td'),
      finished: el('td'),
      duration: el('td', { class: 'num' }),
      next: el('td'),
    };
    const row = el('tr', { class: 'clickable', 'data-testid': 'step-row', 'data-step': id }, Object.values(cells));
    tbody.append(row);
    rows.set(id, { row, cells });
  };

  const fillRow = ({ cells }, record) => {
    setBadge(cells.status.firstChild, record?.status ?? NOT_STARTED);
    setText(cells.attempts, record ? record.attempts : EMPTY);
    setText(cells.started, formatTime(record?.started_at, { withMs: true }));
    setText(cells.finished, formatTime(record?.finished_at, { withMs: true }));
    setText(cells.duration, stepDuration(record));
    setText(cells.next, formatTime(record?.next_attempt_at, { withMs: true }));
  };

  const renderDetail = () => {
    if (selected === null) {
      if (shownDetail !== '') detail.replaceChildren(el('p', { class: 'muted hint' }, 'Choose a step in the graph, the timeline or this table to see its attempts, input and output.'));
      shownDetail = '';
      return;
    }
    const record = records.get(selected) ?? null;
    const key = `${selected}\n${showAllAttempts}\n${JSON.stringify(record)}`;
    if (key === shownDetail) return; // unchanged: keep the reader's open/closed blocks and scroll
    shownDetail = key;
    detail.replaceChildren(...stepDetail(selected, record, {
      showAllAttempts,
      onShowAll: () => {
        showAllAttempts = true;
        renderDetail();
      },
    }).filter(Boolean));
  };

  return {
    element,

    /** order: step ids as the workflow lists them (plus any the execution has beyond it). */
    update(execution, order) {
      records = new Map(execution.steps.map((step) => [step.id, step]));
      for (const id of order) {
        if (!rows.has(id)) createRow(id);
        fillRow(rows.get(id), records.get(id));
      }
      renderDetail();
    },

    select(id) {
      if (id !== selected) showAllAttempts = false;
      selected = id;
      for (const [stepId, { row, cells }] of rows) {
        row.classList.toggle('selected', stepId === id);
        cells.step.firstChild.setAttribute('aria-pressed', String(stepId === id));
      }
      renderDetail();
    },

    rowOf: (id) => rows.get(id)?.row ?? null,
  };
}
