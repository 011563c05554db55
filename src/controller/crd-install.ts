/**
 * `--install-crd`: creates the Workflow CRD with a raw JSON body (client-node's typed serializer
 * drops `x-kubernetes-preserve-unknown-fields`), treats AlreadyExists as done, and waits until the
 * server reports it Established.
 */
import { request, type RequestOptions } from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';
import { workflowCrd } from '../api/crd.js';
import { KubeError } from '../kube/errors.js';

const CRD_PATH = '/apis/apiextensions.k8s.io/v1/customresourcedefinitions';

async function call(
  kc: KubeConfig,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; json: unknown }> {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new KubeError('Invalid', 'the kubeconfig has no current cluster');
  const url = new URL(path, cluster.server);
  const opts: RequestOptions = { method, headers: { 'content-type': 'application/json', accept: 'application/json' } };
  await kc.applyToHTTPSOptions(opts);
  return new Promise((resolve, reject) => {
    const req = request(url, opts, (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk.toString()));
      res.on('end', () => {
        let json: unknown;
        try {
          json = text ? JSON.parse(text) : undefined;
        } catch {
          json = text;
        }
        resolve({ status: res.statusCode ?? 0, json });
      });
    });
    req.on('error', (cause) => reject(new KubeError('Unavailable', `${method} ${path}`, { cause })));
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

function established(json: unknown): boolean {
  const conditions =
    (json as { status?: { conditions?: Array<{ type?: string; status?: string }> } } | undefined)?.status?.conditions ??
    [];
  return conditions.some((c) => c.type === 'Established' && c.status === 'True');
}

/** Creates the Workflow CRD (or `options.crd`, e.g. the FlyteWorkflow CRD) when missing and waits for Established. */
export async function installWorkflowCrd(
  kc: KubeConfig,
  options: { timeoutMs?: number; crd?: Record<string, unknown> } = {},
): Promise<'created' | 'existed'> {
  const crd = (options.crd ?? workflowCrd()) as { metadata: { name: string } };
  const created = await call(kc, 'POST', CRD_PATH, crd);
  let outcome: 'created' | 'existed';
  if (created.status === 201 || created.status === 200) outcome = 'created';
  else if (created.status === 409) outcome = 'existed';
  else
    throw new KubeError(
      created.status === 403 ? 'Forbidden' : 'Invalid',
      `creating the CRD ${crd.metadata.name}: HTTP ${created.status} ${JSON.stringify(created.json).slice(0, 500)}`,
      { status: created.status },
    );
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  for (;;) {
    const got = await call(kc, 'GET', `${CRD_PATH}/${crd.metadata.name}`);
    if (got.status === 200 && established(got.json)) return outcome;
    if (Date.now() > deadline)
      throw new KubeError(
        'Unavailable',
        `the CRD ${crd.metadata.name} is not Established after ${options.timeoutMs ?? 30_000} ms`,
      );
    await new Promise((r) => setTimeout(r, 200));
  }
}
