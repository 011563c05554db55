/**
 * `/workflows/<namespace>/<name>`: the DAG laid out by dagre (layout.ts), each node an element
 * with `data-node-id` and `data-phase` that the stream updates in place; a node's panel (status,
 * inputs, outputs, its pods and Kubernetes Events); the execution events the event sink stored
 * (read again whenever the stream says the workflow changed); the actions (abort, a gate's signal/approval)
 * with the tab's token; a refusal shows the API server's message.
 */
import { html } from 'htm/preact';
import { useEffect, useMemo, useState } from 'preact/hooks';
import { act, actionToken, follow, getJson, setActionToken, type ActionResult } from './api.js';
import { duration, json } from './format.js';
import { GROUP_OFFSET, layoutGraph, type PlacedLevel } from './layout.js';
import type { GraphNode, NodeOutputs, NodeResources, SinkEvents, WorkflowDetail } from './types.js';

function Level(props: {
  level: PlacedLevel;
  phases: Map<string, GraphNode>;
  selected: string;
  onSelect: (id: string) => void;
}) {
  const { level, phases, selected, onSelect } = props;
  return html`<div class="level" style=${`width:${level.width}px;height:${level.height}px`}>
    <svg class="edges" width=${level.width} height=${level.height}>
      ${level.edges.map(
        (e) =>
          html`<polyline
            data-edge=${`${e.from}->${e.to}`}
            marker-end="url(#console-arrow)"
            points=${e.points.map((p) => `${p.x},${p.y}`).join(' ')}
          />`,
      )}
    </svg>
    ${level.nodes.map((placed) => {
      const node = phases.get(placed.node.id) ?? placed.node;
      const counts = node.arrayCounts
        ? Object.entries(node.arrayCounts)
            .map(([phase, n]) => `${phase} ${n}`)
            .join(' · ')
        : '';
      return html`<div
        class=${`node kind-${node.kind}${placed.children ? ' group' : ''}${selected === node.id ? ' selected' : ''}`}
        data-node-id=${node.id}
        data-phase=${node.phase}
        style=${`left:${placed.x}px;top:${placed.y}px;width:${placed.width}px;height:${placed.height}px`}
        onClick=${(event: Event) => {
          event.stopPropagation();
          onSelect(node.id);
        }}
      >
        <div class="node-title"><b>${node.label}</b> <span class="muted">${node.kind}</span></div>
        <div class="node-phase">${node.phase}${counts ? html` <span class="counts">${counts}</span>` : ''}</div>
        ${
          placed.children
            ? html`<div class="nested" style=${`left:${GROUP_OFFSET.x}px;top:${GROUP_OFFSET.y}px`}>
                <${Level} level=${placed.children} phases=${phases} selected=${selected} onSelect=${onSelect} />
              </div>`
            : ''
        }
      </div>`;
    })}
  </div>`;
}

function TokenBox() {
  const [token, setToken] = useState(actionToken());
  const [shown, setShown] = useState(false);
  return html`<details class="token-box">
    <summary>action token: ${token ? 'set' : 'not set'}</summary>
    <label
      >token
      <input
        type=${shown ? 'text' : 'password'}
        name="token"
        value=${token}
        autocomplete="off"
        onInput=${(e: Event) => setToken((e.target as HTMLInputElement).value.trim())}
    /></label>
    <button onClick=${() => setShown(!shown)}>${shown ? 'hide' : 'show'}</button>
    <button class="use-token" onClick=${() => setActionToken(token)}>use</button>
    <p class="muted">
      The console token (printed when the console started) acts as the console's kubeconfig identity; a Kubernetes
      bearer token acts as its own user. Kept in this tab only.
    </p>
  </details>`;
}

function Result(props: { result: ActionResult | null }) {
  const r = props.result;
  if (!r) return '';
  return html`<p
    class=${`action-result ${r.ok ? 'ok' : 'refused'}`}
    data-ok=${String(r.ok)}
    data-status=${String(r.status)}
  >
    ${r.ok ? '' : `refused (${r.status}): `}${r.message}
  </p>`;
}

function GateForm(props: { node: GraphNode; base: string; onResult: (r: ActionResult) => void }) {
  const gate = props.node.gate;
  const [text, setText] = useState('');
  if (!gate) return '';
  const send = async (value: unknown) =>
    props.onResult(await act(`${props.base}/signal`, { signal: gate.signal, value }));
  if (gate.approve)
    return html`<div class="gate">
      <p>${gate.message ?? `approve ${gate.signal}?`}</p>
      <button class="approve" onClick=${() => void send(true)}>Approve</button>
      <button class="reject" onClick=${() => void send(false)}>Reject</button>
    </div>`;
  const parse = (): unknown => {
    if (gate.type === 'string') return text;
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return text;
    }
  };
  return html`<div class="gate">
    <label
      >signal ${gate.signal} (${gate.type})
      <input name="signal-value" value=${text} onInput=${(e: Event) => setText((e.target as HTMLInputElement).value)}
    /></label>
    <button class="send-signal" onClick=${() => void send(parse())}>Send</button>
  </div>`;
}

