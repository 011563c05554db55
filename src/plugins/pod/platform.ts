/**
 * What the platform adds to every task Pod, after the plugin built it (both the native `pod`
 * plugin and Flyte's `flyte-container`), in FlytePropeller's order:
 *
 * 1. the PodTemplate: the task's own (`podTemplateName`), else the default one
 *    (`--default-pod-template`), looked up in the workflow's namespace, then the controller's; a
 *    task naming a template that exists in neither fails (Flyte: `PodTemplate 'x' does not exist`),
 *    a missing default is no template ({@link mergePodTemplate});
 * 2. interruptible scheduling: the configured tolerations before the Pod's own, the configured
 *    node selector over the Pod's (an attempt the engine took off interruptible nodes gets
 *    neither);
 * 3. the secrets the task asks for, as the label and annotation the admission webhook injects them
 *    from (src/api/secrets.ts).
 *
 * Pure given the template lookup, which reads a cache (the controller's PodTemplate informer).
 */
import type { V1Pod, V1PodTemplate, V1Toleration } from '@kubernetes/client-node';
import type { SecretRequest } from '../../api/schema.js';
import { secretsMetadata } from '../../api/secrets.js';
import { mergePodTemplate } from './template-merge.js';

/** PodTemplates by namespace and name: a cache, never an API call per Pod. */
export interface PodTemplateLookup {
  get(namespace: string, name: string): V1PodTemplate | undefined;
}

/** Where interruptible tasks may run (FlytePropeller's `interruptible-tolerations` / `-node-selector`). */
export interface InterruptibleScheduling {
  /** Added to the Pods of interruptible attempts. @defaultValue none */
  readonly tolerations?: readonly V1Toleration[];
  /** Merged over the Pod's node selector for interruptible attempts. @defaultValue none */
  readonly nodeSelector?: Readonly<Record<string, string>>;
}

/** The platform's Pod settings, one set per controller process. */
export interface PodPlatformOptions {
  /** The PodTemplate cache; without it no template is applied (a named one fails the task). */
  readonly templates?: PodTemplateLookup;
  /** The PodTemplate under every task Pod that names none. @defaultValue none */
  readonly defaultTemplate?: string;
  /** Looked in after the workflow's namespace (the controller's own). @defaultValue none */
  readonly controllerNamespace?: string;
  readonly interruptible?: InterruptibleScheduling;
}

/** What the platform needs to know of one attempt's Pod. */
export interface PodPlatformInput {
  /** The task's own PodTemplate name, if any. */
  readonly templateName?: string;
  /** The task's container (merged over the template's `primary`). */
  readonly primaryContainer: string;
  /** Whether this attempt runs on interruptible nodes (the engine drops it for the last attempts). */
  readonly interruptible: boolean;
  readonly secrets?: readonly SecretRequest[];
}

export type PodPlatformResult = { readonly pod: V1Pod } | { readonly error: string };

function findTemplate(
  options: PodPlatformOptions,
  namespace: string,
  name: string,
): { template?: V1PodTemplate; looked: string[] } {
  const looked = [
    namespace,
    ...(options.controllerNamespace && options.controllerNamespace !== namespace ? [options.controllerNamespace] : []),
  ];
  for (const ns of looked) {
    const template = options.templates?.get(ns, name);
    if (template) return { template, looked };
  }
  return { looked };
}

export function applyPodPlatform(pod: V1Pod, input: PodPlatformInput, options: PodPlatformOptions): PodPlatformResult {
  const namespace = pod.metadata?.namespace ?? 'default';
  let out = pod;
  const named = input.templateName;
  const name = named ?? options.defaultTemplate;
  if (name !== undefined && name !== '') {
    const { template, looked } = findTemplate(options, namespace, name);
    if (template) out = mergePodTemplate(template, out, input.primaryContainer);
    else if (named !== undefined)
      return { error: `PodTemplate '${named}' does not exist in namespace ${looked.join(' or ')}` };
  }
  const spec = { ...(out.spec ?? { containers: [] }) };
  if (input.interruptible) {
    const tolerations = [...(options.interruptible?.tolerations ?? []), ...(spec.tolerations ?? [])];
    if (tolerations.length > 0) spec.tolerations = tolerations;
    const selector = { ...(spec.nodeSelector ?? {}), ...(options.interruptible?.nodeSelector ?? {}) };
    if (Object.keys(selector).length > 0) spec.nodeSelector = selector;
  }
  const secrets = secretsMetadata(input.secrets ?? []);
  const metadata = {
    ...(out.metadata ?? {}),
    labels: { ...(out.metadata?.labels ?? {}), ...secrets.labels },
    annotations: { ...(out.metadata?.annotations ?? {}), ...secrets.annotations },
  };
  return { pod: { ...out, metadata, spec } };
}
