// The execution's timeline: one row per step and per compensation, one bar per
// attempt, dashed lines for the wait before a retry. One SVG of plain shapes
// and one click listener for all of it, so 5,000 attempts stay fast.

import { el, svg } from './dom.js';
import { errorText, formatDuration, formatOffset, parseTime } from './format.js';
import { toneClass } from './status.js';

const LABEL_W = 176;
const ROW_H = 24;
const BAR_H = 12;
const AXIS_H = 28;
const PAD_RIGHT = 20;
const MIN_CHART_W = 420;
const LABEL_CHARS = 22;
const TICK_SPACING_PX = 110;

// Tick intervals in ms that read well: 1, 2, 5 ... then minutes, hours, days.
const TICK_STEPS = [
  1, 2, 5, 10, 20, 50, 100, 200, 500, 1e3, 2e3, 5e3, 1e4, 15e3, 3e4, 6e4, 12e4, 3e5, 6e5, 9e5, 18e5,
  36e5, 72e5, 108e5, 216e5, 432e5, 864e5, 1728e5, 6048e5,
];

// Statuses after which a step has no attempt under way.
const SETTLED = new Set(['completed', 'failed', 'skipped', 'compensated', 'cancelled', 'retrying']);

function tickStep(span, chartWidth) {
  const wanted = Math.max(2, Math.floor(chartWidth / TICK_SPACING_PX));
  return TICK_STEPS.find((step) => span / step <= wanted) ?? span / wanted;
}

/** Labels at the ends of the axis are aligned inwards so they are never cut off. */
function tickAnchor(offsetPx, chartWidth) {
  if (offsetPx < 30) return 'start';
  return offsetPx > chartWidth - 30 ? 'end' : 'middle';
}

function truncate(text) {
  return text.length > LABEL_CHARS ? `${text.slice(0, LABEL_CHARS - 1)}…` : text;
}

/** The time range shown: creation to finish (or now), widened to every attempt and scheduled retry. */
function timeRange(execution, rows, now) {
  let start = parseTime(execution.created_at) ?? now;
  let end = parseTime(execution.finished_at) ?? now;
  for (const { record } of rows) {
    if (!record) continue;
    for (const attempt of record.history ?? []) {
      start = Math.min(start, parseTime(attempt.started_at) ?? start);
      end = Math.max(end, parseTime(attempt.finished_at) ?? end);
    }
    if (record.status === 'retrying') end = Math.max(end, parseTime(record.next_attempt_at) ?? end);
  }
  return { start, end: Math.max(end, start + 1) };
}

function barTitle(row, attempt, status, durationMs, offsetMs, error) {
  const lines = [`${row.label} · attempt ${attempt} · ${status} · ${formatDuration(durationMs)} (at ${formatOffset(offsetMs)})`];
  if (error) lines.push(errorText(error));
  return lines.join('\n');
}

/**
 * rows: [{label, step, kind: 'step'|'compensation', record: step JSON or null}]
 * onSelect(stepId) runs for clicks on a row, its label or its bars.
 */
