/** `/workflows`: both kinds, filtered by namespace, phase, shard, label and kind, newest first, paged. */
import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { follow } from './api.js';
import { ago } from './format.js';
import type { WorkflowPage } from './types.js';

const PHASES = ['', 'Pending', 'Running', 'Succeeded', 'Failed', 'Aborted', 'TimedOut'];
const FIELDS = ['namespace', 'phase', 'shard', 'label', 'kind'] as const;

function readQuery(): URLSearchParams {
  return new URLSearchParams(location.search);
}

export function WorkflowsPage() {
  const [query, setQuery] = useState(readQuery);
  const [page, setPage] = useState<WorkflowPage | null>(null);
  const queryText = query.toString();
  useEffect(() => {
    history.replaceState(null, '', `/workflows${queryText ? `?${queryText}` : ''}`);
    return follow<WorkflowPage>(`/api/stream/workflows?${queryText}`, setPage);
  }, [queryText]);
  const set = (key: string, value: string) => {
    const next = new URLSearchParams(query);
    if (value) next.set(key, value);
    else next.delete(key);
    if (key !== 'page') next.delete('page');
    setQuery(next);
  };
  const onInput = (key: string) => (event: Event) => set(key, (event.target as HTMLInputElement).value.trim());
  const pages = page ? Math.max(1, Math.ceil(page.total / page.pageSize)) : 1;
  return html`<section class="workflows">
    <h1>Workflows</h1>
    <form class="filters" onSubmit=${(e: Event) => e.preventDefault()}>
      ${FIELDS.map((field) =>
        field === 'phase'
          ? html`<label
              >phase
              <select name="phase" value=${query.get('phase') ?? ''} onChange=${onInput('phase')}>
                ${PHASES.map((p) => html`<option value=${p}>${p || 'any'}</option>`)}
              </select></label
            >`
          : field === 'kind'
            ? html`<label
                >kind
                <select name="kind" value=${query.get('kind') ?? ''} onChange=${onInput('kind')}>
                  <option value="">any</option>
                  <option value="Workflow">Workflow</option>
                  <option value="FlyteWorkflow">FlyteWorkflow</option>
                </select></label
              >`
            : html`<label
                >${field}
                <input
                  name=${field}
                  value=${query.get(field) ?? ''}
                  placeholder=${field === 'label' ? 'key=value' : 'any'}
                  onChange=${onInput(field)}
              /></label>`,
      )}
    </form>
    ${
      page === null
        ? html`<p class="muted">loading…</p>`
        : html`<p class="muted">
              ${page.total}
              workflow${page.total === 1 ? '' : 's'}${
                page.flyteWatched ? '' : ' (FlyteWorkflow CRD not installed: native Workflows only)'
              }
            </p>
            <table class="workflow-list">
              <thead>
                <tr>
                  <th>namespace</th>
                  <th>name</th>
                  <th>kind</th>
                  <th>phase</th>
                  <th>shard</th>
                  <th>progress</th>
                  <th>created</th>
                </tr>
              </thead>
              <tbody>
                ${page.rows.map(
                  (r) =>
                    html`<tr data-workflow=${`${r.namespace}/${r.name}`} data-phase=${r.phase}>
                      <td>${r.namespace}</td>
                      <td>
                        <a href=${`/workflows/${encodeURIComponent(r.namespace)}/${encodeURIComponent(r.name)}`}
                          >${r.name}</a
                        >
                      </td>
                      <td>${r.kind}</td>
                      <td>
                        <span class="badge" data-phase=${r.phase}>${r.phase}${r.deleting ? ' (aborting)' : ''}</span>
                      </td>
                      <td>${r.shard || '-'}</td>
                      <td>${r.progress || '-'}</td>
                      <td title=${r.createdAt}>${ago(r.createdAt)}</td>
                    </tr>`,
                )}
              </tbody>
            </table>
            <div class="pager">
              <button disabled=${page.page <= 1} onClick=${() => set('page', String(page.page - 1))}>‹ newer</button>
              <span>page ${page.page} of ${pages}</span>
              <button disabled=${page.page >= pages} onClick=${() => set('page', String(page.page + 1))}>
                older ›
              </button>
            </div>`
    }
  </section>`;
}
