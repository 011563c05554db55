/**
 * Where the webhook's serving certificate comes from, re-read so that a rotation takes effect
 * without a restart: files (a mounted Secret; mtimes polled) or a Secret read through the
 * kubeconfig (its resourceVersion polled). A source answers `undefined` when nothing changed
 * since the last successful load.
 */
import { stat, readFile } from 'node:fs/promises';
import type { KubeConfig } from '@kubernetes/client-node';
import { WebhookError } from './errors.js';

export interface TlsMaterial {
  certPem: string;
  keyPem: string;
}

export interface TlsSource {
  /** Human description for logs (`files /etc/tls/tls.crt`, `secret ns/name`). */
  readonly description: string;
  /** The material if it changed since the last call that returned some (first call: always). */
  poll(): Promise<TlsMaterial | undefined>;
}

export class FileTlsSource implements TlsSource {
  private lastStamp = '';
  readonly description: string;

  constructor(
    private readonly certFile: string,
    private readonly keyFile: string,
  ) {
    this.description = `files ${certFile}, ${keyFile}`;
  }

  async poll(): Promise<TlsMaterial | undefined> {
    try {
      const [c, k] = await Promise.all([stat(this.certFile), stat(this.keyFile)]);
      // A Secret volume swaps a symlink: inode and size change as well as mtime.
      const stamp = `${c.mtimeMs}:${c.ino}:${c.size}|${k.mtimeMs}:${k.ino}:${k.size}`;
      if (stamp === this.lastStamp) return undefined;
      const [certPem, keyPem] = await Promise.all([readFile(this.certFile, 'utf8'), readFile(this.keyFile, 'utf8')]);
      this.lastStamp = stamp;
      return { certPem, keyPem };
    } catch (cause) {
      throw new WebhookError('TlsLoad', `cannot read the serving certificate from ${this.description}`, { cause });
    }
  }

  /** Forget the last load, so the next poll re-reads (after a failed apply). */
  reset(): void {
    this.lastStamp = '';
  }
}

export class SecretTlsSource implements TlsSource {
  private lastRv = '';
  readonly description: string;

  constructor(
    private readonly kubeConfig: KubeConfig,
    private readonly namespace: string,
    private readonly name: string,
  ) {
    this.description = `secret ${namespace}/${name}`;
  }

  async poll(): Promise<TlsMaterial | undefined> {
    const { CoreV1Api } = await import('@kubernetes/client-node');
    let secret;
    try {
      secret = await this.kubeConfig
        .makeApiClient(CoreV1Api)
        .readNamespacedSecret({ namespace: this.namespace, name: this.name });
    } catch (cause) {
      throw new WebhookError('SecretRead', `cannot read ${this.description}`, { cause });
    }
    const rv = secret.metadata?.resourceVersion ?? '';
    if (rv !== '' && rv === this.lastRv) return undefined;
    const crt = secret.data?.['tls.crt'];
    const key = secret.data?.['tls.key'];
    if (crt === undefined || key === undefined)
      throw new WebhookError('TlsLoad', `${this.description} has no tls.crt and tls.key`);
    this.lastRv = rv;
    return {
      certPem: Buffer.from(crt, 'base64').toString('utf8'),
      keyPem: Buffer.from(key, 'base64').toString('utf8'),
    };
  }

  reset(): void {
    this.lastRv = '';
  }
}
