// The filter form of the executions list. Filters live in the address
// (#/executions?workflow=...&status=...), so a filtered list can be shared.

import { api } from '../../lib/api.js';
import { el } from '../../lib/dom.js';
import { fromLocalInput, localZoneLabel, toLocalInput } from '../../lib/format.js';
import { EXECUTION_STATUSES } from '../../lib/status.js';
import { field } from '../../lib/widgets.js';

const FILTER_NAMES = ['workflow', 'status', 'key', 'since', 'until'];

export function readFilters(query) {
  return Object.fromEntries(FILTER_NAMES.map((name) => [name, query.get(name) ?? '']));
}

/** Fills a <datalist> with the known workflow ids; the list is a convenience, so failures are ignored. */
function offerWorkflows(datalist, signal) {
  api.get('/v1/workflows', { signal }).then(
    (answer) => datalist.replaceChildren(...(answer.workflows ?? []).map((w) => el('option', { value: w.id }))),
    () => {},
  );
}

/** onApply(filters) runs when the form is submitted or cleared. */
export function createFilterForm(filters, { signal, onApply }) {
  const workflowOptions = el('datalist', { id: 'workflow-options' });
  const workflow = el('input', { name: 'workflow', value: filters.workflow, list: 'workflow-options', autocomplete: 'off', spellcheck: 'false' });
  const status = el('select', { name: 'status' },
    el('option', { value: '' }, 'any'),
    EXECUTION_STATUSES.map((s) => el('option', { value: s, selected: s === filters.status }, s)));
  const key = el('input', { name: 'key', value: filters.key, autocomplete: 'off', spellcheck: 'false' });
  const since = el('input', { name: 'since', type: 'datetime-local', step: 1, value: toLocalInput(filters.since) });
  const until = el('input', { name: 'until', type: 'datetime-local', step: 1, value: toLocalInput(filters.until) });
  const zone = `local time, ${localZoneLabel()}`;

  const clearButton = el('button', { type: 'button', class: 'button', 'data-action': 'clear-filters' }, 'Clear');
  const form = el('form', { class: 'filters', role: 'search', 'aria-label': 'Filter executions' },
    field('Workflow', workflow),
    field('Status', status),
    field('Key', key),
    field('Created since', since, zone),
    field('Created until', until, zone),
    el('div', { class: 'filter-actions' },
      el('button', { type: 'submit', class: 'button primary', 'data-action': 'apply-filters' }, 'Apply'),
      clearButton),
    workflowOptions);

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    onApply({
      workflow: workflow.value.trim(),
      status: status.value,
      key: key.value.trim(),
      since: fromLocalInput(since.value) ?? '',
      until: fromLocalInput(until.value) ?? '',
    });
  });
  clearButton.addEventListener('click', () => onApply(Object.fromEntries(FILTER_NAMES.map((name) => [name, '']))));

  offerWorkflows(workflowOptions, signal);
  return form;
}
