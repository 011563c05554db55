/**
 * The simulated kubelet's controller: a Pod informer feeds a key queue; each key is reconciled by
 * the pure {@link decide} into one step (bind, a `/status` merge patch, a delete with
 * gracePeriodSeconds=0), and the step's follow-up deadline goes on a shared timer heap.
 * Talks to the API server only through @kubernetes/client-node.
 */
import { CoreV1Api, KubeConfig, PatchStrategy, setHeaderOptions, type V1Pod } from '@kubernetes/client-node';
import { pino, type Logger } from 'pino';
import { readSimSpec } from './annotations.js';
import { KubeletError } from './errors.js';
import { keepAliveConfiguration, type KeepAliveConfiguration } from '../../src/kube/keepalive.js';
import type { KubeletOptions } from './options.js';
import { ResourceInformer } from '../../src/kube/informer.js';
import { decide, isMine, type PodMemory, type Step } from './stages.js';
import { hostIP, terminatedStatus } from './status.js';
import { isFlytePod, runFlyteContainer } from './flyte.js';
import { outputsUriOf, writeOutputsFile } from './outputs-file.js';
import { openBlobStore } from '../../src/storage/open.js';
import type { BlobStore } from '../../src/storage/blob-store.js';
import { DeadlineTimers } from './timers.js';
import { KeyQueue } from '../../src/kube/work-queue.js';
import { toKubeError } from '../../src/kube/errors.js';

const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

export class Kubelet {
  private readonly kc = new KubeConfig();
  private readonly api: CoreV1Api;
  private readonly pool: KeepAliveConfiguration;
  private readonly informer: ResourceInformer<V1Pod>;
  private readonly queue: KeyQueue;
  private readonly timers: DeadlineTimers;
  private readonly memory = new Map<string, PodMemory>();
  private readonly failures = new Map<string, number>();
  private readonly warned = new Map<string, string>();
  private readonly nodeName: string;
  private readonly pendingMs: number;
  private readonly runMs: number;
  private readonly log: Logger;
  private bindingUnsupported = false;
  private readonly blobStoreUrl: string | undefined;
  private store: BlobStore | undefined;

  constructor(options: KubeletOptions) {
    try {
      this.kc.loadFromString(options.kubeconfig);
    } catch (error) {
      throw new KubeletError('InvalidKubeconfig', 'the kubelet could not read its kubeconfig', { cause: error });
    }
    this.nodeName = options.nodeName ?? 'sandbox-node';
    this.blobStoreUrl = options.blobStoreUrl;
    this.pendingMs = options.defaults?.pendingMs ?? 100;
    this.runMs = options.defaults?.runMs ?? 1000;
    this.log =
      options.logger ?? pino({ name: 'kubelet', level: process.env.FLOTILLA_LOG_LEVEL ?? 'warn' }, pino.destination(2));
    const concurrency = options.concurrency ?? 16;
    this.pool = keepAliveConfiguration(this.kc, concurrency);
    this.api = new CoreV1Api(this.pool.configuration);
    this.queue = new KeyQueue((key) => this.reconcile(key), concurrency);
    this.timers = new DeadlineTimers((key) => this.queue.add(key));
    // Every Pod of the cluster: the kubelet picks its own by spec.nodeName (or binds unscheduled ones).
    this.informer = new ResourceInformer<V1Pod>({
      kubeConfig: this.kc,
      path: '/api/v1/pods',
      resource: 'pods',
      list: async () => {
        try {
          return await this.api.listPodForAllNamespaces();
        } catch (error) {
          throw toKubeError(error, 'list pods');
        }
      },
      logger: this.log,
      ...(options.idleRestartMs === undefined ? {} : { watchdogMs: options.idleRestartMs }),
    });
    this.informer.onChange((type, pod) => {
      const key = `${pod.metadata?.namespace ?? ''}/${pod.metadata?.name ?? ''}`;
      if (type === 'delete') this.forget(key);
      else this.queue.add(key);
    });
  }

  async start(): Promise<void> {
    if (this.blobStoreUrl !== undefined) this.store = await openBlobStore(this.blobStoreUrl);
    await this.registerNode();
    this.informer.start();
    await this.informer.synced;
    this.log.info({ node: this.nodeName }, 'simulated kubelet started');
  }

  async stop(): Promise<void> {
    await this.informer.stop();
    this.timers.stop();
    await this.queue.stop();
    this.pool.close();
    await this.store?.close();
  }

  /** Pods in the informer's store, timers armed, keys waiting: for tests and benchmarks. */
  stats(): { pods: number; timers: number; queued: number; informerRestarts: number } {
    return {
      pods: this.informer.size,
      timers: this.timers.size,
      queued: this.queue.depth,
      informerRestarts: this.informer.restarts,
    };
  }

  private forget(key: string): void {
    this.memory.delete(key);
    this.failures.delete(key);
    this.timers.cancel(key);
    this.warned.delete(key);
  }