/** Outputs the controller offloaded to the blob store: read when the panel opens (the console's `--blob-store`). */
function OffloadedOutputs(props: { base: string; nodeId: string; outputRef: string }) {
  const [answer, setAnswer] = useState<NodeOutputs | null>(null);
  const [error, setError] = useState('');
  useEffect(() => {
    getJson<NodeOutputs>(`${props.base}/outputs?id=${encodeURIComponent(props.nodeId)}`)
      .then(setAnswer)
      .catch((e: unknown) => setError(e instanceof Error ? e.message : String(e)));
  }, [props.base, props.nodeId, props.outputRef]);
  if (error) return html`<p class="error">stored at ${props.outputRef}: ${error}</p>`;
  if (answer?.outputs)
    return html`<pre class="offloaded-outputs" data-output-ref=${props.outputRef}>${json(answer.outputs)}</pre>
      <p class="muted">read from ${answer.uri}</p>`;
  if (answer && !answer.configured)
    return html`<pre>stored at ${props.outputRef}</pre>
      <p class="muted">start the console with --blob-store to read them</p>`;
  return html`<pre>stored at ${props.outputRef}</pre>`;
}

function NodePanel(props: { detail: WorkflowDetail; nodeId: string; onResult: (r: ActionResult) => void }) {
  const { detail, nodeId } = props;
  const node = detail.graph.nodes.find((n) => n.id === nodeId);
  const info = detail.nodes[nodeId];
  const [resources, setResources] = useState<NodeResources | null>(null);
  const [error, setError] = useState('');
  const base = `/api/workflows/${encodeURIComponent(detail.row.namespace)}/${encodeURIComponent(detail.row.name)}`;
  const phase = node?.phase ?? '';
  useEffect(() => {
    // Pods and Events are read when the panel opens and when the node's phase changes (not polled).
    getJson<NodeResources>(`${base}/node?id=${encodeURIComponent(nodeId)}`)
      .then(setResources)
      .catch((e: unknown) => setError(e instanceof Error ? e.message : String(e)));
  }, [base, nodeId, phase]);
  if (!node || !info) return html`<aside class="panel"><p class="muted">node ${nodeId} is gone</p></aside>`;
  const s = info.status;
  const waiting = node.gate && (node.phase === 'Running' || node.phase === 'Pending');
  return html`<aside class="panel" data-panel-node=${nodeId}>
    <h2>${node.label} <span class="badge" data-phase=${node.phase}>${node.phase}</span></h2>
    <dl>
      <dt>path</dt>
      <dd>${node.id}</dd>
      <dt>kind</dt>
      <dd>${node.kind}</dd>
      <dt>attempts</dt>
      <dd>${s?.attempts ?? 0}</dd>
      <dt>started</dt>
      <dd>${s?.startedAt ?? '-'}</dd>
      <dt>finished</dt>
      <dd>${s?.finishedAt ?? '-'}</dd>
      <dt>duration</dt>
      <dd>${duration(info.durationMs)}</dd>
      ${
        s?.taskPhase
          ? html`<dt>task phase</dt>
              <dd>${s.taskPhase}</dd>`
          : ''
      }
      ${
        s?.waitingFor
          ? html`<dt>waiting for</dt>
              <dd>${s.waitingFor}</dd>`
          : ''
      }
      <dt>message</dt>
      <dd class="message">${s?.message ?? s?.lastFailure?.message ?? '-'}</dd>
    </dl>
    ${waiting ? html`<${GateForm} node=${node} base=${base} onResult=${props.onResult} />` : ''}
    <h3>Inputs</h3>
    <pre>${json(info.inputs)}</pre>
    <h3>Outputs</h3>
    ${s?.outputRef ? html`<${OffloadedOutputs} base=${base} nodeId=${nodeId} outputRef=${s.outputRef} />` : html`<pre>${json(s?.outputs)}</pre>`}
    <h3>Pods</h3>
    ${error ? html`<p class="error">${error}</p>` : ''}
    <ul class="pods">
      ${(resources?.pods ?? []).map((p) => html`<li>${p.name} · ${p.phase} · attempt ${p.attempt}${p.message ? ` · ${p.message}` : ''}</li>`)}
      ${resources && resources.pods.length === 0 ? html`<li class="muted">none (not a pod task, or cleaned up)</li>` : ''}
    </ul>
    <h3>Events</h3>
    <ul class="events">
      ${(resources?.events ?? []).map(
        (e) =>
          html`<li class=${e.type === 'Warning' ? 'warn' : ''}>
            ${e.lastTimestamp ?? ''} ${e.object} ${e.reason}: ${e.message}${e.count > 1 ? ` (×${e.count})` : ''}
          </li>`,
      )}
    </ul>
  </aside>`;
}

