// The workflow's steps as a left-to-right graph: each step sits in the column
// of its longest path from a root (its `after` dependencies), edges are curves
// with arrowheads. Drawn once per definition; statuses and the selection are
// updated in place so live updates never move anything.

import { svg } from './dom.js';
import { NOT_STARTED, statusLabel, toneClass } from './status.js';

const NODE_W = 180;
const NODE_H = 48;
const GAP_X = 64;
const GAP_Y = 16;
const PAD = 16;
const LABEL_CHARS = 22;

let instances = 0;

/** What the marks at a node's top right mean, for a caption under the graph. */
export const DAG_MARKS = '“if” marks a step that runs only when its condition holds; “↺” a step that has a compensation.';

const mean = (values) => values.reduce((sum, v) => sum + v, 0) / values.length;

/**
 * Columns and positions for steps [{id, after: [ids]}]. An edge that skips
 * columns runs through placeholder slots in the columns between, so it never
 * crosses a node. Pure: testable without a DOM.
 */
export function layoutDag(steps) {
  const byId = new Map(steps.map((step) => [step.id, step]));
  const parentsOf = (id) => [...new Set(byId.get(id).after ?? [])].filter((p) => p !== id && byId.has(p));

  const depth = new Map();
  const visiting = new Set();
  const depthOf = (id) => {
    if (depth.has(id)) return depth.get(id);
    if (visiting.has(id)) return 0; // a cycle cannot come from a valid definition; cut it
    visiting.add(id);
    let d = 0;
    for (const parent of parentsOf(id)) d = Math.max(d, depthOf(parent) + 1);
    visiting.delete(id);
    depth.set(id, d);
    return d;
  };

  const layers = [];
  for (const step of steps) (layers[depthOf(step.id)] ??= []).push(step.id);

  // Placeholders ("\0" + n, which no step id contains) carry long edges across columns.
  const before = new Map(); // slot -> slots it connects to in the previous column
  const after = new Map(); // slot -> slots it connects to in the next column
  const link = (a, b) => {
    if (!after.has(a)) after.set(a, []);
    if (!before.has(b)) before.set(b, []);
    after.get(a).push(b);
    before.get(b).push(a);
  };
  const edges = [];
  let placeholders = 0;
  for (const step of steps) {
    for (const parent of parentsOf(step.id)) {
      const via = [];
      let previous = parent;
      for (let d = depth.get(parent) + 1; d < depth.get(step.id); d++) {
        const slot = `\0${placeholders++}`;
        layers[d].push(slot);
        via.push(slot);
        link(previous, slot);
        previous = slot;
      }
      link(previous, step.id);
      edges.push({ from: parent, to: step.id, via });
    }
  }

  // Order each column by the mean centred position of its neighbours in the
  // column beside it (barycentre), sweeping right, left and right again; this
  // removes most edge crossings. Ties keep the definition's order.
  const centred = new Map();
  const place = (layer) => layer.forEach((id, i) => centred.set(id, i - (layer.length - 1) / 2));
  layers.forEach(place);
  const reorder = (d, neighbours) => {
    const scored = layers[d].map((id, i) => {
      const around = (neighbours.get(id) ?? []).filter((n) => centred.has(n));
      return { id, i, score: around.length ? mean(around.map((n) => centred.get(n))) : centred.get(id) };
    });
    scored.sort((a, b) => a.score - b.score || a.i - b.i);
    layers[d] = scored.map((entry) => entry.id);
    place(layers[d]);
  };
  for (let d = 1; d < layers.length; d++) reorder(d, before);
  for (let d = layers.length - 2; d >= 0; d--) reorder(d, after);
  for (let d = 1; d < layers.length; d++) reorder(d, before);

  // Columns are never wrapped: a wrapped column would put nodes in the way of
  // edges. A tall graph scrolls in its frame instead.
  const columns = layers;
  const rows = Math.max(1, ...columns.map((column) => column.length));

  const positions = new Map();
  columns.forEach((column, c) => {
    const offset = ((rows - column.length) * (NODE_H + GAP_Y)) / 2;
    column.forEach((id, r) => {
      positions.set(id, { x: PAD + c * (NODE_W + GAP_X), y: PAD + offset + r * (NODE_H + GAP_Y) });
    });
  });

  return {
    positions,
    edges,
    width: PAD * 2 + Math.max(1, columns.length) * NODE_W + Math.max(0, columns.length - 1) * GAP_X,
    height: PAD * 2 + rows * NODE_H + (rows - 1) * GAP_Y,
  };
}

/** Curves between columns, straight through placeholder slots, ending at the target's left edge. */
function edgePath(from, via, to) {
  let x = from.x + NODE_W;
  let y = from.y + NODE_H / 2;
  let path = `M${x},${y}`;
  const curveTo = (x2, y2) => {
    const bend = Math.max(24, (x2 - x) / 2);
    path += ` C${x + bend},${y} ${x2 - bend},${y2} ${x2},${y2}`;
    x = x2;
    y = y2;
  };
  for (const slot of via) {
    curveTo(slot.x, slot.y + NODE_H / 2);
    path += ` L${slot.x + NODE_W},${y}`;
    x = slot.x + NODE_W;
  }
  curveTo(to.x - 2, to.y + NODE_H / 2); // leave room for the arrowhead
  return path;
}

