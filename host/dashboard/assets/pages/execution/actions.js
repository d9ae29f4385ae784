// Cancel, signal and dead-letter retry for one execution. The host decides
// whether an action is allowed (the page may lag behind), so Cancel stays
// available and a refusal is shown as the host worded it.

import { api, segment } from '../../lib/api.js';
import { confirmAction } from '../../lib/dialog.js';
import { el } from '../../lib/dom.js';
import { actionResult, field } from '../../lib/widgets.js';

/** onDone runs after an action the host accepted, to refresh the page. */
export function createActions(executionId, { onDone }) {
  const base = `/v1/executions/${segment(executionId)}`;
  const result = actionResult();

  const cancel = el('button', { type: 'button', class: 'button danger-outline', 'data-action': 'cancel' }, 'Cancel execution');
  const retry = el('button', { type: 'button', class: 'button', 'data-action': 'retry', hidden: true }, 'Retry from dead-letter queue');
  const name = el('input', { name: 'signal-name', autocomplete: 'off', spellcheck: 'false', placeholder: 'e.g. approve' });
  const data = el('textarea', { name: 'signal-data', class: 'mono', rows: 2, spellcheck: 'false' }, '{}');
  const send = el('button', { type: 'submit', class: 'button', 'data-action': 'signal' }, 'Send signal');
  const signalForm = el('form', { class: 'signal-form', novalidate: true, 'aria-label': 'Send a signal' },
    field('Signal name', name),
    field('Data (JSON)', data),
    el('div', { class: 'signal-send' }, send));

  const element = el('section', { class: 'panel actions', 'aria-label': 'Actions' },
    el('div', { class: 'action-buttons' }, cancel, retry),
    signalForm,
    result.element);

  /** Runs one request with its button disabled and reports the outcome. */
  const perform = async (button, pendingText, request, doneText) => {
    button.disabled = true;
    result.show('pending', pendingText);
    try {
      await request();
      result.show('ok', doneText);
      onDone();
    } catch (error) {
      result.show('error', error.message);
    } finally {
      button.disabled = false;
    }
  };

  cancel.addEventListener('click', async () => {
    const confirmed = await confirmAction({
      title: 'Cancel this execution?',
      message: `Execution ${executionId} will stop. This cannot be undone.`,
      confirmLabel: 'Cancel execution',
      dismissLabel: 'Keep it',
    });
    if (!confirmed) return;
    await perform(cancel, 'Asking the host to cancel…', () => api.post(`${base}/cancel`), 'Cancel requested');
  });

  retry.addEventListener('click', () =>
    perform(retry, 'Retrying…', () => api.post(`/v1/dlq/${segment(executionId)}/retry`), 'Retry started from the failed step'));

  signalForm.addEventListener('submit', (event) => {
    event.preventDefault();
    const signalName = name.value.trim();
    if (!signalName) {
      result.show('error', 'Enter the name of the signal.');
      name.focus();
      return;
    }
    let body;
    try {
      body = data.value.trim() === '' ? {} : JSON.parse(data.value);
    } catch (error) {
      result.show('error', `The data is not valid JSON: ${error.message}`);
      data.focus();
      return;
    }
    perform(send, 'Sending…', () => api.post(`${base}/signals/${segment(signalName)}`, body), `Signal “${signalName}” sent`);
  });

  const update = (execution) => {
    retry.hidden = execution.status !== 'failed';
  };

  return { element, update };
}
