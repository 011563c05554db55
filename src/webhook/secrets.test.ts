import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { V1Pod } from '@kubernetes/client-node';
import { SECRETS_ANNOTATION } from '../api/secrets.js';
import { injectSecrets, mutatePod, secretVolumeName, type SecretKeyReader } from './secrets.js';

const pod = (): V1Pod => ({
  metadata: { name: 'wf-n-1', namespace: 'team' },
  spec: {
    initContainers: [{ name: 'init', image: 'i' }],
    containers: [
      { name: 'main', image: 'm', env: [{ name: 'FLYTE_SECRETS_DEFAULT_DIR', value: '/mine' }] },
      { name: 'side', image: 's' },
    ],
  },
});

/** A fake reader over an in-memory map of Secrets' keys, counting lookups. */
class FakeReader implements SecretKeyReader {
  calls = 0;
  constructor(private readonly secrets: Record<string, string[]>) {}
  async keys(namespace: string, name: string): Promise<readonly string[] | undefined> {
    this.calls++;
    return this.secrets[`${namespace}/${name}`];
  }
}

const review = (annotation: string | undefined, operation = 'CREATE') => {
  const p = pod();
  if (annotation !== undefined) p.metadata = { ...p.metadata, annotations: { [SECRETS_ANNOTATION]: annotation } };
  return { uid: 'u1', operation, name: 'wf-n-1', namespace: 'team', object: p, resource: 'pods', subResource: '' };
};

describe('injectSecrets (Flyte conventions)', () => {
  test('ENV_VAR: prefixed upper-case name from a secretKeyRef, envVar alias, prefix variable, in every container', () => {
    const out = injectSecrets(pod(), [{ group: 'db', key: 'pass-word', mountRequirement: 'ENV_VAR', envVar: 'DB_PW' }]);
    for (const c of [...(out.spec?.containers ?? []), ...(out.spec?.initContainers ?? [])]) {
      const env = Object.fromEntries((c.env ?? []).map((e) => [e.name, e]));
      assert.deepEqual(
        env['_FSEC_DB_PASS-WORD']?.valueFrom,
        { secretKeyRef: { name: 'db', key: 'pass-word' } },
        c.name,
      );
      assert.deepEqual(env['DB_PW']?.valueFrom, { secretKeyRef: { name: 'db', key: 'pass-word' } });
      assert.equal(env['FLYTE_SECRETS_ENV_PREFIX']?.value, '_FSEC_');
    }
    assert.deepEqual(out.spec?.volumes, []);
  });

  test('FILE and ANY: one volume per Secret gaining items, mounted at /etc/flyte/secrets/<group>; existing vars kept', () => {
    const out = injectSecrets(pod(), [
      { group: 'Creds', key: 'Token', mountRequirement: 'FILE', envVar: 'TOKEN_FILE' },
      { group: 'Creds', key: 'cert' },
    ]);
    assert.deepEqual(out.spec?.volumes, [
      {
        name: secretVolumeName('Creds'),
        secret: {
          secretName: 'Creds',
          items: [
            { key: 'Token', path: 'token' },
            { key: 'cert', path: 'cert' },
          ],
        },
      },
    ]);
    const main = out.spec?.containers[0];
    assert.deepEqual(main?.volumeMounts, [
      { name: secretVolumeName('Creds'), mountPath: '/etc/flyte/secrets/creds', readOnly: true },
    ]);
    const env = Object.fromEntries((main?.env ?? []).map((e) => [e.name, e.value]));
    assert.equal(env['FLYTE_SECRETS_DEFAULT_DIR'], '/mine', 'a variable the container has is not replaced');
    assert.equal(env['FLYTE_SECRETS_FILE_PREFIX'], '');
    assert.equal(env['TOKEN_FILE'], '/etc/flyte/secrets/creds/token');
    assert.equal(out.spec?.initContainers?.[0]?.volumeMounts?.length, 1);
    assert.match(secretVolumeName('a'.repeat(253)), /^[a-z0-9-]{1,63}$/);
  });
});

describe('mutatePod', () => {
  test('present Secrets and keys: a JSONPatch of containers, init containers and volumes; one lookup per Secret', async () => {
    const reader = new FakeReader({ 'team/db': ['user', 'password'] });
    const annotation = JSON.stringify([
      { group: 'db', key: 'user', mountRequirement: 'ENV_VAR' },
      { group: 'db', key: 'password', mountRequirement: 2 },
    ]);
    const { response, result } = await mutatePod(review(annotation), reader);
    assert.equal(result, 'patched');
    assert.equal(response.allowed, true);
    assert.equal(reader.calls, 1);
    const ops = JSON.parse(Buffer.from(response.patch ?? '', 'base64').toString()) as { path: string }[];
    assert.deepEqual(
      ops.map((o) => o.path),
      ['/spec/containers', '/spec/volumes', '/spec/initContainers'],
    );
  });

  test('a missing Secret or key denies with 400 naming namespace, Secret and key', async () => {
    const reader = new FakeReader({ 'team/db': ['user'] });
    const gone = await mutatePod(review(JSON.stringify([{ group: 'vault', key: 'token' }])), reader);
    assert.equal(gone.result, 'denied');
    assert.deepEqual(gone.response.status, {
      code: 400,
      reason: 'BadRequest',
      message: 'Pod team/wf-n-1 needs Secret team/vault (key token), which does not exist',
    });
    const key = await mutatePod(review(JSON.stringify([{ group: 'db', key: 'password' }])), reader);
    assert.equal(
      key.response.status?.message,
      'Pod team/wf-n-1 needs key password of Secret team/db, which has only user',
    );
  });

  test('a lookup that fails is a 503 (retried), a bad annotation a 400, no reader a 503; no annotation or not a create: allowed', async () => {
    const failing: SecretKeyReader = {
      keys: async () => {
        throw new Error('connect ECONNREFUSED 127.0.0.1:6443');
      },
    };
    const down = await mutatePod(review(JSON.stringify([{ group: 'db', key: 'k' }])), failing);
    assert.equal(down.response.status?.code, 503);
    assert.match(down.response.status?.message ?? '', /cannot read Secret team\/db .*ECONNREFUSED/);
    const bad = await mutatePod(review('[{"group": "db"}]'), new FakeReader({}));
    assert.equal(bad.response.status?.code, 400);
    assert.match(bad.response.status?.message ?? '', /secret db needs a key/);
    const badMount = await mutatePod(
      review('[{"group":"db","key":"k","mountRequirement":"VAULT"}]'),
      new FakeReader({}),
    );
    assert.match(
      badMount.response.status?.message ?? '',
      /mountRequirement "VAULT"; expected one of ANY, ENV_VAR, FILE/,
    );
    const noReader = await mutatePod(review(JSON.stringify([{ group: 'db', key: 'k' }])), undefined);
    assert.equal(noReader.response.status?.code, 503);
    assert.deepEqual(await mutatePod(review(undefined), new FakeReader({})), {
      response: { uid: 'u1', allowed: true },
      result: 'unchanged',
    });
    assert.equal((await mutatePod(review('[]', 'UPDATE'), new FakeReader({}))).result, 'unchanged');
  });
});
