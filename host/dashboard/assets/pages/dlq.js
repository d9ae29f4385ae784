// #/dlq: failed executions waiting in the dead-letter queue, newest failure
// first. Retry the selected ones (one request each) or every one the filter
// covers (one request, after a confirmation).

import { api, isAbort, segment, withQuery } from '../lib/api.js';
import { confirmAction } from '../lib/dialog.js';
import { el, setText } from '../lib/dom.js';
import { errorText, formatCount, formatTime } from '../lib/format.js';
import { executionHref } from '../lib/links.js';
import { createPager } from '../lib/pager.js';
import { actionResult, errorNotice, field, idField } from '../lib/widgets.js';

const PAGE_SIZE = 50;

const COLUMNS = [
  ['', 'col-check'],
  ['Execution', 'col-id'],
  ['Workflow', 'col-name'],
  ['Step', 'col-name'],
  ['Attempts', 'col-count'],
  ['Error', 'col-error'],
  ['Failed at', 'col-time'],
];

function createRow(letter) {
  const message = errorText(letter.error);
  return el('tr', { 'data-execution-id': letter.id },
    el('td', {}, el('input', { type: 'checkbox', value: letter.id, 'aria-label': `Select ${letter.id}` })),
    el('td', {}, idField(letter.id, { href: executionHref(letter.id), what: 'execution id' })),
    el('td', { title: letter.workflow }, letter.workflow),
    el('td', { class: 'mono', title: letter.step ?? '' }, letter.step ?? ''),
    el('td', { class: 'num' }, letter.attempts),
    el('td', { class: 'error-cell', title: message }, message),
    el('td', { title: letter.finished_at ?? '' }, formatTime(letter.finished_at)));
}

export async function mount(container, ctx) {
  const { signal } = ctx;
  ctx.setTitle('Dead letters');
  const workflowFilter = ctx.query.get('workflow') ?? '';

  const result = actionResult();
  const problem = el('div', { class: 'problem-slot' });
  const workflow = el('input', { name: 'workflow', value: workflowFilter, autocomplete: 'off', spellcheck: 'false' });
  const filterForm = el('form', { class: 'filters', role: 'search', 'aria-label': 'Filter dead letters' },
    field('Workflow', workflow),
    el('div', { class: 'filter-actions' }, el('button', { type: 'submit', class: 'button primary' }, 'Apply')));
  const selectAll = el('input', { type: 'checkbox', 'aria-label': 'Select every row on this page' });
  const retrySelected = el('button', { type: 'button', class: 'button primary', 'data-action': 'retry-selected', disabled: true }, 'Retry selected');
  const retryAll = el('button', { type: 'button', class: 'button', 'data-action': 'retry-all' },
    workflowFilter ? `Retry all of ${workflowFilter}` : 'Retry all');
  const tbody = el('tbody');
  const table = el('table', { class: 'data-table fixed dlq-table', 'data-testid': 'dlq-table' },
    el('colgroup', {}, COLUMNS.map(([, className]) => el('col', { class: className }))),
    el('thead', {}, el('tr', {}, COLUMNS.map(([label], i) => el('th', { scope: 'col' }, i === 0 ? selectAll : label)))),
    tbody);
  const pager = createPager(() => load());

  container.append(
    el('div', { class: 'page-head' }, el('h1', { class: 'page-title' }, 'Dead letters')),
    filterForm,
    el('div', { class: 'toolbar' }, retrySelected, retryAll, result.element),
    problem,
    el('div', { class: 'table-wrap' }, table),
    pager.element);

  const checkboxes = () => [...tbody.querySelectorAll('input[type="checkbox"]')];
  const selectedIds = () => checkboxes().filter((box) => box.checked).map((box) => box.value);

  const syncSelection = () => {
    const boxes = checkboxes();
    const chosen = boxes.filter((box) => box.checked).length;
    retrySelected.disabled = chosen === 0;
    setText(retrySelected, chosen ? `Retry selected (${chosen})` : 'Retry selected');
    selectAll.checked = boxes.length > 0 && chosen === boxes.length;
    selectAll.indeterminate = chosen > 0 && chosen < boxes.length;
  };

  const showMessage = (text) => tbody.replaceChildren(el('tr', { class: 'placeholder' }, el('td', { colspan: COLUMNS.length }, text)));
  showMessage('Loading the dead letters…');

  async function load() {
    try {
      const answer = await api.get('/v1/dlq', { query: { workflow: workflowFilter, limit: PAGE_SIZE, cursor: pager.cursor() }, signal });
      problem.replaceChildren();
      const letters = answer.dead_letters ?? [];
      if (letters.length) tbody.replaceChildren(...letters.map(createRow));
      else showMessage(workflowFilter ? `No dead letters for ${workflowFilter}.` : 'The dead-letter queue is empty.');
      pager.setNext(answer.next_cursor);
    } catch (error) {
      if (isAbort(error)) return;
      problem.replaceChildren(errorNotice('Could not load the dead letters', error));
      showMessage('Nothing to show.');
    }
    syncSelection();
  }

  filterForm.addEventListener('submit', (event) => {
    event.preventDefault();
    const hash = withQuery('#/dlq', { workflow: workflow.value.trim() });
    if (hash === location.hash) {
      pager.reset();
      load();
    } else {
      location.hash = hash;
    }
  });

  tbody.addEventListener('change', syncSelection);
  selectAll.addEventListener('change', () => {
    for (const box of checkboxes()) box.checked = selectAll.checked;
    syncSelection();
  });

  retrySelected.addEventListener('click', async () => {
    const ids = selectedIds();
    if (ids.length === 0) return;
    retrySelected.disabled = true;
    result.show('pending', `Retrying ${ids.length}…`);
    const failures = [];
    for (const id of ids) {
      try {
        await api.post(`/v1/dlq/${segment(id)}/retry`);
      } catch (error) {
        failures.push(`${id}: ${error.message}`);
      }
    }
    const retried = ids.length - failures.length;
    if (failures.length === 0) result.show('ok', `Retried ${formatCount(retried)} execution${retried === 1 ? '' : 's'}`);
    else result.show('error', `Retried ${formatCount(retried)} of ${formatCount(ids.length)}. ${failures.join(' · ')}`);
    await load();
  });

  retryAll.addEventListener('click', async () => {
    const confirmed = await confirmAction({
      title: 'Retry every dead letter?',
      message: workflowFilter
        ? `Every execution of workflow ${workflowFilter} in the dead-letter queue is run again from its failed step.`
        : 'Every execution in the dead-letter queue, of every workflow, is run again from its failed step.',
      confirmLabel: 'Retry all',
    });
    if (!confirmed) return;
    retryAll.disabled = true;
    result.show('pending', 'Retrying…');
    try {
      const answer = await api.post('/v1/dlq/retry', workflowFilter ? { workflow: workflowFilter } : {});
      const count = answer?.retried ?? 0;
      result.show('ok', `Retried ${formatCount(count)} execution${count === 1 ? '' : 's'}`);
      pager.reset();
      await load();
    } catch (error) {
      result.show('error', error.message);
    } finally {
      retryAll.disabled = false;
    }
  });

  await load();
  ctx.ready();
}
