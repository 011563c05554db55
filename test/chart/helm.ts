/**
 * Runs the real `helm` binary on charts/flotilla and parses what `helm template` renders.
 * `.tools/bin` (where scripts/bootstrap.sh installs helm) is searched before PATH.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';

export const repoRoot = resolve(fileURLToPath(new URL('../..', import.meta.url)));
export const chartDir = resolve(repoRoot, 'charts/flotilla');
export const valuesDir = resolve(repoRoot, 'test/chart/values');
const localHelm = resolve(repoRoot, '.tools/bin/helm');
export const helmBin = existsSync(localHelm) ? localHelm : 'helm';

/** The value sets under test/chart/values, by name. */
export const valueSets = ['fleet-manager', 'namespaced', 'full', 'webhook', 'redis-cluster'] as const;
export type ValueSet = (typeof valueSets)[number];
export const valuesFile = (name: ValueSet): string => resolve(valuesDir, `${name}.yaml`);

/** The Prometheus Operator's API, offered to `helm template` with `--api-versions`. */
export const SERVICE_MONITOR_API = 'monitoring.coreos.com/v1/ServiceMonitor';

export interface HelmResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function helm(args: readonly string[], timeoutMs = 30_000): Promise<HelmResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(helmBin, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        HELM_CACHE_HOME: resolve(repoRoot, '.tools/helm/cache'),
        HELM_CONFIG_HOME: resolve(repoRoot, '.tools/helm/config'),
        HELM_DATA_HOME: resolve(repoRoot, '.tools/helm/data'),
      },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolvePromise({ code, stdout, stderr });
    });
  });
}

export interface RenderOptions {
  valuesFiles?: readonly string[];
  /** `--set` pairs. */
  set?: readonly string[];
  namespace?: string;
  release?: string;
  apiVersions?: readonly string[];
  /** The chart to render: its directory or a packaged `.tgz`. @defaultValue chartDir */
  chart?: string;
}

/** A rendered Kubernetes object (loosely typed: tests narrow what they read). */
export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [key: string]: unknown;
}

export function templateArgs(o: RenderOptions = {}): string[] {
  const args = [
    'template',
    o.release ?? 'flotilla',
    o.chart ?? chartDir,
    '--namespace',
    o.namespace ?? 'flotilla-system',
  ];
  for (const f of o.valuesFiles ?? []) args.push('--values', f);
  for (const s of o.set ?? []) args.push('--set', s);
  for (const a of o.apiVersions ?? []) args.push('--api-versions', a);
  return args;
}

/** `helm template` → the rendered objects; throws with helm's stderr when it fails. */
export async function render(o: RenderOptions = {}): Promise<{ manifests: Manifest[]; text: string }> {
  const r = await helm(templateArgs(o));
  if (r.code !== 0) throw new Error(`helm template failed (${String(r.code)}):\n${r.stderr}`);
  const manifests: Manifest[] = [];
  for (const doc of parseAllDocuments(r.stdout)) {
    if (doc.errors.length > 0)
      throw new Error(`helm rendered invalid YAML: ${doc.errors.map((e) => e.message).join('; ')}`);
    const value: unknown = doc.toJS();
    if (value === null || value === undefined) continue;
    manifests.push(value as Manifest);
  }
  return { manifests, text: r.stdout };
}

/** The pod templates of every workload (Deployments, and Jobs such as init-certs), with the workload's name and kind. */
export function podSpecs(
  manifests: readonly Manifest[],
): { name: string; kind: 'Deployment' | 'Job'; spec: PodSpecLike }[] {
  return manifests
    .filter((m): m is Manifest & { kind: 'Deployment' | 'Job' } => m.kind === 'Deployment' || m.kind === 'Job')
    .map((m) => ({
      name: m.metadata.name,
      kind: m.kind,
      spec: (m['spec'] as { template: { spec: PodSpecLike } }).template.spec,
    }));
}

export interface ContainerLike {
  name: string;
  args?: string[];
  securityContext?: Record<string, unknown>;
  livenessProbe?: Record<string, unknown>;
  readinessProbe?: Record<string, unknown>;
  startupProbe?: Record<string, unknown>;
  volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[];
  env?: { name: string; value?: string; valueFrom?: unknown }[];
  resources?: Record<string, unknown>;
}

export interface PodSpecLike {
  serviceAccountName?: string;
  automountServiceAccountToken?: boolean;
  volumes?: { name: string; secret?: { secretName: string; items?: { key: string; path: string }[] } }[];
  securityContext?: Record<string, unknown>;
  containers: ContainerLike[];
  initContainers?: ContainerLike[];
  topologySpreadConstraints?: unknown[];
}
