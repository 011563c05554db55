/**
 * Fault scenario "hostile input" (issue 9): 1,000 generated invalid or hostile Workflows, POSTed
 * 16 at a time, mixed with 40 valid example workflows, against a real fleet (2 replicas).
 *
 * What must hold, beyond the suite's invariants: every manifest the oracle says the API server
 * refuses is refused (413, 400 for metadata that does not decode, or 422 naming the same fields); every created invalid one ends Failed
 * with `Valid=False` whose message names the path of its first issue, and a Warning Event says
 * so; every valid one (examples and valid hostile ones) succeeds within the settle budget; no
 * replica restarts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Agent, request, type RequestOptions } from 'node:https';
import type { CoreV1Event, KubeConfig } from '@kubernetes/client-node';
import type { Workflow } from '../../src/api/workflow.js';
import { FaultFleet, WORK_NAMESPACE } from './harness.js';
import { countByKind, generateHostile, type HostileCase } from './hostile.js';
import { publishReport, renderScenarioReport, scenarioOk } from './report.js';

const SEED = Number(process.env['FLOTILLA_HOSTILE_SEED'] ?? 20261125);
const COUNT = 1000;
const CONCURRENCY = 16;
/** Liveness, not speed: generous, because a CI machine's two cores are noisy. */
const SETTLE_MS = 150_000;

interface Answer {
  code: number;
  body: string;
  /** A socket error instead of an answer (ECONNRESET, ...). */
  error?: string;
}

/** POSTs raw JSON bodies with the fleet's credentials over one keep-alive agent. */
async function poster(kc: KubeConfig): Promise<{ post(path: string, body: string): Promise<Answer>; close(): void }> {
  const server = kc.getCurrentCluster()?.server ?? '';
  const template: RequestOptions = { headers: {} };
  await kc.applyToHTTPSOptions(template);
  const agent = new Agent({ ca: template.ca, keepAlive: true, maxSockets: CONCURRENCY });
  const headers = { ...(template.headers as Record<string, string>), 'content-type': 'application/json' };
  const post = (path: string, body: string): Promise<Answer> =>
    new Promise((resolve) => {
      const req = request(`${server}${path}`, { method: 'POST', agent, headers }, (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ code: res.statusCode ?? 0, body: text }));
        res.on('error', (e) => resolve({ code: res.statusCode ?? 0, body: text, error: e.message }));
      });
      req.on('error', (e: NodeJS.ErrnoException) => resolve({ code: 0, body: '', error: e.code ?? e.message }));
      req.end(body);
    });
  return { post, close: () => agent.destroy() };
}

interface StatusBody {
  reason?: string;
  message?: string;
  details?: { causes?: { field?: string }[] };
}

function parseStatus(text: string): StatusBody {
  try {
    return JSON.parse(text) as StatusBody;
  } catch {
    return {};
  }
}

