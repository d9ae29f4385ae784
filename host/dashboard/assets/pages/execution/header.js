// The execution's identity and state: ids, workflow, status, times, error.
// Fixed fields are filled once; the changing ones are updated in place.

import { el, setText } from '../../lib/dom.js';
import { durationBetween, EMPTY, formatDuration, formatTime } from '../../lib/format.js';
import { executionsHref, traceHref } from '../../lib/links.js';
import { isTerminal } from '../../lib/status.js';
import { errorDetails, idField, setBadge } from '../../lib/widgets.js';

function fact(label, value, className = 'fact') {
  return el('div', { class: className }, el('dt', {}, label), value);
}

function setTime(node, iso) {
  setText(node, formatTime(iso, { withMs: true }));
  node.title = iso ?? '';
}

export function createHeader(executionId) {
  const status = el('span', { class: 'badge tone-none', 'data-testid': 'execution-status' });
  const cancelFlag = el('span', { class: 'flag', hidden: true }, 'cancel requested');
  const workflow = el('dd');
  const key = el('dd', { class: 'mono' });
  const trace = el('dd');
  const created = el('dd');
  const started = el('dd');
  const finished = el('dd');
  const duration = el('dd');
  const errorSlot = el('div', { class: 'error-slot' });

  const element = el('header', { class: 'panel execution-head' },
    el('div', { class: 'execution-title' },
      el('h1', { class: 'page-title' }, 'Execution'),
      idField(executionId, { what: 'execution id' }),
      status,
      cancelFlag),
    el('dl', { class: 'facts' },
      fact('Workflow', workflow),
      fact('Key', key),
      fact('Trace', trace, 'fact fact-id'),
      fact('Created', created),
      fact('Started', started),
      fact('Finished', finished),
      fact('Duration', duration)),
    errorSlot);

  let filled = false;
  let shownError = null;

  const fillOnce = (execution) => {
    workflow.replaceChildren(
      el('a', { href: executionsHref({ workflow: execution.workflow }) }, execution.workflow),
      el('span', { class: 'muted' }, ` version ${execution.version}`));
    setText(key, execution.key ?? EMPTY);
    trace.replaceChildren(execution.trace_id
      ? idField(execution.trace_id, { href: traceHref(execution.trace_id), what: 'trace id' })
      : EMPTY);
    setTime(created, execution.created_at);
    filled = true;
  };

  const update = (execution) => {
    if (!filled) fillOnce(execution);
    setBadge(status, execution.status);
    cancelFlag.hidden = !(execution.cancel_requested && !isTerminal(execution.status));
    setTime(started, execution.started_at);
    setTime(finished, execution.finished_at);
    const ms = execution.finished_at ? durationBetween(execution.created_at, execution.finished_at) : null;
    setText(duration, ms === null ? EMPTY : formatDuration(ms));

    const errorText = JSON.stringify(execution.error ?? null);
    if (errorText !== shownError) {
      shownError = errorText;
      errorSlot.replaceChildren(execution.error
        ? errorDetails(execution.error, { title: execution.error.step ? `Failed at step “${execution.error.step}”` : 'Error' })
        : '');
    }
  };

  return { element, update };
}
