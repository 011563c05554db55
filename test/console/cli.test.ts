/**
 * `flotilla console` as a real process against the embedded API server: it prints its URL and the
 * URL with its action token, serves the pages on loopback, refuses a foreign Host, and exits 0 on
 * SIGTERM; bad flags exit 2 naming the flag (the event sink's too); an unreachable API server exits 1 naming host:port.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { request } from 'node:http';
import { promisify } from 'node:util';
import { workflowCrd } from '../../src/api/crd.js';
import { startTestApiServer, type TestApiServer } from '../support/apiserver.js';
import { flotillaBin, startFlotilla } from '../support/fleet.js';
import { freePort } from '../support/ports.js';

const execute = promisify(execFile);
let api: TestApiServer;

async function flotilla(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await execute(process.execPath, [flotillaBin, ...args], {
      timeout: 60_000,
      env: { ...process.env, KUBECONFIG: '' },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

/** GET with a chosen Host header (fetch does not let one set it). */
function getWithHost(url: string, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { host } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

describe('flotilla console (the command)', { timeout: 120_000 }, () => {
  before(async () => {
    api = await startTestApiServer();
    const { ApiextensionsV1Api } = await import('@kubernetes/client-node');
    await api.kc.makeApiClient(ApiextensionsV1Api).createCustomResourceDefinition({ body: workflowCrd() as never });
  });
  after(async () => {
    await api.stop();
  });

  test('prints its URL and token URL, serves the pages on loopback, refuses a foreign Host, SIGTERM exits 0', async () => {
    const console = await startFlotilla(
      ['console', '--kubeconfig', api.kubeconfigPath, '--listen', '127.0.0.1:0'],
      /open \S+#token=\S+/,
    );
    try {
      const url = /console listening on (http:\/\/127\.0\.0\.1:\d+\/)/.exec(console.stdout())?.[1];
      assert.ok(url, console.stdout());
      assert.match(console.stdout(), new RegExp(`open ${url.replace(/[./]/g, '\\$&')}#token=[\\w-]{20,} `));
      for (const path of ['', 'workflows', 'workflows/default/none']) {
        const page = await fetch(`${url}${path}`);
        assert.equal(page.status, 200, path);
        assert.match(page.headers.get('content-security-policy') ?? '', /script-src 'self'/);
      }
      const list = (await (await fetch(`${url}api/workflows`)).json()) as { total: number };
      assert.equal(list.total, 0);
      // Without --event-sink the workflow page is told there is no sink to read.
      const events = (await (await fetch(`${url}api/workflows/default/none/events`)).json()) as { configured: boolean };
      assert.equal(events.configured, false);
      // A node's offloaded outputs are asked of a workflow the console knows.
      const outputs = await fetch(`${url}api/workflows/default/none/outputs?id=x`);
      assert.equal(outputs.status, 404);
      assert.match(((await outputs.json()) as { message: string }).message, /workflow default\/none not found/);
      assert.equal(await getWithHost(`${url}api/workflows`, 'rebound.example'), 403);
    } finally {
      assert.equal(await console.stop(), 0);
    }
  });

  test('bad flags exit 2 naming the flag; an unreachable API server exits 1 naming host:port', async () => {
    const bad = await flotilla(['console', '--kubeconfig', api.kubeconfigPath, '--listen', 'nowhere']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /invalid --listen: invalid listen address "nowhere": expected HOST:PORT/);
    const half = await flotilla(['console', '--kubeconfig', api.kubeconfigPath, '--tls-cert', 'x.pem']);
    assert.equal(half.code, 2);
    assert.match(half.stderr, /--tls-cert and --tls-key go together/);
    const sinkless = await flotilla(['console', '--kubeconfig', api.kubeconfigPath, '--event-sink-token-file', 't']);
    assert.equal(sinkless.code, 2);
    assert.match(sinkless.stderr, /--event-sink-tls-ca and --event-sink-token-file need --event-sink/);
    const badSink = await flotilla(['console', '--kubeconfig', api.kubeconfigPath, '--event-sink', 'nowhere']);
    assert.equal(badSink.code, 2);
    assert.match(badSink.stderr, /invalid --event-sink "nowhere": expected HOST:PORT/);
    const badStore = await flotilla(['console', '--kubeconfig', api.kubeconfigPath, '--blob-store', 'ftp://x/y']);
    assert.equal(badStore.code, 2);
    assert.match(badStore.stderr, /invalid --blob-store: .*ftp:\/\/x\/y/);
    const port = await freePort();
    const kubeconfig = api.kubeconfigPath.replace(/kubeconfig$/, 'unreachable');
    const { readFileSync, writeFileSync } = await import('node:fs');
    writeFileSync(
      kubeconfig,
      readFileSync(api.kubeconfigPath, 'utf8').replace(/127\.0\.0\.1:\d+/, `127.0.0.1:${port}`),
    );
    const down = await flotilla(['console', '--kubeconfig', kubeconfig, '--listen', '127.0.0.1:0']);
    assert.equal(down.code, 1);
    assert.match(
      down.stderr,
      new RegExp(
        `list workflows.flotilla.io: connection refused \\(ECONNREFUSED\\) talking to the API server at 127\\.0\\.0\\.1:${port}`,
      ),
    );
  });
});
