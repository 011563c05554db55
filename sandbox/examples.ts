/**
 * What the sandbox puts into the cluster: the Workflow CRD (raw JSON: client-node's typed
 * serializer would drop `x-kubernetes-*` keys), the `examples/*.yaml` Workflows with their
 * expected phases, and the signals their gates wait for (`flotilla.io/example-signals`).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { parse } from 'yaml';
import type { KubeConfig } from '@kubernetes/client-node';
import { workflowCrd } from '../src/api/crd.js';
import type { JsonValue } from '../src/api/schema.js';
import type { NewWorkflow } from '../src/api/workflow.js';
import { KubeError } from '../src/kube/errors.js';
import { WorkflowClient, WORKFLOW_GROUP, WORKFLOW_PLURAL, WORKFLOW_VERSION } from '../src/kube/workflow-client.js';
import { WorkflowSignals } from '../src/signals/workflows.js';
import { SandboxError } from './errors.js';

export const EXPECTED_PHASE_ANNOTATION = 'flotilla.io/expected-phase';
export const EXAMPLE_SIGNALS_ANNOTATION = 'flotilla.io/example-signals';
/** The namespace examples go to when their file names none. */
export const EXAMPLES_NAMESPACE = 'default';

export interface Example {
  file: string;
  workflow: NewWorkflow;
  expectedPhase: string;
  signals: Record<string, JsonValue>;
}

export interface ApiEndpoint {
  url: string;
  token: string;
  caPem: string;
}

/** POSTs raw JSON; 409 AlreadyExists counts as success (a restarted sandbox on the same state). */
function postJson(api: ApiEndpoint, path: string, body: unknown): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${api.url}${path}`,
      {
        method: 'POST',
        ca: api.caPem,
        headers: { authorization: `Bearer ${api.token}`, 'content-type': 'application/json' },
      },
      (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString()));
        res.on('end', () => {
          const code = res.statusCode ?? 500;
          if (code < 300 || code === 409) resolve();
          else reject(new SandboxError('SubmitFailed', `POST ${path}: ${code} ${text}`));
        });
      },
    );
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

/** Installs the Workflow CRD and waits until the API serves it. */
export async function installCrd(api: ApiEndpoint, kubeConfig: KubeConfig, timeoutMs = 15_000): Promise<void> {
  await postJson(api, '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', workflowCrd());
  const client = new WorkflowClient(kubeConfig);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await client.list({ namespace: EXAMPLES_NAMESPACE });
      return;
    } catch (error) {
      if (Date.now() > deadline)
        throw new SandboxError(
          'CrdNotServed',
          `${WORKFLOW_PLURAL}.${WORKFLOW_GROUP}/${WORKFLOW_VERSION} is not served`,
          { cause: error },
        );
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** Creates a namespace unless it exists (the fleet's leases live in one). */
export async function ensureNamespace(kubeConfig: KubeConfig, name: string): Promise<void> {
  const { CoreV1Api } = await import('@kubernetes/client-node');
  const core = kubeConfig.makeApiClient(CoreV1Api);
  try {
    await core.createNamespace({ body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name } } });
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code !== 409) throw new SandboxError('SubmitFailed', `cannot create namespace ${name}`, { cause: error });
  }
}

/** Reads `examples/*.yaml` (sorted by file name). */
export function loadExamples(dir: string): Example[] {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort();
  return files.map((file) => {
    const workflow = parse(readFileSync(join(dir, file), 'utf8')) as NewWorkflow;
    const annotations = workflow.metadata.annotations ?? {};
    const expectedPhase = annotations[EXPECTED_PHASE_ANNOTATION];
    if (!expectedPhase)
      throw new SandboxError('ExampleInvalid', `${file} has no ${EXPECTED_PHASE_ANNOTATION} annotation`);
    let signals: Record<string, JsonValue> = {};
    const raw = annotations[EXAMPLE_SIGNALS_ANNOTATION];
    if (raw) {
      try {
        signals = JSON.parse(raw) as Record<string, JsonValue>;
      } catch (cause) {
        throw new SandboxError('ExampleInvalid', `${file}: ${EXAMPLE_SIGNALS_ANNOTATION} is not JSON`, { cause });
      }
    }
    workflow.metadata.namespace ??= EXAMPLES_NAMESPACE;
    return { file, workflow, expectedPhase, signals };
  });
}

/** Creates a Workflow; an existing one of that name is left as it is (returns false). */
export async function submitWorkflow(client: WorkflowClient, workflow: NewWorkflow): Promise<boolean> {
  try {
    await client.create(workflow);
    return true;
  } catch (error) {
    if (error instanceof KubeError && error.code === 'AlreadyExists') return false;
    throw new SandboxError(
      'SubmitFailed',
      `cannot create workflow ${workflow.metadata.namespace}/${workflow.metadata.name}`,
      { cause: error },
    );
  }
}

/** Sends every example signal (the gate consumes it when it reaches it). */
export async function sendExampleSignals(kubeConfig: KubeConfig, example: Example): Promise<void> {
  const signals = new WorkflowSignals(kubeConfig);
  const namespace = example.workflow.metadata.namespace ?? EXAMPLES_NAMESPACE;
  for (const [name, value] of Object.entries(example.signals)) {
    await signals.set(namespace, example.workflow.metadata.name, name, { value }, 'flotilla-sandbox');
  }
}
