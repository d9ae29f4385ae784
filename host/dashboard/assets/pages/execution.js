// #/executions/<id>: one execution with its graph, timeline, steps and
// compensations. Follows /v1/stream?execution_id=<id> and refetches the
// execution (at most twice a second) when something changes.

import { api, ApiError, isAbort, segment } from '../lib/api.js';
import { DAG_MARKS, renderDag } from '../lib/dag.js';
import { el } from '../lib/dom.js';
import { createGantt } from '../lib/gantt.js';
import { followStream } from '../lib/stream.js';
import { throttle } from '../lib/timing.js';
import { errorNotice, legend, liveIndicator, notice, panel } from '../lib/widgets.js';
import { createActions } from './execution/actions.js';
import { byStart, createCompensationsPanel } from './execution/compensations.js';
import { createHeader } from './execution/header.js';
import { createStepsPanel } from './execution/steps.js';

const STATUS_LEGEND = [
  ['tone-ok', 'completed'],
  ['tone-run', 'running'],
  ['tone-wait', 'waiting / retrying'],
  ['tone-bad', 'failed'],
  ['tone-comp', 'compensating / compensated'],
  ['tone-off', 'skipped / cancelled'],
  ['tone-none', 'not started'],
].map(([className, label]) => ({ className, label }));

const TIMELINE_LEGEND = [
  { className: 'tone-ok', label: 'attempt completed' },
  { className: 'tone-bad', label: 'attempt failed' },
  { className: 'tone-run', label: 'under way' },
  { className: 'swatch-wait', label: 'wait before a retry' },
];

function loadDefinition(execution, signal) {
  const query = execution.content_hash ? { content_hash: execution.content_hash } : {};
  return api.get(`/v1/workflows/${segment(execution.workflow)}`, { query, signal });
}

/** The workflow's steps in its order, then any step the execution has beyond them. */
function stepOrder(definitionSteps, execution) {
  const ids = definitionSteps.map((step) => step.id);
  const known = new Set(ids);
  for (const step of execution.steps) if (!known.has(step.id)) ids.push(step.id);
  return ids;
}

function timelineRows(order, execution) {
  const records = new Map(execution.steps.map((step) => [step.id, step]));
  return [
    ...order.map((id) => ({ label: id, step: id, kind: 'step', record: records.get(id) ?? null })),
    ...byStart(execution.compensations ?? []).map((record) => ({ label: `↺ ${record.id}`, step: record.id, kind: 'compensation', record })),
  ];
}

export async function mount(container, ctx) {
  const { signal } = ctx;
  const [executionId] = ctx.params;
  ctx.setTitle(`Execution ${executionId}`);

  const live = liveIndicator();
  const header = createHeader(executionId);
  const problem = el('div', { class: 'problem-slot' });
  const graphSlot = el('div', { class: 'dag-wrap' }, el('p', { class: 'muted' }, 'Loading the workflow…'));
  const graphNote = el('div');
  const steps = createStepsPanel({ onSelect: (id) => select(id) });
  const gantt = createGantt({ onSelect: (id) => select(id, { reveal: true }), signal });
  const compensations = createCompensationsPanel();
  const loading = el('p', { class: 'muted' }, 'Loading the execution…');

  container.append(el('div', { class: 'page-head' }, el('a', { class: 'back-link', href: '#/executions' }, '← Executions'), live.element), loading);

  let execution;
  try {
    execution = await api.get(`/v1/executions/${segment(executionId)}`, { signal });
  } catch (error) {
    if (isAbort(error)) return;
    const missing = error instanceof ApiError && error.status === 404;
    loading.remove();
    container.append(el('h1', { class: 'page-title' }, 'Execution'),
      missing ? notice('error', `There is no execution with id ${executionId}.`) : errorNotice('Could not load the execution', error));
    ctx.ready();
    return;
  }

  let definitionSteps;
  try {
    definitionSteps = (await loadDefinition(execution, signal)).steps ?? [];
  } catch (error) {
    if (isAbort(error)) return;
    // Without the definition, draw the steps that ran, unconnected.
    definitionSteps = execution.steps.map((step) => ({ id: step.id, after: [] }));
    graphNote.append(notice('warning', `The workflow definition could not be loaded (${error.message}); the graph shows the steps that started, without their dependencies.`));
  }
  const defined = new Set(definitionSteps.map((step) => step.id));
  const extraSteps = execution.steps.filter((step) => !defined.has(step.id)).map((step) => ({ id: step.id, after: [] }));
  const dag = renderDag([...definitionSteps, ...extraSteps], { withStatus: true, onSelect: (id) => select(id, { reveal: true }) });
  graphSlot.replaceChildren(dag.element);

  const actions = createActions(executionId, { onDone: () => refresh() });
  loading.remove();
  container.append(
    header.element,
    actions.element,
    problem,
    panel('Graph', graphNote, graphSlot, legend(STATUS_LEGEND), el('p', { class: 'muted small' }, DAG_MARKS)),
    panel('Timeline', gantt.element, legend(TIMELINE_LEGEND, { solid: true })),
    steps.element,
    compensations.element);

  let shown = null;
  const render = (next) => {
    const text = JSON.stringify(next);
    if (text === shown) return;
    shown = text;
    const order = stepOrder(definitionSteps, next);
    header.update(next);
    actions.update(next);
    dag.setStatuses(new Map(next.steps.map((step) => [step.id, step.status])));
    gantt.render(next, timelineRows(order, next));
    steps.update(next, order);
    compensations.update(next);
  };

  function select(id, { reveal = false } = {}) {
    dag.select(id);
    gantt.select(id);
    steps.select(id);
    if (reveal) steps.rowOf(id)?.scrollIntoView({ block: 'nearest', behavior: 'smooth' });
  }

  const refresh = throttle(async () => {
    try {
      const next = await api.get(`/v1/executions/${segment(executionId)}`, { signal });
      problem.replaceChildren();
      render(next);
    } catch (error) {
      if (isAbort(error)) return;
      problem.replaceChildren(errorNotice('Could not refresh the execution', error));
    }
  }, 500, signal);

  render(execution);
  if (execution.error?.step) select(execution.error.step);
  else steps.select(null);
  ctx.ready();

  followStream({ execution_id: executionId }, {
    signal,
    onEvent: () => refresh(),
    onState: (state, detail) => {
      live.set(state, detail);
      if (state === 'live') refresh(); // catch up with what changed before the stream opened
    },
  });
}
