/**
 * Reads a Workflow's declared signals and writes a signal annotation through the Kubernetes API
 * (@kubernetes/client-node), used by the SignalService and by `flotilla signal` without --server.
 *
 * The write is a JSON merge patch of `metadata.annotations["signal.flotilla.io/<name>"]`: it does
 * not touch status (owned by the replica) and needs no resourceVersion, so it never conflicts with
 * the owning replica's writes; the replica's informer sees the change and runs a round.
 */
import { CustomObjectsApi, type KubeConfig, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import type { JsonValue, WorkflowSpec } from '../api/schema.js';
import { API_GROUP, API_VERSION, WORKFLOW_PLURAL } from '../api/schema.js';
import { signalAnnotationKey, type SignalRecord } from '../api/signals.js';
import { checkSignalValue, declaredSignals, parseCliValue, type SignalState } from './declarations.js';
import { kubeServer, toKubeError } from '../kube/errors.js';
import { SignalError } from './errors.js';

interface WorkflowObject {
  metadata?: { annotations?: Record<string, string> };
  spec?: Partial<WorkflowSpec>;
}

/** A value to set: already typed JSON, or CLI text to parse against the declared type. */
export type SignalInput = { readonly value: JsonValue } | { readonly text: string };

export interface WorkflowSignalsOptions {
  /** Deadline of each API call. @defaultValue 10_000 */
  readonly timeoutMs?: number;
}

function readRecord(annotations: Record<string, string> | undefined, name: string): SignalRecord | undefined {
  const raw = annotations?.[signalAnnotationKey(name)];
  if (raw === undefined) return undefined;
  try {
    const parsed = JSON.parse(raw) as Partial<SignalRecord>;
    if (parsed && typeof parsed === 'object' && 'value' in parsed && typeof parsed.setAt === 'string')
      return parsed as SignalRecord;
  } catch {
    // An annotation someone wrote by hand that is not ours: report it as unset.
  }
  return undefined;
}

export class WorkflowSignals {
  private readonly api: CustomObjectsApi;
  /** `host:port` of the API server, named when it cannot be reached. */
  private readonly server: string | undefined;

  constructor(
    kubeConfig: KubeConfig,
    private readonly options: WorkflowSignalsOptions = {},
  ) {
    this.api = kubeConfig.makeApiClient(CustomObjectsApi);
    this.server = kubeServer(kubeConfig);
  }

  private async withDeadline<T>(what: string, namespace: string, name: string, call: () => Promise<T>): Promise<T> {
    const timeoutMs = this.options.timeoutMs ?? 10_000;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(new SignalError('ApiUnavailable', `${what} ${namespace}/${name}: no answer within ${timeoutMs} ms`)),
        timeoutMs,
      );
    });
    try {
      return await Promise.race([call(), deadline]);
    } catch (error) {
      if (error instanceof SignalError) throw error;
      const kube = toKubeError(error, `${what} ${namespace}/${name}`, this.server);
      if (kube.code === 'NotFound')
        throw new SignalError('WorkflowNotFound', `workflow ${namespace}/${name} not found`, { cause: kube });
      // The Kubernetes error names the cause: the server's Status message, or the refused host:port.
      throw new SignalError('ApiUnavailable', kube.message, { cause: kube });
    } finally {
      clearTimeout(timer);
    }
  }

  private async read(namespace: string, name: string): Promise<WorkflowObject> {
    if (!namespace || !name) throw new SignalError('InvalidRequest', 'namespace and workflow name are required');
    return (await this.withDeadline('get workflow', namespace, name, () =>
      this.api.getNamespacedCustomObject({
        group: API_GROUP,
        version: API_VERSION,
        namespace,
        plural: WORKFLOW_PLURAL,
        name,
      }),
    )) as WorkflowObject;
  }

  /** Every declared signal of the Workflow with its current value. */
  async list(namespace: string, name: string): Promise<SignalState[]> {
    const workflow = await this.read(namespace, name);
    return declaredSignals(workflow.spec ?? {}).map((d) => {
      const record = readRecord(workflow.metadata?.annotations, d.name);
      return record ? { ...d, record } : d;
    });
  }

  /** Checks the value against the gate's type and writes the annotation (merge patch). */
  async set(namespace: string, name: string, signal: string, input: SignalInput, setBy?: string): Promise<SignalState> {
    const workflow = await this.read(namespace, name);
    const declarations = declaredSignals(workflow.spec ?? {});
    const decl = declarations.find((d) => d.name === signal);
    if (!decl) {
      const known = declarations.map((d) => d.name).join(', ') || 'none';
      throw new SignalError(
        'SignalNotFound',
        `workflow ${namespace}/${name} has no gate waiting for signal "${signal}" (declared: ${known})`,
      );
    }
    const raw = 'value' in input ? input.value : parseCliValue(input.text, decl.type);
    const value = checkSignalValue(decl, raw);
    const record: SignalRecord = { value, setAt: new Date().toISOString(), ...(setBy ? { setBy } : {}) };
    const body = { metadata: { annotations: { [signalAnnotationKey(signal)]: JSON.stringify(record) } } };
    await this.withDeadline('patch workflow', namespace, name, () =>
      this.api.patchNamespacedCustomObject(
        { group: API_GROUP, version: API_VERSION, namespace, plural: WORKFLOW_PLURAL, name, body },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      ),
    );
    return { ...decl, record };
  }
}
