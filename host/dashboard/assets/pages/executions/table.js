// The executions table. Rows are keyed by execution id and updated cell by
// cell; new rows are inserted in order while the row the user is looking at
// (or has focused) stays where it is on screen.

import { el, setText } from '../../lib/dom.js';
import { durationBetween, EMPTY, formatDuration, formatTime } from '../../lib/format.js';
import { executionHref } from '../../lib/links.js';
import { idField, setBadge, statusBadge } from '../../lib/widgets.js';

const COLUMNS = [
  ['Execution', 'col-id'],
  ['Workflow', 'col-name'],
  ['Version', 'col-version'],
  ['Status', 'col-status'],
  ['Key', 'col-key'],
  ['Created', 'col-time'],
  ['Finished', 'col-time'],
  ['Duration', 'col-duration'],
];

/** Newest first: by creation time, then by id (ids are time-ordered UUIDv7). */
function isNewer(a, b) {
  return a.created_at > b.created_at || (a.created_at === b.created_at && a.id > b.id);
}

function fillTimes({ cells, execution }) {
  setText(cells.finished, formatTime(execution.finished_at));
  cells.finished.title = execution.finished_at ?? '';
  const ms = execution.finished_at ? durationBetween(execution.created_at, execution.finished_at) : null;
  setText(cells.duration, ms === null ? EMPTY : formatDuration(ms));
}

function createEntry(execution) {
  const cells = {
    id: el('td', { 'data-field': 'id' }, idField(execution.id, { href: executionHref(execution.id), what: 'execution id' })),
    workflow: el('td', { 'data-field': 'workflow', title: execution.workflow }, execution.workflow),
    version: el('td', { 'data-field': 'version' }, execution.version),
    status: el('td', { 'data-field': 'status' }, statusBadge(execution.status)),
    key: el('td', { 'data-field': 'key', class: 'mono', title: execution.key ?? '' }, execution.key ?? EMPTY),
    created: el('td', { 'data-field': 'created', title: execution.created_at }, formatTime(execution.created_at)),
    finished: el('td', { 'data-field': 'finished' }),
    duration: el('td', { 'data-field': 'duration', class: 'num' }),
  };
  const row = el('tr', { class: 'clickable', 'data-execution-id': execution.id }, Object.values(cells));
  const entry = { row, cells, execution: { ...execution }, touchedAt: 0 };
  fillTimes(entry);
  return entry;
}

export function createExecutionsTable() {
  const tbody = el('tbody');
  const table = el('table', { class: 'data-table fixed executions-table', 'data-testid': 'executions-table' },
    el('colgroup', {}, COLUMNS.map(([, className]) => el('col', { class: className }))),
    el('thead', {}, el('tr', {}, COLUMNS.map(([label]) => el('th', { scope: 'col' }, label)))),
    tbody);
  const wrap = el('div', { class: 'table-wrap' }, table);
  const entries = new Map();

  tbody.addEventListener('click', (event) => {
    if (event.target.closest('a, button, input')) return;
    if (window.getSelection()?.toString()) return; // the user is selecting text, e.g. an id
    const row = event.target.closest('tr[data-execution-id]');
    if (row) location.hash = executionHref(row.dataset.executionId);
  });

  const showMessage = (text) => {
    entries.clear();
    tbody.replaceChildren(el('tr', { class: 'placeholder' }, el('td', { colspan: COLUMNS.length }, text)));
  };

  /** The row to hold still on screen: the focused one, else the first visible one once scrolled. */
  const anchorRow = () => {
    const focused = document.activeElement?.closest?.('tr[data-execution-id]');
    if (focused && tbody.contains(focused)) return focused;
    if (window.scrollY === 0) return null; // at the top, new rows should be seen
    for (const row of tbody.rows) if (row.getBoundingClientRect().bottom > 0) return row;
    return null;
  };

  showMessage('Loading the executions…');
  return {
    wrap,
    size: () => entries.size,
    has: (id) => entries.has(id),
    statuses: () => [...entries.values()].map((entry) => entry.execution.status),
    showMessage,

    replace(executions, emptyText) {
      if (executions.length === 0) {
        showMessage(emptyText);
        return;
      }
      entries.clear();
      const rows = executions.map((execution) => {
        const entry = createEntry(execution);
        entries.set(execution.id, entry);
        return entry.row;
      });
      tbody.replaceChildren(...rows);
    },

    /** A status from the stream: applied at once; a later page fetch may not undo it. */
    setStatus(id, status) {
      const entry = entries.get(id);
      if (!entry) return;
      entry.execution.status = status;
      entry.touchedAt = Date.now();
      setBadge(entry.cells.status.firstChild, status);
    },

    /** A summary fetched at `fetchedSince`; skipped when the stream changed the row after that. */
    update(execution, fetchedSince) {
      const entry = entries.get(execution.id);
      if (!entry || entry.touchedAt > fetchedSince) return;
      entry.execution.status = execution.status;
      entry.execution.finished_at = execution.finished_at;
      setBadge(entry.cells.status.firstChild, execution.status);
      fillTimes(entry);
    },

    /** Inserts executions newer than the last row, in order. Returns how many went in. */
    insert(executions) {
      const existing = [...entries.values()].sort((a, b) => (isNewer(a.execution, b.execution) ? -1 : 1));
      const oldest = existing.at(-1)?.execution;
      const fresh = executions
        .filter((e) => !entries.has(e.id) && (!oldest || isNewer(e, oldest)))
        .sort((a, b) => (isNewer(a, b) ? -1 : 1));
      if (fresh.length === 0) return 0;
      if (existing.length === 0) tbody.replaceChildren();

      const anchor = anchorRow();
      const anchorTop = anchor?.getBoundingClientRect().top;
      let cursor = 0;
      for (const execution of fresh) {
        while (cursor < existing.length && isNewer(existing[cursor].execution, execution)) cursor++;
        const entry = createEntry(execution);
        entry.row.classList.add('arrived');
        tbody.insertBefore(entry.row, existing[cursor]?.row ?? null);
        entries.set(execution.id, entry);
      }
      if (anchor) {
        const shift = anchor.getBoundingClientRect().top - anchorTop;
        if (shift !== 0) window.scrollBy(0, shift);
      }
      return fresh.length;
    },
  };
}
