// Finished executions per 5 s on this host, from the deltas of a counter that
// is polled every 5 s; the last 15 minutes are kept in memory and drawn as bars.

import { el, setText, svg } from './dom.js';
import { formatClock, formatCount } from './format.js';

export const INTERVAL_MS = 5000;
const WINDOW_MS = 15 * 60 * 1000;
const SLOTS = WINDOW_MS / INTERVAL_MS;
const SLOT_W = 4;
const CHART_H = 100;

/** Keeps (time, count per 5 s) points from successive counter totals. */
export class ThroughputSeries {
  constructor() {
    this.points = [];
    this.previous = null;
  }

  add(at, total) {
    if (this.previous !== null) {
      const elapsed = at - this.previous.at;
      // A smaller total means the host restarted: count from zero again.
      const delta = total >= this.previous.total ? total - this.previous.total : total;
      const perInterval = elapsed > 0 ? (delta * INTERVAL_MS) / elapsed : delta;
      this.points.push({ at, count: Math.round(perInterval * 10) / 10 });
      while (this.points.length && this.points[0].at < at - WINDOW_MS) this.points.shift();
    }
    this.previous = { at, total };
  }
}

/** The chart: bars right-aligned (newest at the right), labels in HTML around it. */
export function createThroughputChart() {
  const bars = svg('g', { class: 'throughput-bars' });
  const chart = svg('svg', {
    class: 'throughput',
    viewBox: `0 0 ${SLOTS * SLOT_W} ${CHART_H}`,
    preserveAspectRatio: 'none',
    role: 'img',
    'aria-label': 'Finished executions per 5 seconds on this host, last 15 minutes',
  },
  svg('line', { class: 'throughput-base', x1: 0, x2: SLOTS * SLOT_W, y1: CHART_H, y2: CHART_H }),
  bars);
  const peak = el('span', { class: 'muted' });
  const summary = el('p', { class: 'throughput-summary' });
  const element = el('figure', { class: 'throughput-figure' },
    el('div', { class: 'throughput-scale' }, peak),
    chart,
    el('div', { class: 'throughput-axis muted' }, el('span', {}, '−15 min'), el('span', {}, 'now')),
    el('figcaption', {}, 'finished per 5 s, this host'),
    summary);

  const update = (series) => {
    const points = series.points;
    const max = Math.max(1, ...points.map((p) => p.count));
    const offset = SLOTS - points.length;
    bars.replaceChildren(...points.map((point, i) => {
      const h = (point.count / max) * (CHART_H - 4);
      return svg('rect', {
        class: 'throughput-bar',
        x: (offset + i) * SLOT_W + 0.5,
        y: CHART_H - h,
        width: SLOT_W - 1,
        height: h,
      }, svg('title', {}, `${formatClock(new Date(point.at).toISOString())}: ${formatCount(point.count)} finished`));
    }));
    setText(peak, points.length ? `peak ${formatCount(max)}` : '');
    if (points.length === 0) {
      setText(summary, 'Measuring: the first bar appears after the next 5 s poll.');
      return;
    }
    const total = points.reduce((sum, p) => sum + p.count, 0);
    setText(summary, `Last 5 s: ${formatCount(points.at(-1).count)} · over ${Math.round((points.length * INTERVAL_MS) / 60000) || '<1'} min: ${formatCount(Math.round(total))}`);
  };

  update(new ThroughputSeries());
  return { element, update };
}