const percentile = (sorted: readonly number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0;

test(
  'hostile input at volume: 1,000 invalid or hostile Workflows among valid ones; refused or Failed with a reason, valid ones succeed, no replica restarts',
  { timeout: 420_000 },
  async () => {
    const cases = generateHostile({ seed: SEED, count: COUNT, namespace: WORK_NAMESPACE });
    const fleet = await FaultFleet.start({ scenario: 'hostile-input', replicas: 2 });
    const http = await poster(fleet.kubeConfig);
    try {
      const problems: string[] = [];
      const path = `/apis/flotilla.io/v1alpha1/namespaces/${WORK_NAMESPACE}/workflows`;
      fleet.inject(
        `${COUNT} hostile manifests (seed ${SEED}, ${(cases.reduce((s, c) => s + c.bytes, 0) / 1e6).toFixed(1)} MB), ${CONCURRENCY} at a time, alongside 40 valid examples at 4/s`,
      );
      const examples = fleet.submitExamples({ count: 40, ratePerSecond: 4, prefix: 'valid' });
      const answers: Answer[] = new Array<Answer>(cases.length);
      let next = 0;
      const submitStarted = Date.now();
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          for (let i = next++; i < cases.length; i = next++) {
            const c = cases[i] as HostileCase;
            const answer = await http.post(path, c.body);
            answers[i] = answer;
            if (answer.code === 201)
              fleet.expect(WORK_NAMESPACE, c.name, c.verdict.expect === 'succeeded' ? 'Succeeded' : 'Failed');
          }
        }),
      );
      const submitSeconds = (Date.now() - submitStarted) / 1000;
      await examples;
      fleet.inject(`all ${COUNT} hostile manifests answered in ${submitSeconds.toFixed(1)} s`);

      // At the door: what the oracle says is refused is refused, naming the same fields.
      let resetsInsteadOf413 = 0;
      cases.forEach((c, i) => {
        const a = answers[i] as Answer;
        const v = c.verdict;
        const what = `${c.id} (${c.kind}/${c.variant})`;
        if (v.expect !== 'refused') {
          if (a.code !== 201)
            problems.push(
              `${what}: expected to be created (then ${v.expect}), got ${a.code || a.error} ${a.body.slice(0, 300)}`,
            );
          return;
        }
        if (v.code === 413 && a.code === 0 && (a.error === 'ECONNRESET' || a.error === 'EPIPE')) {
          resetsInsteadOf413++;
          problems.push(`${what}: the connection was reset instead of a 413 answer`);
          return;
        }
        if (a.code !== v.code) {
          problems.push(`${what}: expected ${v.code} ${v.reason}, got ${a.code || a.error} ${a.body.slice(0, 300)}`);
          return;
        }
        const status = parseStatus(a.body);
        const fields = (status.details?.causes ?? []).map((cause) => cause.field ?? '').filter((f) => f !== '');
        if (v.code === 422 && (fields.length === 0 || fields.sort().join(' ') !== [...v.fields].sort().join(' '))) {
          problems.push(
            `${what}: 422 names [${fields.join(', ')}], the oracle [${v.fields.join(', ')}]: ${status.message?.slice(0, 300) ?? ''}`,
          );
        }
      });

      const left = await fleet.settle(SETTLE_MS);
      const listed = (await fleet.client.list({ namespace: WORK_NAMESPACE })).items;
      const byName = new Map<string, Workflow>(listed.map((w) => [String(w.metadata.name), w]));
      const events = (await fleet.client.core.listNamespacedEvent({ namespace: WORK_NAMESPACE })).items;
      const eventsFor = new Map<string, CoreV1Event[]>();
      for (const e of events) {
        const name = e.involvedObject.name ?? '';
        eventsFor.set(name, [...(eventsFor.get(name) ?? []), e]);
      }

      // After the settle: refused ones do not exist; invalid ones Failed with Valid=False naming the path, and an Event.
      const outcomes: string[] = [];
      cases.forEach((c, i) => {
        const a = answers[i] as Answer;
        const v = c.verdict;
        const what = `${c.id} (${c.kind}/${c.variant})`;
        const stored = byName.get(c.name);
        if (v.expect === 'refused' || a.code !== 201) {
          outcomes.push(a.code === 201 ? 'created' : 'refused');
          if (stored) problems.push(`${what}: refused (${a.code || a.error}) yet it exists`);
          return;
        }
        const phase = stored?.status?.phase ?? 'missing';
        outcomes.push(phase === 'Failed' || phase === 'Succeeded' ? phase.toLowerCase() : `ended ${phase}`);
        if (v.expect === 'succeeded') {
          if (phase !== 'Succeeded')
            problems.push(`${what}: valid, ended ${phase}: ${stored?.status?.message?.slice(0, 300) ?? ''}`);
          return;
        }
        const first = v.issues[0]?.path ?? '';
        const valid = stored?.status?.conditions?.find((cond) => cond.type === 'Valid');
        if (phase !== 'Failed' || valid?.status !== 'False' || !(valid.message ?? '').includes(`${first}: `)) {
          problems.push(
            `${what}: expected Failed with Valid=False naming ${first}; got ${phase}, Valid=${valid?.status ?? 'none'} ${valid?.message?.slice(0, 200) ?? ''}`,
          );
        }
        // One Event object per workflow: a repeat (a round redone after a conflict or a handover) only raises its count.
        const warnings = (eventsFor.get(c.name) ?? []).filter(
          (e) => e.type === 'Warning' && e.reason === 'InvalidSpec',
        );
        if (warnings.length !== 1 || !(warnings[0]?.message ?? '').includes(first)) {
          problems.push(
            `${what}: expected one InvalidSpec Warning Event naming ${first}; events: ${(eventsFor.get(c.name) ?? []).map((e) => `${e.reason ?? ''} ${e.message?.slice(0, 80) ?? ''}`).join(' | ') || 'none'}`,
          );
        }
      });

      // How long the valid ones took, creation to finish (a note, not an assertion).
      const took = (names: readonly string[]): number[] =>
        names
          .map((n) => byName.get(n))
          .filter(
            (w): w is Workflow =>
              w?.status?.phase === 'Succeeded' &&
              w.status.finishedAt !== undefined &&
              w.metadata.creationTimestamp !== undefined,
          )
          .map(
            (w) => (Date.parse(w.status?.finishedAt ?? '') - Date.parse(String(w.metadata.creationTimestamp))) / 1000,
          )
          .sort((a, b) => a - b);
      const exampleTimes = took(listed.map((w) => String(w.metadata.name)).filter((n) => n.startsWith('valid-')));
      const hostileValid = took(cases.filter((c) => c.verdict.expect === 'succeeded').map((c) => c.name));
      const expected = { refused: 0, failed: 0, succeeded: 0 };
      for (const c of cases) expected[c.verdict.expect]++;
      const notes = [
        `hostile seed ${SEED}: ${expected.refused} refused at the door, ${expected.failed} created invalid (expected Failed), ${expected.succeeded} valid hostile (expected Succeeded); submitted in ${submitSeconds.toFixed(1)} s`,
        ...countByKind(cases, (i) => outcomes[i] ?? 'unknown').map((line) => `by kind: ${line}`),
        `over-limit bodies answered 413: ${cases.filter((c, i) => c.verdict.expect === 'refused' && c.verdict.code === 413 && answers[i]?.code === 413).length}; connection reset instead: ${resetsInsteadOf413}`,
        `creation→finish, 40 valid examples: p50 ${percentile(exampleTimes, 0.5).toFixed(1)} s, max ${percentile(exampleTimes, 1).toFixed(1)} s; ${hostileValid.length} valid hostile: p50 ${percentile(hostileValid, 0.5).toFixed(1)} s, max ${percentile(hostileValid, 1).toFixed(1)} s`,
        `${left} workflows not terminal after the ${SETTLE_MS / 1000} s settle${left > 0 ? `: ${fleet.pending().slice(0, 5).join(', ')}` : ''}`,
      ];
      if (problems.length > 0) notes.push(`${problems.length} problems, first: ${problems.slice(0, 3).join(' | ')}`);
      const report = await fleet.report(notes);
      publishReport(report);
      if (problems.length > 0 || left > 0 || !scenarioOk(report)) {
        // What the processes said, to tell a stalled fleet from a wrong verdict.
        for (const name of fleet.replicaNames())
          process.stdout.write(
            `# ${name} stderr:\n${fleet.replica(name).stderr().slice(-3000).replace(/^/gm, '#   ')}\n`,
          );
        process.stdout.write(`# manager stderr:\n${fleet.manager.stderr().slice(-2000).replace(/^/gm, '#   ')}\n`);
        for (const key of fleet.pending().slice(0, 5)) {
          const w = byName.get(key.split('/')[1] ?? '');
          const nodes = Object.entries(w?.status?.nodes ?? {}).map(
            ([id, n]) => `${id}=${n.phase ?? '?'}${n.message ? ` (${n.message.slice(0, 60)})` : ''}`,
          );
          process.stdout.write(
            `# pending ${key}: ${w?.status?.phase ?? 'no status'}, shard ${w?.metadata.labels?.['flotilla.io/shard'] ?? 'none'}, nodes ${nodes.join(', ').slice(0, 600)}\n`,
          );
        }
      }
      assert.deepEqual(fleet.replicaRestarts(), [], 'no replica restarts');
      assert.ok(scenarioOk(report), renderScenarioReport(report));
      assert.equal(left, 0, `not terminal in time: ${fleet.pending().slice(0, 10).join(', ')}`);
      assert.deepEqual(problems.slice(0, 40), [], `${problems.length} problems`);
    } finally {
      http.close();
      await fleet.stop();
    }
  },
);
