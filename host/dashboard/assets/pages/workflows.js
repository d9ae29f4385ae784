// #/workflows: every workflow with its stored versions. Choosing a version
// shows its steps as a graph (the same drawing as on an execution, without
// statuses).

import { api, isAbort, segment } from '../lib/api.js';
import { el } from '../lib/dom.js';
import { EMPTY, formatCount, formatTime, shortHash } from '../lib/format.js';
import { executionsHref } from '../lib/links.js';
import { DAG_MARKS, renderDag } from '../lib/dag.js';
import { copyButton, errorNotice, panel } from '../lib/widgets.js';


function hashCell(hash) {
  if (!hash) return el('td', {}, EMPTY);
  return el('td', {}, el('span', { class: 'id-field' }, el('span', { class: 'mono', title: hash }, shortHash(hash)), copyButton(hash, 'content hash')));
}

function versionsTable(workflow) {
  return el('div', { class: 'table-wrap' },
    el('table', { class: 'data-table versions-table', 'data-workflow': workflow.id },
      el('thead', {}, el('tr', {}, ['Version', 'Content hash', 'Created', 'Served by', 'Live executions', ''].map((h) => el('th', { scope: 'col' }, h)))),
      el('tbody', {}, (workflow.versions ?? []).map((version) =>
        el('tr', { class: 'clickable', 'data-content-hash': version.content_hash },
          el('td', {}, version.version),
          hashCell(version.content_hash),
          el('td', { title: version.created_at ?? '' }, formatTime(version.created_at)),
          el('td', { class: 'num' }, `${formatCount(version.served_by_hosts)} host${version.served_by_hosts === 1 ? '' : 's'}`),
          el('td', { class: 'num' }, formatCount(version.live_executions)),
          el('td', {}, el('button', {
            type: 'button',
            class: 'button small',
            'data-action': 'show-graph',
            'data-workflow': workflow.id,
            'data-content-hash': version.content_hash,
            'data-version': version.version,
          }, 'Show graph')))))));
}

function workflowSection(workflow) {
  const source = workflow.versions?.[0]?.source_path;
  return el('section', { class: 'panel workflow', 'data-workflow': workflow.id },
    el('div', { class: 'panel-head' },
      el('h2', { class: 'panel-title mono' }, workflow.id),
      el('a', { class: 'button small', href: executionsHref({ workflow: workflow.id }) }, 'Executions →')),
    source ? el('p', { class: 'muted' }, 'File ', el('span', { class: 'mono' }, source)) : null,
    versionsTable(workflow));
}

export async function mount(container, ctx) {
  const { signal } = ctx;
  ctx.setTitle('Workflows');
  const list = el('div', {}, el('p', { class: 'muted' }, 'Loading the workflows…'));
  const graphBody = el('div', {}, el('p', { class: 'muted' }, 'Choose “Show graph” on a version to see its steps.'));
  const graphPanel = panel('Graph', graphBody);
  container.append(el('div', { class: 'page-head' }, el('h1', { class: 'page-title' }, 'Workflows')), list, graphPanel);

  let graphRequest = 0;
  const showGraph = async ({ workflow, contentHash, version }) => {
    const mine = ++graphRequest;
    graphBody.replaceChildren(el('p', { class: 'muted' }, `Loading ${workflow} version ${version}…`));
    try {
      const definition = await api.get(`/v1/workflows/${segment(workflow)}`, { query: { content_hash: contentHash }, signal });
      if (mine !== graphRequest) return;
      const dag = renderDag(definition.steps ?? []);
      graphBody.replaceChildren(
        el('p', { class: 'graph-caption' },
          el('span', { class: 'mono' }, definition.id), ` version ${definition.version} · `,
          el('span', { class: 'mono', title: definition.content_hash }, shortHash(definition.content_hash)),
          ` · ${(definition.steps ?? []).length} steps`),
        definition.description ? el('p', {}, definition.description) : null,
        el('div', { class: 'dag-wrap' }, dag.element),
        el('p', { class: 'muted small' }, DAG_MARKS));
      graphPanel.scrollIntoView({ block: 'nearest', behavior: 'smooth' });
    } catch (error) {
      if (isAbort(error) || mine !== graphRequest) return;
      graphBody.replaceChildren(errorNotice(`Could not load ${workflow} version ${version}`, error));
    }
  };

  // A click anywhere on a version's row shows its graph, like its button.
  list.addEventListener('click', (event) => {
    if (event.target.closest('a, .copy')) return;
    const button = event.target.closest('tr[data-content-hash]')?.querySelector('[data-action="show-graph"]');
    if (!button) return;
    showGraph({ workflow: button.dataset.workflow, contentHash: button.dataset.contentHash, version: button.dataset.version });
  });

  try {
    const answer = await api.get('/v1/workflows', { signal });
    const workflows = answer.workflows ?? [];
    list.replaceChildren(...(workflows.length
      ? workflows.map(workflowSection)
      : [el('p', { class: 'muted' }, 'No workflow is stored yet.')]));
  } catch (error) {
    if (isAbort(error)) return;
    list.replaceChildren(errorNotice('Could not load the workflows', error));
  }
  ctx.ready();
}
