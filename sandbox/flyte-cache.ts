/**
 * The sandbox's cached-task demo (`flotilla sandbox --flyte`): `examples/flyte/cached-chain.yaml`,
 * a FlyteWorkflow whose tasks are cacheable, runs twice under fresh names, the second created
 * once the first ended. The fleet's embedded catalog (on the sandbox's Redis) serves, so the first
 * execution stores its task outputs and the second takes them without a pod. The demo reads the
 * node statuses' `cacheStatus` and counts what it saw, for the live view's lines and the summary.
 */
import { readFileSync } from 'node:fs';
import { CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import { parse } from 'yaml';
import { FLYTE_GROUP, FLYTE_PLURAL, FLYTE_VERSION } from '../src/flyte/types.js';
import { ensureNamespace } from './examples.js';

const api = { group: FLYTE_GROUP, version: FLYTE_VERSION, plural: FLYTE_PLURAL };
const TERMINAL = new Set([3, 5, 6]);

type Obj = Record<string, unknown>;
interface FlyteView {
  status?: { phase?: number; message?: string; nodeStatus?: Record<string, { cacheStatus?: string }> };
}

export interface CacheDemoStats {
  /** The executions' names, in order. */
  readonly executions: readonly string[];
  /** Executions that ended, and how many of them succeeded. */
  readonly finished: number;
  readonly succeeded: number;
  /** Task nodes by cache status, over both executions. */
  readonly hits: number;
  readonly populated: number;
  /** Done: both executions ended. */
  readonly done: boolean;
  /** Why the demo stopped early, if it did. */
  readonly error?: string;
}

export interface CacheDemoOptions {
  readonly kubeConfig: KubeConfig;
  /** The FlyteWorkflow document. */
  readonly file: string;
  readonly onEvent?: (text: string) => void;
  /** @defaultValue 500 */
  readonly pollMs?: number;
}

export class FlyteCacheDemo {
  private readonly custom: CustomObjectsApi;
  private readonly names: string[] = [];
  private readonly counts = { finished: 0, succeeded: 0, hits: 0, populated: 0 };
  private error: string | undefined;
  private running: Promise<void> | undefined;

  constructor(private readonly options: CacheDemoOptions) {
    this.custom = options.kubeConfig.makeApiClient(CustomObjectsApi);
  }

  get stats(): CacheDemoStats {
    return {
      executions: [...this.names],
      ...this.counts,
      done: this.counts.finished === 2,
      ...(this.error !== undefined ? { error: this.error } : {}),
    };
  }

  start(signal: AbortSignal): void {
    this.running = this.run(signal).catch((error: unknown) => {
      this.error = error instanceof Error ? error.message : String(error);
      this.options.onEvent?.(`flyte cache demo stopped: ${this.error}`);
    });
  }

  /** Resolves once the demo ended (or stopped). */
  async finished(): Promise<void> {
    await this.running;
  }

  private async run(signal: AbortSignal): Promise<void> {
    const document = parse(readFileSync(this.options.file, 'utf8')) as Obj;
    const metadata = document['metadata'] as { name: string; namespace: string };
    await ensureNamespace(this.options.kubeConfig, metadata.namespace);
    const suffix = Date.now().toString(36);
    for (const round of [1, 2]) {
      if (signal.aborted) return;
      const name = `${metadata.name}-${suffix}-${round}`;
      this.names.push(name);
      await this.custom.createNamespacedCustomObject({
        ...api,
        namespace: metadata.namespace,
        body: renamed(document, name),
      });
      const ended = await this.waitTerminal(metadata.namespace, name, signal);
      if (!ended) return;
      const nodes = Object.values(ended.status?.nodeStatus ?? {});
      const hits = nodes.filter((n) => n.cacheStatus === 'CACHE_HIT').length;
      const populated = nodes.filter((n) => n.cacheStatus === 'CACHE_POPULATED').length;
      this.counts.finished++;
      if (ended.status?.phase === 3) this.counts.succeeded++;
      this.counts.hits += hits;
      this.counts.populated += populated;
      this.options.onEvent?.(
        `flyte cache demo: ${name} ${ended.status?.phase === 3 ? 'succeeded' : `ended in phase ${ended.status?.phase}`}; ${hits} task(s) from the cache (CACHE_HIT), ${populated} ran and cached (CACHE_POPULATED)`,
      );
    }
  }

  private async waitTerminal(namespace: string, name: string, signal: AbortSignal): Promise<FlyteView | undefined> {
    while (!signal.aborted) {
      try {
        const fw = (await this.custom.getNamespacedCustomObject({ ...api, namespace, name })) as FlyteView;
        if (TERMINAL.has(fw.status?.phase ?? -1)) return fw;
      } catch {
        // not there yet, or the API server is busy: look again
      }
      await new Promise((resolve) => setTimeout(resolve, this.options.pollMs ?? 500));
    }
    return undefined;
  }
}

function renamed(document: Obj, name: string): Obj {
  const copy = JSON.parse(JSON.stringify(document)) as Obj;
  const metadata = copy['metadata'] as { name: string; labels?: Record<string, string> };
  metadata.name = name;
  if (metadata.labels) metadata.labels['execution-id'] = name;
  const executionId = copy['executionId'] as Obj | undefined;
  if (executionId) executionId['name'] = name;
  return copy;
}

/** The summary's line. */
export function renderCacheDemo(stats: CacheDemoStats): string {
  const state = stats.error
    ? `stopped: ${stats.error}`
    : stats.done
      ? `${stats.succeeded}/2 succeeded`
      : `${stats.finished}/2 ended`;
  return `  cache hits      ${stats.hits} hits · ${stats.populated} populated (cached FlyteWorkflow run twice: ${stats.executions.join(', ') || '-'}; ${state})`;
}
