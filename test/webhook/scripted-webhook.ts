/**
 * A real HTTPS admission webhook on loopback whose answers a test scripts: each AdmissionReview
 * request is recorded and answered by `answer(request)` (allowed, denied, a JSONPatch, or
 * `'hang'` to never answer). Its certificate comes from its own CA, for 127.0.0.1 and the DNS
 * names given; `caBundle` is that CA as the webhook configurations carry it (base64 PEM).
 */
import { createServer, type Server } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { createCertificateAuthority, issueCertificate } from '../../src/security/certs.js';

export type Review = {
  uid: string;
  operation: string;
  name: string;
  namespace?: string;
  object: Record<string, unknown> & { metadata: { labels?: Record<string, string>; name?: string } };
  oldObject: unknown;
  subResource?: string;
  dryRun: boolean;
};
export type Answer = Record<string, unknown> | 'hang';

export interface ScriptedWebhook {
  readonly url: string;
  readonly port: number;
  readonly caBundle: string;
  readonly requests: { path: string; review: Review }[];
  answer: (review: Review, path: string) => Answer;
  stop(): Promise<void>;
}

export async function startScriptedWebhook(options: { dnsNames?: string[] } = {}): Promise<ScriptedWebhook> {
  const ca = await createCertificateAuthority({ commonName: 'scripted-webhook-ca' });
  const serving = await issueCertificate(ca, {
    commonName: 'scripted-webhook',
    dnsNames: options.dnsNames ?? [],
    ipAddresses: ['127.0.0.1'],
    usage: 'server',
  });
  const requests: { path: string; review: Review }[] = [];
  const sockets = new Set<Socket>();
  const hook: ScriptedWebhook = {
    url: '',
    port: 0,
    caBundle: Buffer.from(ca.certPem).toString('base64'),
    requests,
    answer: () => ({ allowed: true }),
    stop: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      });
    },
  };
  const server: Server = createServer({ cert: serving.certPem, key: serving.keyPem }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { request: Review };
      const path = new URL(req.url ?? '/', 'https://x').pathname;
      requests.push({ path, review: body.request });
      const answer = hook.answer(body.request, path);
      if (answer === 'hang') return;
      const text = JSON.stringify({
        apiVersion: 'admission.k8s.io/v1',
        kind: 'AdmissionReview',
        response: { uid: body.request.uid, ...answer },
      });
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(text);
    });
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as AddressInfo).port;
  return Object.assign(hook, { port, url: `https://127.0.0.1:${port}` });
}

/** A base64 JSONPatch as a mutating webhook returns it. */
export function jsonPatchAnswer(ops: unknown[]): Record<string, unknown> {
  return { allowed: true, patchType: 'JSONPatch', patch: Buffer.from(JSON.stringify(ops)).toString('base64') };
}
