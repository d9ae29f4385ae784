// The strip above the table: statuses of the rows on this page, and the status
// changes seen on the stream since the page opened. It never counts the whole
// history (the API deliberately has no such count).

import { el } from '../../lib/dom.js';
import { formatClock, formatCount } from '../../lib/format.js';
import { EXECUTION_STATUSES, toneClass } from '../../lib/status.js';

function tally(statuses) {
  const counts = new Map();
  for (const status of statuses) counts.set(status, (counts.get(status) ?? 0) + 1);
  return counts;
}

function chips(counts) {
  const known = EXECUTION_STATUSES.filter((s) => counts.has(s));
  const others = [...counts.keys()].filter((s) => !EXECUTION_STATUSES.includes(s));
  const items = [...known, ...others].map((status) =>
    el('li', { class: `count-chip ${toneClass(status)}` }, el('span', { class: 'count-value' }, formatCount(counts.get(status))), ` ${status}`));
  return items.length ? items : [el('li', { class: 'muted' }, 'none')];
}

/** onShowNewest runs when the user asks for the rows that no longer fit live. */
export function createCounts({ onShowNewest }) {
  const pageList = el('ul', { class: 'count-list' });
  const liveList = el('ul', { class: 'count-list' });
  const since = el('span', {}, `Seen live since ${formatClock(new Date().toISOString())}`);
  const newest = el('button', { type: 'button', class: 'button small', 'data-action': 'show-newest', hidden: true }, 'Newer executions arrived: show them');
  newest.addEventListener('click', onShowNewest);
  const element = el('div', { class: 'counts' },
    el('div', { class: 'counts-row' }, el('span', { class: 'counts-label' }, 'On this page'), pageList),
    el('div', { class: 'counts-row' }, el('span', { class: 'counts-label' }, since), liveList, newest));
  const live = new Map();
  let scheduled = false;
  let pageStatuses = () => [];

  const render = () => {
    scheduled = false;
    pageList.replaceChildren(...chips(tally(pageStatuses())));
    liveList.replaceChildren(...chips(live));
  };

  return {
    element,
    /** Recounts on the next frame, so a burst of events costs one render. */
    refresh(statusesOnPage) {
      pageStatuses = statusesOnPage;
      if (scheduled) return;
      scheduled = true;
      requestAnimationFrame(render);
    },
    seen(status) {
      live.set(status, (live.get(status) ?? 0) + 1);
    },
    offerNewest(shown) {
      newest.hidden = !shown;
    },
  };
}
