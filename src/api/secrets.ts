/**
 * How a task Pod says which secrets it needs, between the plugin that builds the Pod and the
 * admission webhook that injects them (src/webhook/secrets.ts), as FlytePropeller's plugins and its
 * secret webhook do: a label the webhook's `objectSelector` matches, and the requests in an
 * annotation. Ours is one JSON annotation (`flotilla.io/secrets`) rather than Flyte's base32 protobuf
 * text per secret (`flyte.secrets/s<i>`), so Flyte's own webhook never acts on our Pods.
 */
import { SecretMountRequirements, type SecretRequest } from './schema.js';

/** Label on a Pod that asks for secrets; the webhook's objectSelector matches it. */
export const INJECT_SECRETS_LABEL = 'flotilla.io/inject-secrets';
/** Annotation holding the Pod's {@link SecretRequest}s as a JSON list. */
export const SECRETS_ANNOTATION = 'flotilla.io/secrets';

/** The label and annotation a Pod asking for `secrets` carries (none for an empty list). */
export function secretsMetadata(secrets: readonly SecretRequest[]): {
  labels: Record<string, string>;
  annotations: Record<string, string>;
} {
  if (secrets.length === 0) return { labels: {}, annotations: {} };
  return {
    labels: { [INJECT_SECRETS_LABEL]: 'true' },
    annotations: { [SECRETS_ANNOTATION]: JSON.stringify(secrets) },
  };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** flyteidl `Secret.MountType` numbers, for documents that carry the enum as a number. */
const MOUNT_NUMBERS: Readonly<Record<number, SecretRequest['mountRequirement']>> = {
  0: 'ANY',
  1: 'ENV_VAR',
  2: 'FILE',
};

/**
 * One secret request from JSON in either spelling (ours, or flyteidl's protobuf JSON:
 * `mountRequirement` as a name or number, `env_var`/`envVar`). Throws a message naming what is wrong.
 */
export function parseSecretRequest(value: unknown, where: string): SecretRequest {
  if (!isRecord(value)) throw new Error(`${where}: a secret must be an object`);
  const group = value['group'];
  const key = value['key'];
  if (typeof group !== 'string' || group === '') throw new Error(`${where}: a secret needs a group (the Secret name)`);
  if (typeof key !== 'string' || key === '') throw new Error(`${where}: secret ${group} needs a key`);
  const raw = value['mountRequirement'] ?? value['mount_requirement'];
  const mount =
    raw === undefined
      ? undefined
      : typeof raw === 'number'
        ? MOUNT_NUMBERS[raw]
        : (SecretMountRequirements as readonly unknown[]).includes(raw)
          ? (raw as SecretRequest['mountRequirement'])
          : undefined;
  if (raw !== undefined && mount === undefined)
    throw new Error(
      `${where}: secret ${group}/${key} has mountRequirement ${JSON.stringify(raw)}; expected one of ${SecretMountRequirements.join(', ')}`,
    );
  const envVar = value['envVar'] ?? value['env_var'];
  return {
    group,
    key,
    ...(mount !== undefined ? { mountRequirement: mount } : {}),
    ...(typeof envVar === 'string' && envVar !== '' ? { envVar } : {}),
  };
}

/** The requests of a Pod's {@link SECRETS_ANNOTATION}; throws a message naming what is wrong. */
export function parseSecretsAnnotation(text: string): SecretRequest[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new Error(
      `annotation ${SECRETS_ANNOTATION} is not JSON (${error instanceof Error ? error.message : String(error)})`,
      { cause: error },
    );
  }
  if (!Array.isArray(parsed)) throw new Error(`annotation ${SECRETS_ANNOTATION} must be a JSON list`);
  return parsed.map((item, i) => parseSecretRequest(item, `${SECRETS_ANNOTATION}[${i}]`));
}
