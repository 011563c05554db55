/**
 * `/mutate-pods`: injects the secrets a task Pod asks for (the `flotilla.io/secrets` annotation its
 * plugin wrote, src/api/secrets.ts) from Kubernetes Secrets, as FlytePropeller's secret webhook does
 * with its Kubernetes injector (v1.16.8, written from its behaviour):
 *
 * - `ENV_VAR`: every container and init container gets `_FSEC_<GROUP>_<KEY>` (upper case) from a
 *   `secretKeyRef` (Secret `group`, key `key`), `envVar` as a second name for it, and
 *   `FLYTE_SECRETS_ENV_PREFIX=_FSEC_` (how flytekit finds it);
 * - `FILE` and `ANY`: a Secret volume per group (items: each asked key at its lower-case name),
 *   mounted read-only at `/etc/flyte/secrets/<group lower case>` in every container, with
 *   `FLYTE_SECRETS_DEFAULT_DIR=/etc/flyte/secrets` and `FLYTE_SECRETS_FILE_PREFIX=""`, and `envVar`
 *   set to the file's path;
 * - a variable a container already has is not added again; a volume of the same Secret gains items.
 *
 * Unlike Flyte (which marks the references optional, so a missing secret surfaces only when the task
 * reads it), each Secret and key is looked up first: a missing one **denies** the Pod (code 400)
 * with a message naming the namespace, Secret and key, which the pod plugin turns into a permanent
 * node failure. A lookup that fails (API server unreachable) answers 503, which the plugin retries.
 */
import { createHash } from 'node:crypto';
import type { V1Container, V1EnvVar, V1Pod, V1Volume } from '@kubernetes/client-node';
import type { SecretRequest } from '../api/schema.js';
import { SECRETS_ANNOTATION, parseSecretsAnnotation } from '../api/secrets.js';
import type { AdmissionRequest, AdmissionResponse } from './review.js';

export const ENV_PREFIX = '_FSEC_';
export const SECRETS_DIR = '/etc/flyte/secrets';
export const ENV_PREFIX_VAR = 'FLYTE_SECRETS_ENV_PREFIX';
export const DEFAULT_DIR_VAR = 'FLYTE_SECRETS_DEFAULT_DIR';
export const FILE_PREFIX_VAR = 'FLYTE_SECRETS_FILE_PREFIX';

/** The keys a Secret holds, never its values; `undefined` when it does not exist. */
export interface SecretKeyReader {
  keys(namespace: string, name: string): Promise<readonly string[] | undefined>;
}

export type PodMutateResult = 'patched' | 'unchanged' | 'denied' | 'error';

/** The env var a secret is exposed under (Flyte's naming). */
export function secretEnvName(secret: SecretRequest): string {
  return `${ENV_PREFIX}${secret.group}_${secret.key}`.toUpperCase();
}

/** The file a FILE secret is mounted at. */
export function secretFilePath(secret: SecretRequest): string {
  return `${SECRETS_DIR}/${secret.group.toLowerCase()}/${secret.key.toLowerCase()}`;
}

/** A DNS-label volume name per Secret (Flyte base32-encodes the group; ours must fit 63 chars). */
export function secretVolumeName(group: string): string {
  return `flyte-secret-${createHash('sha256').update(group).digest('hex').slice(0, 16)}`;
}

function addEnv(container: V1Container, env: V1EnvVar): V1Container {
  if ((container.env ?? []).some((e) => e.name === env.name)) return container;
  return { ...container, env: [...(container.env ?? []), env] };
}

function addMount(container: V1Container, name: string, mountPath: string): V1Container {
  if ((container.volumeMounts ?? []).some((m) => m.name === name)) return container;
  return { ...container, volumeMounts: [...(container.volumeMounts ?? []), { name, mountPath, readOnly: true }] };
}

