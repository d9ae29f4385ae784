// #/executions: the filtered, paginated list of executions, kept current by
// the live stream. Status changes land in their cells at once; a throttled
// refetch of the page (at most once a second) fills in finish times and
// brings in new executions on the first page.

import { api, isAbort, segment } from '../lib/api.js';
import { el } from '../lib/dom.js';
import { createPager } from '../lib/pager.js';
import { executionsHref } from '../lib/links.js';
import { isTerminal } from '../lib/status.js';
import { followStream } from '../lib/stream.js';
import { throttle } from '../lib/timing.js';
import { errorNotice, liveIndicator } from '../lib/widgets.js';
import { createCounts } from './executions/counts.js';
import { createFilterForm, readFilters } from './executions/filters.js';
import { createExecutionsTable } from './executions/table.js';

const PAGE_SIZE = 50;
const MAX_ROWS = 500; // past this, live inserts stop and the user is offered a reload
const MAX_SINGLE_FETCHES = 20; // finish times fetched one by one per refresh, at most

export async function mount(container, ctx) {
  const { signal } = ctx;
  ctx.setTitle('Executions');
  const filters = readFilters(ctx.query);

  const live = liveIndicator();
  const problem = el('div', { class: 'problem-slot' });
  const table = createExecutionsTable();
  const pager = createPager(() => load());
  const counts = createCounts({ onShowNewest: () => { pager.reset(); load(); } });
  const form = createFilterForm(filters, {
    signal,
    onApply: (chosen) => {
      const hash = executionsHref(chosen);
      if (hash === location.hash) {
        pager.reset();
        load();
      } else {
        location.hash = hash;
      }
    },
  });

  container.append(
    el('div', { class: 'page-head' }, el('h1', { class: 'page-title' }, 'Executions'), live.element),
    form,
    counts.element,
    problem,
    table.wrap,
    pager.element);

  const listQuery = () => ({ ...filters, limit: PAGE_SIZE, cursor: pager.cursor() });
  const recount = () => counts.refresh(table.statuses);

  let loads = 0;
  async function load() {
    const mine = ++loads;
    table.wrap.setAttribute('aria-busy', 'true');
    try {
      const answer = await api.get('/v1/executions', { query: listQuery(), signal });
      if (mine !== loads) return;
      problem.replaceChildren();
      table.replace(answer.executions, 'No executions match these filters.');
      pager.setNext(answer.next_cursor);
      counts.offerNewest(false);
    } catch (error) {
      if (isAbort(error) || mine !== loads) return;
      problem.replaceChildren(errorNotice('Could not load the executions', error));
      table.showMessage('Nothing to show.');
    } finally {
      if (mine === loads) table.wrap.removeAttribute('aria-busy');
      recount();
    }
  }

  // What the next refresh must do, collected from stream events.
  const finishedIds = new Set();
  let lookForNew = false;

  const refresh = throttle(async () => {
    const wantNew = lookForNew && pager.isFirstPage();
    lookForNew = false;
    const finished = [...finishedIds];
    finishedIds.clear();
    const fetchedSince = Date.now();
    try {
      const answer = await api.get('/v1/executions', { query: listQuery(), signal });
      const covered = new Set();
      for (const execution of answer.executions) {
        if (!table.has(execution.id)) continue;
        table.update(execution, fetchedSince);
        covered.add(execution.id);
      }
      if (wantNew) {
        if (table.size() < MAX_ROWS) table.insert(answer.executions);
        else counts.offerNewest(answer.executions.some((e) => !table.has(e.id)));
      }
      // Rows that have scrolled past the page's window (first page) need their own fetch.
      const missing = finished.filter((id) => !covered.has(id) && table.has(id)).slice(0, MAX_SINGLE_FETCHES);
      for (const id of missing) table.update(await api.get(`/v1/executions/${segment(id)}`, { signal }), fetchedSince);
      problem.replaceChildren();
    } catch (error) {
      if (isAbort(error)) return;
      problem.replaceChildren(errorNotice('Live update failed', error));
    }
    recount();
  }, 1000, signal);

  const onEvent = (event) => {
    if (event.type === 'gap') {
      lookForNew = true;
      refresh();
      return;
    }
    if (event.type !== 'execution') return;
    const { execution_id: id, status } = event.data;
    counts.seen(status);
    if (table.has(id)) {
      table.setStatus(id, status);
      if (isTerminal(status)) {
        finishedIds.add(id);
        refresh();
      }
    } else if (pager.isFirstPage() && (!filters.status || filters.status === status)) {
      lookForNew = true;
      refresh();
    }
    recount();
  };

  await load();
  ctx.ready();
  followStream({ workflow: filters.workflow }, {
    signal,
    onEvent,
    onState: (state, detail) => {
      live.set(state, detail);
      // Connected (again): catch up with what changed while no stream was open.
      if (state === 'live') {
        lookForNew = true;
        refresh();
      }
    },
  });
}
