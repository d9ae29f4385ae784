// #/health: the host's health checks (refreshed every 5 s) and a chart of
// finished executions per 5 s, from /metrics polled at the same pace.

import { api, isAbort } from '../lib/api.js';
import { el, setText } from '../lib/dom.js';
import { formatClock, prettyJson } from '../lib/format.js';
import { sumMetric } from '../lib/metrics.js';
import { toneClass } from '../lib/status.js';
import { createThroughputChart, INTERVAL_MS, ThroughputSeries } from '../lib/throughput.js';
import { repeat } from '../lib/timing.js';
import { errorNotice, panel } from '../lib/widgets.js';

const FINISHED_METRIC = 'weft_executions_finished_total';

/** One value of a check as text: "none" for null or an empty list, JSON when nested. */
function valueText(value) {
  if (value === null || value === undefined) return 'none';
  if (Array.isArray(value)) {
    return value.length ? value.map((item) => (typeof item === 'object' ? JSON.stringify(item) : String(item))).join(', ') : 'none';
  }
  return typeof value === 'object' ? prettyJson(value) : String(value);
}

/** A check's value: one line per field of an object ("in use 0"), else the value itself. */
function valueView(value) {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return el('span', { class: 'mono' }, valueText(value));
  }
  return el('dl', { class: 'check-values' }, Object.entries(value).map(([key, item]) =>
    el('div', {}, el('dt', {}, key.replaceAll('_', ' ')), el('dd', {}, valueText(item)))));
}

function createCheckRow(name) {
  const level = el('span', { class: 'badge' });
  const value = el('td', { class: 'check-value' });
  const advice = el('td', { class: 'wrap' });
  const row = el('tr', { 'data-check': name }, el('th', { scope: 'row', class: 'mono' }, name), el('td', {}, level), value, advice);
  return { row, level, value, advice, shownValue: null };
}

export async function mount(container, ctx) {
  const { signal } = ctx;
  ctx.setTitle('Health');

  const level = el('span', { class: 'badge large tone-none', 'data-testid': 'health-level' }, '…');
  const checkedAt = el('span', { class: 'muted' });
  const problem = el('div', { class: 'problem-slot' });
  const tbody = el('tbody');
  const chart = createThroughputChart();
  const chartProblem = el('div', { class: 'problem-slot' });
  const series = new ThroughputSeries();

  container.append(
    el('div', { class: 'page-head' }, el('h1', { class: 'page-title' }, 'Health')),
    el('section', { class: 'panel health-summary' }, el('span', { class: 'health-caption' }, 'This host is'), level, checkedAt),
    problem,
    panel('Checks', el('div', { class: 'table-wrap' },
      el('table', { class: 'data-table checks-table' },
        el('thead', {}, el('tr', {}, ['Check', 'Level', 'Value', 'Advice'].map((h) => el('th', { scope: 'col' }, h)))),
        tbody))),
    panel('Throughput', chartProblem, chart.element));

  const rows = new Map();
  const render = (health) => {
    setText(level, health.level);
    level.className = `badge large ${toneClass(health.level)}`;
    setText(checkedAt, `checked at ${formatClock(new Date().toISOString())}, every 5 s`);
    for (const check of health.checks ?? []) {
      if (!rows.has(check.name)) {
        rows.set(check.name, createCheckRow(check.name));
        tbody.append(rows.get(check.name).row);
      }
      const entry = rows.get(check.name);
      setText(entry.level, check.level);
      entry.level.className = `badge ${toneClass(check.level)}`;
      entry.row.dataset.level = check.level;
      const valueText = JSON.stringify(check.value ?? null);
      if (valueText !== entry.shownValue) {
        entry.shownValue = valueText;
        entry.value.replaceChildren(valueView(check.value));
      }
      setText(entry.advice, check.advice ?? '');
    }
  };

  const pollHealth = async () => {
    try {
      render(await api.get('/v1/health', { signal }));
      problem.replaceChildren();
    } catch (error) {
      if (isAbort(error)) return;
      // A failing database check answers 503 with the health report itself.
      if (error.body?.level) {
        render(error.body);
        problem.replaceChildren();
      } else {
        problem.replaceChildren(errorNotice('Could not read the health checks', error));
      }
    }
  };

  const pollMetrics = async () => {
    try {
      const total = sumMetric(await api.text('/metrics', { signal }), FINISHED_METRIC);
      series.add(Date.now(), total ?? 0);
      chart.update(series);
      chartProblem.replaceChildren();
    } catch (error) {
      if (isAbort(error)) return;
      chartProblem.replaceChildren(errorNotice('Could not read /metrics', error));
    }
  };

  // Ready once the checks are on screen; the chart needs a second poll anyway.
  repeat(() => Promise.all([pollHealth().then(ctx.ready), pollMetrics()]), INTERVAL_MS, signal);
}