export function createGantt({ onSelect, signal }) {
  const element = el('div', { class: 'gantt-wrap' });
  let selected = null;
  let last = null;

  element.addEventListener('click', (event) => {
    const id = event.target.closest?.('[data-step]')?.dataset.step;
    if (id !== undefined) onSelect(id);
  });

  const draw = (execution, rows) => {
    const now = Date.now();
    const finishedAt = parseTime(execution.finished_at);
    const { start, end } = timeRange(execution, rows, now);
    const span = end - start;
    const chartWidth = Math.max(MIN_CHART_W, (element.clientWidth || 960) - LABEL_W - PAD_RIGHT);
    const width = LABEL_W + chartWidth + PAD_RIGHT;
    const height = AXIS_H + rows.length * ROW_H + 8;
    const x = (t) => LABEL_W + ((t - start) / span) * chartWidth;

    const root = svg('svg', {
      class: 'gantt',
      'data-testid': 'gantt',
      width,
      height,
      viewBox: `0 0 ${width} ${height}`,
      role: 'group',
      'aria-label': `Timeline of ${rows.length} rows from creation to ${finishedAt ? 'finish' : 'now'}`,
    });
    const content = document.createDocumentFragment();

    rows.forEach((row, i) => {
      const y = AXIS_H + i * ROW_H;
      const bandClass = `gantt-band${i % 2 ? ' odd' : ''}${row.kind === 'step' && row.step === selected ? ' selected' : ''}`;
      content.append(
        svg('rect', { class: bandClass, x: 0, y, width, height: ROW_H, 'data-step': row.step, 'data-kind': row.kind }),
        svg('text', { class: `gantt-label ${row.kind}`, x: 10, y: y + ROW_H / 2 + 4, 'data-step': row.step },
          svg('title', {}, row.label), truncate(row.label)));
    });

    const step = tickStep(span, chartWidth);
    for (let t = 0; t <= span + 1e-9; t += step) {
      const tx = x(start + t);
      content.append(
        svg('line', { class: 'gantt-grid', x1: tx, x2: tx, y1: AXIS_H - 6, y2: height - 8 }),
        svg('text', { class: 'gantt-tick', x: tx, y: AXIS_H - 10, 'text-anchor': tickAnchor(tx - LABEL_W, chartWidth) }, formatOffset(t)));
    }

    rows.forEach((row, i) => {
      const record = row.record;
      if (!record) return;
      const mid = AXIS_H + i * ROW_H + ROW_H / 2;
      const kind = row.kind === 'compensation' ? 'compensation' : null;
      let previousEnd = null;
      let lastAttempt = 0;
      const history = [...(record.history ?? [])].sort((a, b) => a.attempt - b.attempt);
      for (const attempt of history) {
        const started = parseTime(attempt.started_at) ?? start;
        const finished = parseTime(attempt.finished_at) ?? started;
        if (previousEnd !== null && started > previousEnd) {
          content.append(svg('line', { class: 'gantt-wait', x1: x(previousEnd), x2: x(started), y1: mid, y2: mid }));
        }
        content.append(svg('rect', {
          class: `gantt-bar ${toneClass(attempt.status)}`,
          x: x(started),
          y: mid - BAR_H / 2,
          width: Math.max(2, x(finished) - x(started)),
          height: BAR_H,
          'data-step': row.step,
          'data-attempt': attempt.attempt,
          'data-kind': kind,
        }, svg('title', {}, barTitle(row, attempt.attempt, attempt.status, attempt.duration_ms ?? finished - started, started - start, attempt.error))));
        previousEnd = finished;
        lastAttempt = attempt.attempt;
      }

      const nextAttempt = parseTime(record.next_attempt_at);
      if (record.status === 'retrying' && nextAttempt !== null && previousEnd !== null) {
        content.append(svg('line', { class: 'gantt-wait scheduled', x1: x(previousEnd), x2: x(nextAttempt), y1: mid, y2: mid },
          svg('title', {}, `${row.label} · attempt ${lastAttempt + 1} due at ${formatOffset(nextAttempt - start)}`)));
      } else if (!SETTLED.has(record.status)) {
        // The attempt under way has no history entry yet: draw it up to now.
        const began = Math.max(previousEnd ?? -Infinity, parseTime(record.started_at) ?? start, nextAttempt ?? -Infinity);
        const until = finishedAt ?? now;
        if (until > began) {
          content.append(svg('rect', {
            class: `gantt-bar ${toneClass('running')} under-way`,
            x: x(began),
            y: mid - BAR_H / 2,
            width: Math.max(2, x(until) - x(began)),
            height: BAR_H,
            'data-step': row.step,
            'data-attempt': lastAttempt + 1,
            'data-kind': kind,
          }, svg('title', {}, barTitle(row, lastAttempt + 1, record.status, until - began, began - start, null))));
        }
      }
    });

    if (finishedAt === null) {
      content.append(svg('line', { class: 'gantt-now', x1: x(now), x2: x(now), y1: AXIS_H - 6, y2: height - 8 }));
    }
    root.append(content);
    element.replaceChildren(root);
  };

  const render = (execution, rows) => {
    last = { execution, rows };
    draw(execution, rows);
  };

  const select = (id) => {
    selected = id;
    for (const band of element.querySelectorAll('.gantt-band')) {
      band.classList.toggle('selected', band.dataset.kind === 'step' && band.dataset.step === id);
    }
  };

  let resizeTimer = null;
  const onResize = () => {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(() => last && draw(last.execution, last.rows), 150);
  };
  window.addEventListener('resize', onResize, { signal });
  signal?.addEventListener('abort', () => clearTimeout(resizeTimer), { once: true });

  return { element, render, select };
}