  private async reconcile(key: string): Promise<void> {
    const pod = this.informer.get(key);
    if (!pod || !isMine(pod, this.nodeName)) return;
    const uid = pod.metadata?.uid ?? '';
    const now = Date.now();
    this.warnBadAnnotations(key, pod);
    let step = decide(pod, this.memory.get(key), now, {
      nodeName: this.nodeName,
      pendingMs: this.pendingMs,
      runMs: this.runMs,
    });
    if (!step) return;
    try {
      if (step.completes && isFlytePod(pod)) {
        // The container's work happens now, before it is marked terminated (./flyte.ts).
        const exit = await runFlyteContainer(pod, this.store);
        step = {
          ...step,
          status: terminatedStatus(pod, now, step.completes.startedAt, {
            phase: exit.exitCode === 0 ? 'Succeeded' : 'Failed',
            ...exit,
          }),
        };
      } else if (step.completes && step.status && this.store && outputsUriOf(pod) !== undefined) {
        // A native pod task with an outputs URI writes its outputs there (./outputs-file.ts).
        step = { ...step, status: await writeOutputsFile(pod, step.status, this.store) };
      }
      await this.perform(pod, step);
    } catch (error) {
      if (toKubeError(error, `reconcile pod ${key}`).code === 'NotFound') {
        this.forget(key);
        return;
      }
      const attempt = (this.failures.get(key) ?? 0) + 1;
      this.failures.set(key, attempt);
      const delay = Math.min(5000, 50 * 2 ** Math.min(attempt, 7));
      this.log.warn({ pod: key, err: describe(error), retryInMs: delay }, 'pod step failed');
      this.timers.at(key, Date.now() + delay);
      return;
    }
    this.failures.delete(key);
    const previous = this.memory.get(key);
    const base: PodMemory = previous && previous.uid === uid ? previous : { uid, stage: 'new' };
    this.memory.set(key, { ...base, ...step.remember, uid });
    if (step.requeueAfterMs !== undefined) this.timers.at(key, now + step.requeueAfterMs);
  }

  private async perform(pod: V1Pod, step: Step): Promise<void> {
    const name = pod.metadata?.name ?? '';
    const namespace = pod.metadata?.namespace ?? 'default';
    if (step.bind) await this.bind(name, namespace);
    if (step.status) {
      await this.api.patchNamespacedPodStatus({ name, namespace, body: { status: step.status } }, mergePatch);
    }
    if (step.delete) {
      try {
        await this.api.deleteNamespacedPod({ name, namespace, gracePeriodSeconds: 0 });
      } catch (error) {
        if (toKubeError(error, `delete pod ${namespace}/${name}`).code !== 'NotFound') throw error;
      }
    }
  }

  /** Binds through the `binding` subresource as the scheduler does; falls back to setting spec.nodeName. */
  private async bind(name: string, namespace: string): Promise<void> {
    if (!this.bindingUnsupported) {
      try {
        await this.api.createNamespacedPodBinding({
          name,
          namespace,
          body: {
            apiVersion: 'v1',
            kind: 'Binding',
            metadata: { name, namespace },
            target: { apiVersion: 'v1', kind: 'Node', name: this.nodeName },
          },
        });
        return;
      } catch (error) {
        const status = toKubeError(error, `bind pod ${namespace}/${name}`).status;
        if (status !== 404 && status !== 405) throw error;
        this.bindingUnsupported = true;
        this.log.info('the API server has no pods/binding subresource: binding by patching spec.nodeName');
      }
    }
    await this.api.patchNamespacedPod({ name, namespace, body: { spec: { nodeName: this.nodeName } } }, mergePatch);
  }

  private warnBadAnnotations(key: string, pod: V1Pod): void {
    const uid = pod.metadata?.uid ?? key;
    if (this.warned.get(key) === uid) return;
    const { problems } = readSimSpec(pod.metadata?.annotations, { runMs: this.runMs });
    if (problems.length === 0) return;
    this.warned.set(key, uid);
    for (const problem of problems)
      this.log.warn({ pod: key, err: problem.message }, 'ignoring an invalid simulation annotation');
  }

  /** Creates the Node object this kubelet stands for (best effort: a server without Nodes is fine). */
  private async registerNode(): Promise<void> {
    const now = new Date();
    try {
      await this.api.createNode({
        body: {
          apiVersion: 'v1',
          kind: 'Node',
          metadata: {
            name: this.nodeName,
            labels: { 'kubernetes.io/hostname': this.nodeName, 'kubernetes.io/os': 'linux', type: 'flotilla-sim' },
          },
          status: {
            addresses: [{ type: 'InternalIP', address: hostIP }],
            allocatable: { cpu: '64', memory: '256Gi', pods: '10000' },
            capacity: { cpu: '64', memory: '256Gi', pods: '10000' },
            conditions: [
              {
                type: 'Ready',
                status: 'True',
                reason: 'KubeletReady',
                message: 'simulated kubelet is posting ready status',
                lastHeartbeatTime: now,
                lastTransitionTime: now,
              },
            ],
            nodeInfo: {
              architecture: 'amd64',
              bootID: '',
              containerRuntimeVersion: 'sim://1.0',
              kernelVersion: '',
              kubeProxyVersion: '',
              kubeletVersion: 'v1.32.0-flotilla-sim',
              machineID: '',
              operatingSystem: 'linux',
              osImage: 'flotilla simulated node',
              systemUUID: '',
            },
          },
        },
      });
    } catch (error) {
      if (toKubeError(error, `register node ${this.nodeName}`).code === 'AlreadyExists') return;
      this.log.info({ err: describe(error) }, 'could not register the simulated Node (continuing without it)');
    }
  }
}

function describe(error: unknown): string {
  return toKubeError(error, 'pod step').message;
}