function kindLabel(step) {
  if (step.kind === 'action') return step.action ?? 'action';
  return step.kind ?? 'step';
}

function flagsLabel(step) {
  return [step.if ? 'if' : '', step.compensate ? '↺' : ''].filter(Boolean).join(' ');
}

function describe(step, status) {
  const parts = [`${step.id}: ${kindLabel(step)} step`];
  if (step.compensate) parts.push('compensable');
  if (step.if) parts.push('conditional');
  if (status !== undefined) parts.push(`status ${statusLabel(status)}`);
  if (step.after?.length) parts.push(`after ${step.after.join(', ')}`);
  return parts.join(' · ');
}

function arrowMarker(id, className) {
  return svg('marker', { id, class: className, viewBox: '0 0 10 10', refX: 8, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' },
    svg('path', { d: 'M0,0 L10,5 L0,10 z' }));
}

/**
 * Draws the graph. With `withStatus`, nodes carry data-status and are coloured
 * by setStatuses(map of step id -> status; missing ids are "not started").
 * onSelect(stepId) is called for clicks and Enter/Space on a node.
 */
export function renderDag(steps, { withStatus = false, onSelect = () => {} } = {}) {
  const layout = layoutDag(steps);
  const suffix = ++instances;
  const arrow = `dag-arrow-${suffix}`;
  const activeArrow = `dag-arrow-active-${suffix}`;

  const root = svg('svg', {
    class: 'dag',
    'data-testid': 'dag',
    width: layout.width,
    height: layout.height,
    viewBox: `0 0 ${layout.width} ${layout.height}`,
    role: 'group',
    'aria-label': `Workflow graph of ${steps.length} steps`,
  });
  root.append(svg('defs', {}, arrowMarker(arrow, 'dag-arrow'), arrowMarker(activeArrow, 'dag-arrow active')));

  const edgeLayer = svg('g', { class: 'dag-edges' });
  const edges = layout.edges.map(({ from, to, via }) => {
    const path = svg('path', {
      class: 'dag-edge',
      d: edgePath(layout.positions.get(from), via.map((slot) => layout.positions.get(slot)), layout.positions.get(to)),
      'data-from': from,
      'data-to': to,
      'marker-end': `url(#${arrow})`,
    });
    edgeLayer.append(path);
    return path;
  });

  const nodeLayer = svg('g', { class: 'dag-nodes' });
  const nodes = new Map();
  for (const step of steps) {
    const { x, y } = layout.positions.get(step.id);
    const label = step.id.length > LABEL_CHARS ? `${step.id.slice(0, LABEL_CHARS - 1)}…` : step.id;
    const meta = svg('text', { class: 'dag-meta', x: x + 12, y: y + 36 }, kindLabel(step));
    const title = svg('title', {}, describe(step));
    const node = svg('g', { class: 'dag-node tone-none', 'data-step': step.id, tabindex: 0, role: 'button' },
      title,
      svg('rect', { x, y, width: NODE_W, height: NODE_H, rx: 8 }),
      svg('text', { class: 'dag-label', x: x + 12, y: y + 20 }, label),
      meta,
      svg('text', { class: 'dag-flags', x: x + NODE_W - 10, y: y + 20, 'text-anchor': 'end' }, flagsLabel(step)));
    node.setAttribute('aria-label', describe(step));
    nodeLayer.append(node);
    nodes.set(step.id, { node, meta, title, step });
  }
  root.append(edgeLayer, nodeLayer);

  const pick = (event) => event.target.closest?.('[data-step]')?.dataset.step;
  root.addEventListener('click', (event) => {
    const id = pick(event);
    if (id !== undefined) onSelect(id);
  });
  root.addEventListener('keydown', (event) => {
    if (event.key !== 'Enter' && event.key !== ' ') return;
    const id = pick(event);
    if (id === undefined) return;
    event.preventDefault();
    onSelect(id);
  });

  let selected = null;

  const setStatuses = (statuses) => {
    for (const [id, { node, meta, title, step }] of nodes) {
      const status = statuses.get(id) ?? NOT_STARTED;
      if (node.dataset.status === status) continue;
      node.dataset.status = status;
      node.setAttribute('class', `dag-node ${toneClass(status)}${id === selected ? ' selected' : ''}`);
      meta.textContent = `${kindLabel(step)} · ${statusLabel(status)}`;
      title.textContent = describe(step, status);
      node.setAttribute('aria-label', describe(step, status));
    }
  };

  const select = (id) => {
    selected = id;
    for (const [stepId, { node }] of nodes) node.classList.toggle('selected', stepId === id);
    for (const edge of edges) {
      const active = edge.dataset.from === id || edge.dataset.to === id;
      edge.classList.toggle('active', active);
      edge.setAttribute('marker-end', `url(#${active ? activeArrow : arrow})`);
    }
  };

  if (withStatus) setStatuses(new Map());
  return { element: root, setStatuses, select };
}