/** The Pod with `secrets` injected. Pure. */
export function injectSecrets(pod: V1Pod, secrets: readonly SecretRequest[]): V1Pod {
  const spec = pod.spec ?? { containers: [] };
  let containers = [...spec.containers];
  let initContainers = spec.initContainers ? [...spec.initContainers] : undefined;
  const volumes: V1Volume[] = [...(spec.volumes ?? [])];
  const each = (f: (c: V1Container) => V1Container): void => {
    containers = containers.map(f);
    if (initContainers) initContainers = initContainers.map(f);
  };
  for (const secret of secrets) {
    if (secret.mountRequirement === 'ENV_VAR') {
      const env: V1EnvVar = {
        name: secretEnvName(secret),
        valueFrom: { secretKeyRef: { name: secret.group, key: secret.key } },
      };
      each((c) => addEnv(c, env));
      if (secret.envVar) each((c) => addEnv(c, { ...env, name: secret.envVar ?? env.name }));
      each((c) => addEnv(c, { name: ENV_PREFIX_VAR, value: ENV_PREFIX }));
      continue;
    }
    const name = secretVolumeName(secret.group);
    const item = { key: secret.key, path: secret.key.toLowerCase() };
    const index = volumes.findIndex((v) => v.secret?.secretName === secret.group);
    const existing = index >= 0 ? volumes[index] : undefined;
    if (existing?.secret) {
      const items = existing.secret.items ?? [];
      if (!items.some((i) => i.key === item.key))
        volumes[index] = { ...existing, secret: { ...existing.secret, items: [...items, item] } };
    } else volumes.push({ name, secret: { secretName: secret.group, items: [item] } });
    const volumeName = existing?.name ?? name;
    each((c) => addMount(c, volumeName, `${SECRETS_DIR}/${secret.group.toLowerCase()}`));
    each((c) => addEnv(c, { name: DEFAULT_DIR_VAR, value: SECRETS_DIR }));
    each((c) => addEnv(c, { name: FILE_PREFIX_VAR, value: '' }));
    if (secret.envVar) each((c) => addEnv(c, { name: secret.envVar ?? '', value: secretFilePath(secret) }));
  }
  return {
    ...pod,
    spec: { ...spec, containers, ...(initContainers ? { initContainers } : {}), volumes },
  };
}

function deny(uid: string, code: number, message: string): { response: AdmissionResponse; result: PodMutateResult } {
  return {
    response: {
      uid,
      allowed: false,
      status: { code, reason: code === 400 ? 'BadRequest' : 'ServiceUnavailable', message },
    },
    result: code === 400 ? 'denied' : 'error',
  };
}

/** The answer to a Pod create: the injection as a JSONPatch, or a denial naming what is missing. */
export async function mutatePod(
  req: AdmissionRequest,
  reader: SecretKeyReader | undefined,
): Promise<{ response: AdmissionResponse; result: PodMutateResult }> {
  const pod = (req.object ?? {}) as V1Pod;
  const text = pod.metadata?.annotations?.[SECRETS_ANNOTATION];
  if (req.operation !== 'CREATE' || text === undefined)
    return { response: { uid: req.uid, allowed: true }, result: 'unchanged' };
  let secrets: SecretRequest[];
  try {
    secrets = parseSecretsAnnotation(text);
  } catch (error) {
    return deny(req.uid, 400, error instanceof Error ? error.message : String(error));
  }
  if (secrets.length === 0) return { response: { uid: req.uid, allowed: true }, result: 'unchanged' };
  const what = `Pod ${req.namespace}/${req.name || pod.metadata?.generateName || ''}`;
  if (!reader)
    return deny(req.uid, 503, `${what} asks for secrets, but the webhook has no Kubernetes access to read them`);
  const keysByGroup = new Map<string, readonly string[] | undefined>();
  for (const secret of secrets) {
    if (!keysByGroup.has(secret.group)) {
      try {
        keysByGroup.set(secret.group, await reader.keys(req.namespace, secret.group));
      } catch (error) {
        return deny(
          req.uid,
          503,
          `cannot read Secret ${req.namespace}/${secret.group} for ${what}: ${error instanceof Error ? error.message : String(error)}`,
        );
      }
    }
    const keys = keysByGroup.get(secret.group);
    if (keys === undefined)
      return deny(
        req.uid,
        400,
        `${what} needs Secret ${req.namespace}/${secret.group} (key ${secret.key}), which does not exist`,
      );
    if (!keys.includes(secret.key))
      return deny(
        req.uid,
        400,
        `${what} needs key ${secret.key} of Secret ${req.namespace}/${secret.group}, which has ${keys.length > 0 ? `only ${keys.join(', ')}` : 'no keys'}`,
      );
  }
  const mutated = injectSecrets(pod, secrets);
  const ops: Array<{ op: 'add'; path: string; value: unknown }> = [
    { op: 'add', path: '/spec/containers', value: mutated.spec?.containers ?? [] },
    { op: 'add', path: '/spec/volumes', value: mutated.spec?.volumes ?? [] },
  ];
  if (mutated.spec?.initContainers)
    ops.push({ op: 'add', path: '/spec/initContainers', value: mutated.spec.initContainers });
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
