/**
 * The webhook's decisions, as pure functions of an `admission.k8s.io/v1` AdmissionReview request:
 *
 * - {@link mutateWorkflow}: a JSONPatch setting `metadata.labels["flotilla.io/shard"]` to the hash
 *   shard (`hashShardId(namespace, name, S)`, the shard manager's function) when absent or wrong.
 *   A create with `generateName` and no name is left alone: the real API server generates the
 *   name only after mutating admission, and the shard is a hash of the final name, so no label
 *   written here could be right; the manager's labeller labels it once it exists.
 * - {@link validateWorkflowReview}: the Workflow validator; a denial lists every issue as a
 *   `path: message` line (code 400, reason BadRequest, so kubectl prints `Error from server (BadRequest): ... denied the request: <lines>`); an allowed review may carry warnings (a
 *   shard label that is not the hash shard, or not a shard of this fleet).
 */
import { validateWorkflow } from '../api/validation/index.js';
import { SHARD_LABEL, hashShardId } from '../../shard-manager/sharding/hash.js';
import { WebhookError } from './errors.js';

export interface AdmissionRequest {
  uid: string;
  operation: string;
  name: string;
  namespace: string;
  object: unknown;
  /** The plural resource (`workflows`, `pods`); '' when the review does not say. */
  resource: string;
  /** `status` for a status write; '' for the main resource. */
  subResource: string;
}

export interface AdmissionResponse {
  uid: string;
  allowed: boolean;
  status?: { code: number; reason: string; message: string };
  patchType?: 'JSONPatch';
  /** base64 of the JSON Patch text */
  patch?: string;
  warnings?: string[];
}

export type MutateResult = 'patched' | 'unchanged' | 'skipped';
export type ValidateResult = 'allowed' | 'denied';

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Reads the request out of an AdmissionReview body; throws `bad-review` when it is not one. */
export function parseReview(body: unknown): AdmissionRequest {
  if (!isRecord(body) || body['kind'] !== 'AdmissionReview' || !isRecord(body['request'])) {
    throw new WebhookError('BadReview', 'the body is not an AdmissionReview with a request');
  }
  if (body['apiVersion'] !== 'admission.k8s.io/v1')
    throw new WebhookError(
      'BadReview',
      `unsupported AdmissionReview version ${String(body['apiVersion'])} (want admission.k8s.io/v1)`,
    );
  const r = body['request'];
  if (typeof r['uid'] !== 'string' || r['uid'] === '')
    throw new WebhookError('BadReview', 'the AdmissionReview request has no uid');
  const object = r['object'];
  const meta = isRecord(object) && isRecord(object['metadata']) ? object['metadata'] : {};
  const name =
    typeof r['name'] === 'string' && r['name'] !== ''
      ? r['name']
      : typeof meta['name'] === 'string'
        ? meta['name']
        : '';
  const namespace =
    typeof r['namespace'] === 'string' && r['namespace'] !== ''
      ? r['namespace']
      : typeof meta['namespace'] === 'string'
        ? meta['namespace']
        : '';
  const resource =
    isRecord(r['resource']) && typeof r['resource']['resource'] === 'string' ? r['resource']['resource'] : '';
  return {
    uid: r['uid'],
    operation: typeof r['operation'] === 'string' ? r['operation'] : '',
    name,
    namespace,
    object,
    resource,
    subResource: typeof r['subResource'] === 'string' ? r['subResource'] : '',
  };
}

/** The AdmissionReview the webhook answers with. */
export function reviewOf(response: AdmissionResponse): Record<string, unknown> {
  return { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response };
}

function labelsOf(object: unknown): Record<string, unknown> | undefined {
  if (!isRecord(object) || !isRecord(object['metadata'])) return undefined;
  const labels = object['metadata']['labels'];
  return isRecord(labels) ? labels : undefined;
}

/** JSON Pointer escaping of one reference token (RFC 6901): `~` → `~0`, `/` → `~1`. */
export function pointerToken(token: string): string {
  return token.replace(/~/g, '~0').replace(/\//g, '~1');
}

export function mutateWorkflow(
  req: AdmissionRequest,
  shardCount: number,
): { response: AdmissionResponse; result: MutateResult } {
  if (req.name === '' || req.namespace === '') return { response: { uid: req.uid, allowed: true }, result: 'skipped' };
  const shard = hashShardId(req.namespace, req.name, shardCount);
  const labels = labelsOf(req.object);
  if (labels?.[SHARD_LABEL] === shard) return { response: { uid: req.uid, allowed: true }, result: 'unchanged' };
  const ops =
    labels === undefined
      ? [{ op: 'add', path: '/metadata/labels', value: { [SHARD_LABEL]: shard } }]
      : [{ op: 'add', path: `/metadata/labels/${pointerToken(SHARD_LABEL)}`, value: shard }];
  return {
    response: {
      uid: req.uid,
      allowed: true,
      patchType: 'JSONPatch',
      patch: Buffer.from(JSON.stringify(ops)).toString('base64'),
    },
    result: 'patched',
  };
}

export function validateWorkflowReview(
  req: AdmissionRequest,
  shardCount: number,
): { response: AdmissionResponse; result: ValidateResult } {
  const outcome = validateWorkflow(req.object);
  if (!outcome.ok) {
    const message = outcome.issues.map((i) => `${i.path}: ${i.message}`).join('\n');
    return {
      response: { uid: req.uid, allowed: false, status: { code: 400, reason: 'BadRequest', message } },
      result: 'denied',
    };
  }
  const warnings: string[] = [];
  const label = labelsOf(req.object)?.[SHARD_LABEL];
  if (label !== undefined && req.name !== '' && req.namespace !== '') {
    const value = String(label);
    const id = Number(value);
    if (!/^\d+$/.test(value) || id >= shardCount)
      warnings.push(
        `metadata.labels[${SHARD_LABEL}]: "${value}" is not a shard of this fleet (0-${shardCount - 1}); no replica will run this Workflow`,
      );
    else if (value !== hashShardId(req.namespace, req.name, shardCount))
      warnings.push(
        `metadata.labels[${SHARD_LABEL}]: "${value}" is not the hash shard ${hashShardId(req.namespace, req.name, shardCount)}; shard ${value} will run this Workflow`,
      );
  }
  return { response: { uid: req.uid, allowed: true, ...(warnings.length > 0 ? { warnings } : {}) }, result: 'allowed' };
}
