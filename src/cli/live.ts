/**
 * Live views (`shardctl status --watch`, `flotilla get --watch`, `flotilla watch`, `submit
 * --wait`): a first list straight from the API server (so an unreachable server fails at once with
 * its host and port, not as an informer that never syncs), then the resilient informer
 * (`src/kube/informer.ts`) watching for changes. `render` gets every object after the list and
 * after each burst of changes (coalesced, at most one render per `minIntervalMs`), and ends the
 * view by returning true (or by throwing, which ends it with that error); SIGINT/SIGTERM end it too.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import { ResourceInformer, type CachedObject } from '../kube/informer.js';
import { untilStopSignal } from './stop-signal.js';

export interface LiveOptions<T extends CachedObject> {
  readonly kubeConfig: KubeConfig;
  /** The watch path, e.g. `/apis/coordination.k8s.io/v1/namespaces/ns/leases`. */
  readonly path: string;
  /** The list call; it throws the `KubeError` an operator should read. */
  readonly list: () => Promise<{ items: T[]; metadata?: { resourceVersion?: string } }>;
  /** For the informer's logs. */
  readonly resource: string;
  /** Called with every object; return true when the view is done. */
  readonly render: (objects: readonly T[]) => boolean | Promise<boolean>;
  /** @defaultValue 200 */
  readonly minIntervalMs?: number;
  /** Also re-render this often without a change (ages move on). 0 = only on change. @defaultValue 0 */
  readonly refreshMs?: number;
}

/** Resolves when `render` says done (`'done'`) or a stop signal arrived (`'stopped'`). */
export async function live<T extends CachedObject>(options: LiveOptions<T>): Promise<'done' | 'stopped'> {
  const first = await options.list();
  if (await options.render(first.items)) return 'done';
  const informer = new ResourceInformer<T>({
    kubeConfig: options.kubeConfig,
    path: options.path,
    resource: options.resource,
    list: () => options.list(),
  });
  let finish: (how: 'done' | 'stopped') => void = () => undefined;
  let fail: (error: unknown) => void = () => undefined;
  const finished = new Promise<'done' | 'stopped'>((resolve, reject) => {
    finish = resolve;
    fail = reject;
  });
  // Until the informer's own list arrived its cache is empty: render only after that.
  let synced = false;
  let timer: NodeJS.Timeout | undefined;
  let rendering = false;
  let again = false;
  const renderNow = async (): Promise<void> => {
    timer = undefined;
    if (!synced) return;
    if (rendering) {
      again = true;
      return;
    }
    rendering = true;
    try {
      if (await options.render(informer.list())) finish('done');
    } catch (error) {
      fail(error);
    } finally {
      rendering = false;
    }
    if (again) {
      again = false;
      schedule();
    }
  };
  const schedule = (): void => {
    timer ??= setTimeout(() => void renderNow(), options.minIntervalMs ?? 200);
  };
  const unsubscribe = informer.onChange(schedule);
  const refresh = options.refreshMs ? setInterval(schedule, options.refreshMs) : undefined;
  informer.start();
  void informer.synced.then(() => {
    synced = true;
    schedule();
  });
  try {
    return await Promise.race([finished, untilStopSignal().then(() => 'stopped' as const)]);
  } finally {
    unsubscribe();
    if (timer) clearTimeout(timer);
    if (refresh) clearInterval(refresh);
    await informer.stop();
  }
}

/** Writes whole frames: on a terminal each frame replaces the last; piped, frames follow each other. */
export function frameWriter(stream: NodeJS.WriteStream = process.stdout): (frame: string) => void {
  let previous: string | undefined;
  return (frame) => {
    if (frame === previous) return;
    previous = frame;
    stream.write(stream.isTTY ? `\x1b[H\x1b[2J${frame}` : frame);
  };
}
