/** Runs `flotilla webhook` / `flotilla init-certs` as real processes for the webhook tests. */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
export const flotillaBin = join(root, 'bin/flotilla.mjs');

export interface WebhookProcess {
  readonly child: ChildProcess;
  readonly url: string;
  readonly metricsUrl: string;
  readonly port: number;
  stderr(): string;
  /** SIGTERM, then SIGKILL after 5 s; resolves once it has exited. */
  stop(): Promise<void>;
}

/** Starts `flotilla webhook ARGS` and waits for its "listening" line. */
export async function startWebhookProcess(args: readonly string[]): Promise<WebhookProcess> {
  const child = spawn(process.execPath, [flotillaBin, 'webhook', '--port', '0', '--metrics-port', '0', ...args], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exited = new Promise<void>((resolve) => child.on('close', () => resolve()));
  const m = await new Promise<RegExpMatchArray>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`webhook did not start in 30 s: ${stderr}`)), 30_000);
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
      const found = stdout.match(/webhook listening on (https:\/\/\S+):(\d+) \(metrics (http:\/\/\S+)\)/);
      if (found) {
        clearTimeout(timer);
        resolve(found);
      }
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      reject(new Error(`webhook exited with ${String(code)}: ${stderr}`));
    });
  });
  return {
    child,
    url: `${m[1] ?? ''}:${m[2] ?? ''}`,
    port: Number(m[2]),
    metricsUrl: m[3] ?? '',
    stderr: () => stderr,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
      }
    },
  };
}

/** Runs `flotilla ARGS` to completion. */
export function runFlotilla(args: readonly string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [flotillaBin, ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