/** The sink's events of the workflow: read when the page opens and again on every change of the workflow (and 2 s after). */
function SinkEventList(props: { base: string; detail: WorkflowDetail }) {
  const [answer, setAnswer] = useState<SinkEvents | null>(null);
  const [error, setError] = useState('');
  useEffect(() => {
    let current = true;
    const read = () =>
      getJson<SinkEvents>(`${props.base}/events`)
        .then((value) => {
          if (!current) return;
          setAnswer(value);
          setError('');
        })
        .catch((e: unknown) => current && setError(e instanceof Error ? e.message : String(e)));
    void read();
    // The publisher sends a change's events in batches, maybe after the status write that brought us
    // here: read once more a little later so the last events of a quiet workflow are not missed.
    const again = setTimeout(() => void read(), 2_000);
    return () => {
      current = false;
      clearTimeout(again);
    };
  }, [props.base, props.detail]);
  return html`<section class="sink-events">
    <h3>Execution events</h3>
    ${error ? html`<p class="error">${error}</p>` : ''}
    ${
      answer && !answer.configured
        ? html`<p class="muted">no event sink configured (start the console with --event-sink)</p>`
        : html`<table class="sink-events-table">
              <thead>
                <tr>
                  <th>time</th>
                  <th>node</th>
                  <th>phase</th>
                  <th>message</th>
                </tr>
              </thead>
              <tbody>
                ${(answer?.events ?? []).map(
                  (e) =>
                    html`<tr data-event-node=${e.nodeId ?? ''} data-event-phase=${e.phase} data-event-scope=${e.scope}>
                      <td>${e.occurredAt}</td>
                      <td>${e.nodeId ?? '(workflow)'}${e.attempt !== null ? ` #${e.attempt}` : ''}</td>
                      <td>${e.phase}</td>
                      <td class="message">${e.message ?? ''}</td>
                    </tr>`,
                )}
              </tbody>
            </table>
            ${answer?.truncated ? html`<p class="muted">only the first ${answer.events.length} events are shown</p>` : ''}`
    }
  </section>`;
}

export function WorkflowPage(props: { namespace: string; name: string }) {
  const [detail, setDetail] = useState<WorkflowDetail | null | undefined>(undefined);
  const [selected, setSelected] = useState('');
  const [result, setResult] = useState<ActionResult | null>(null);
  const [confirming, setConfirming] = useState(false);
  const base = `/api/workflows/${encodeURIComponent(props.namespace)}/${encodeURIComponent(props.name)}`;
  useEffect(
    () =>
      follow<WorkflowDetail | null>(
        `/api/stream/workflows/${encodeURIComponent(props.namespace)}/${encodeURIComponent(props.name)}`,
        setDetail,
      ),
    [props.namespace, props.name],
  );
  // Lay out again only when the graph's shape changes; phases alone re-render in place.
  const shape = detail ? JSON.stringify([detail.graph.nodes.map((n) => [n.id, n.parent]), detail.graph.edges]) : '';
  const placed = useMemo(() => (detail ? layoutGraph(detail.graph.nodes, detail.graph.edges) : null), [shape]);
  const byId = useMemo(() => new Map((detail?.graph.nodes ?? []).map((n) => [n.id, n])), [detail]);
  if (detail === undefined) return html`<p class="muted">loading…</p>`;
  if (detail === null)
    return html`<section>
      <h1>${props.namespace}/${props.name}</h1>
      <p class="muted" data-gone="true">not found (deleted, or never created)</p>
      <${Result} result=${result} />
    </section>`;
  const row = detail.row;
  const abort = async () => {
    setConfirming(false);
    setResult(await act(`${base}/abort`, {}));
  };
  return html`<section class="workflow" data-workflow=${`${row.namespace}/${row.name}`} data-phase=${row.phase}>
    <h1>
      ${row.namespace}/${row.name} <span class="badge" data-phase=${row.phase}>${row.phase}</span>
      <small class="muted"
        >${row.kind} · shard ${row.shard || '-'} · ${row.progress || ''}${row.deleting ? ' · aborting' : ''}</small
      >
    </h1>
    ${detail.message ? html`<p class="message">${detail.message}</p>` : ''}
    <div class="actions">
      ${
        confirming
          ? html`<button class="confirm-abort danger" onClick=${() => void abort()}>Confirm abort</button>
              <button onClick=${() => setConfirming(false)}>Cancel</button>`
          : html`<button class="abort danger" onClick=${() => setConfirming(true)}>Abort</button>`
      }
      <${TokenBox} />
    </div>
    <${Result} result=${result} />
    <svg class="defs" width="0" height="0" aria-hidden="true">
      <defs>
        <marker id="console-arrow" viewBox="0 0 8 8" refX="8" refY="4" markerWidth="7" markerHeight="7" orient="auto">
          <path d="M0,0 L8,4 L0,8 z" />
        </marker>
      </defs>
    </svg>
    <div class="layout">
      <div class="graph" onClick=${() => setSelected('')}>
        ${placed ? html`<${Level} level=${placed} phases=${byId} selected=${selected} onSelect=${setSelected} />` : ''}
      </div>
      ${selected ? html`<${NodePanel} key=${selected} detail=${detail} nodeId=${selected} onResult=${setResult} />` : ''}
    </div>
    ${
      detail.outputs
        ? html`<h3>Outputs</h3>
            <pre>${json(detail.outputs)}</pre>`
        : ''
    }
    <${SinkEventList} base=${base} detail=${detail} />
  </section>`;
}
