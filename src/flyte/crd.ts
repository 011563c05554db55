/**
 * The `flyteworkflows.flyte.lyft.com` CustomResourceDefinition the fleet installs to run Flyte's
 * own resource, written as code so the YAML never drifts (a test compares the committed file).
 *
 * Decisions (docs/flyte-format.md, "The CRD"):
 * - **Names, version and scope exactly Flyte's** (kind `FlyteWorkflow`, plural `flyteworkflows`,
 *   short name `fly`, `v1alpha1` served and stored, namespaced), so FlyteAdmin, flytectl and
 *   FlytePropeller itself work against it unchanged, and applying it over Flyte's CRD is harmless.
 * - **Loose like Flyte's.** Flyte's schema is `type: object` with
 *   `x-kubernetes-preserve-unknown-fields: true` at the root and nothing else. Ours keeps that root
 *   and names the top-level fields with their types (for `kubectl explain` and a first check), every
 *   object among them again preserving unknown fields: nothing Flyte writes is pruned. `spec` and
 *   `tasks` are nullable (an offloaded closure writes them as `null`).
 * - **No status subresource**, as in Flyte's CRD: FlytePropeller (and so the fleet) writes the whole
 *   object, status included, in one update with a resourceVersion precondition. With a status
 *   subresource, a FlytePropeller sharing the cluster would lose every status write.
 * - **Printer columns** (Flyte's CRD has none): phase number, project, domain, Flyte shard key,
 *   the fleet's shard, age; `-o wide` adds workflow name and message.
 *
 * Run `node --import tsx src/flyte/crd.ts` to write `charts/flotilla/files/crds/flyteworkflows.flyte.lyft.com.yaml`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { FLYTE_GROUP, FLYTE_KIND, FLYTE_PLURAL, FLYTE_VERSION } from './types.js';

/** The repository-relative path of the generated CRD. */
export const FLYTE_CRD_FILE = 'charts/flotilla/files/crds/flyteworkflows.flyte.lyft.com.yaml';

/** A node of a structural OpenAPI v3 schema, as this CRD uses them. */
export interface FlyteCrdSchema {
  type?: 'object' | 'string' | 'integer';
  description?: string;
  nullable?: boolean;
  properties?: Record<string, FlyteCrdSchema>;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
}

const object = (description: string, extra: Partial<FlyteCrdSchema> = {}): FlyteCrdSchema => ({
  type: 'object',
  description,
  'x-kubernetes-preserve-unknown-fields': true,
  ...extra,
});
const string = (description: string): FlyteCrdSchema => ({ type: 'string', description });

/** The `openAPIV3Schema`: Flyte's preserve-everything root, with the top-level fields named and typed. */
export function flyteWorkflowSchema(): FlyteCrdSchema {
  return object('A Flyte workflow execution as FlyteAdmin creates it (Flyte v1.16 format; see docs/flyte-format.md).', {
    properties: {
      apiVersion: { type: 'string' },
      kind: { type: 'string' },
      metadata: { type: 'object' },
      spec: object(
        'The primary workflow: nodes (by id), connections, edges, outputs, outputBindings, onFailure, onFailurePolicy. Null when the closure is offloaded.',
        { nullable: true },
      ),
      workflowMeta: object('Event version FlyteAdmin expects (eventVersion).'),
      inputs: object('The execution inputs, a flyteidl LiteralMap in protobuf JSON; absent when offloaded.'),
      executionId: object('The Flyte execution (project, domain, name, org).', {
        properties: {
          project: string('Flyte project.'),
          domain: string('Flyte domain.'),
          name: string('Execution name.'),
          org: string('Organisation.'),
        },
      }),
      tasks: object(
        'Task templates (flyteidl TaskTemplate, protobuf JSON) keyed by task identifier. Null when the closure is offloaded.',
        { nullable: true },
      ),
      subWorkflows: object('Inline sub-workflows keyed by workflow identifier, each shaped like spec.'),
      activeDeadlineSeconds: { type: 'integer', description: 'Seconds before the workflow is failed.' },
      'node-defaults': object('Defaults for nodes (interruptible).'),
      acceptedAt: string('When FlyteAdmin accepted the execution (RFC 3339).'),
      serviceAccountName: string('Deprecated: the service account tasks run as.'),
      securityContext: object('flyteidl SecurityContext (Go field names: run_as, secrets, tokens).'),
      status: object(
        'Written by the controller with the whole object: phase (0 Ready, 1 Running, 2 Succeeding, 3 Succeeded, 4 Failing, 5 Failed, 6 Aborted, 7 HandlingFailureNode), nodeStatus, message, ...',
        {
          properties: {
            phase: { type: 'integer', description: 'Workflow phase number.' },
            message: string('Last phase message.'),
          },
        },
      ),
      rawOutputDataConfig: object('Where raw outputs go (output_location_prefix).'),
      executionConfig: object(
        'Execution overrides (Go field names: MaxParallelism, TaskResources, Interruptible, ...).',
      ),
      workflowClosureReference: string('Blob URI of the offloaded compiled workflow closure.'),
      consoleUrl: string('Flyte console URL.'),
      offloadedInputs: string('Blob URI of the offloaded inputs.'),
    },
  });
}

/** A printer column. */
export interface FlytePrinterColumn {
  name: string;
  type: 'string' | 'integer' | 'date';
  jsonPath: string;
  description?: string;
  priority?: number;
}

/** The columns `kubectl get flyteworkflows` shows (priority 1: only with `-o wide`). */
export const FLYTE_PRINTER_COLUMNS: readonly FlytePrinterColumn[] = [
  {
    name: 'Phase',
    type: 'integer',
    jsonPath: '.status.phase',
    description:
      '0 Ready, 1 Running, 2 Succeeding, 3 Succeeded, 4 Failing, 5 Failed, 6 Aborted, 7 HandlingFailureNode.',
  },
  { name: 'Project', type: 'string', jsonPath: '.metadata.labels.project', description: 'Flyte project.' },
  { name: 'Domain', type: 'string', jsonPath: '.metadata.labels.domain', description: 'Flyte domain.' },
  {
    name: 'Shard-Key',
    type: 'string',
    jsonPath: '.metadata.labels.shard-key',
    description: "Flyte's shard key (0-31).",
  },
  {
    name: 'Shard',
    type: 'string',
    jsonPath: '.metadata.labels.flotilla\\.io/shard',
    description: 'The fleet shard that owns the execution.',
  },
  { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
  {
    name: 'Workflow',
    type: 'string',
    jsonPath: '.metadata.labels.workflow-name',
    description: 'Flyte workflow name.',
    priority: 1,
  },
  { name: 'Message', type: 'string', jsonPath: '.status.message', description: 'Last phase message.', priority: 1 },
];

/** The whole CustomResourceDefinition object (`apiextensions.k8s.io/v1`). */
export function flyteWorkflowCrd(): Record<string, unknown> {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${FLYTE_PLURAL}.${FLYTE_GROUP}`, labels: { 'app.kubernetes.io/part-of': 'flotilla' } },
    spec: {
      group: FLYTE_GROUP,
      names: {
        kind: FLYTE_KIND,
        listKind: `${FLYTE_KIND}List`,
        plural: FLYTE_PLURAL,
        singular: 'flyteworkflow',
        shortNames: ['fly'],
      },
      scope: 'Namespaced',
      versions: [
        {
          name: FLYTE_VERSION,
          served: true,
          storage: true,
          additionalPrinterColumns: FLYTE_PRINTER_COLUMNS,
          schema: { openAPIV3Schema: flyteWorkflowSchema() },
        },
      ],
    },
  };
}

/** The CRD as the YAML file the generator writes (deterministic). */
export function flyteWorkflowCrdYaml(): string {
  const header = '# Generated by `node --import tsx src/flyte/crd.ts` (src/flyte/crd.ts). Do not edit.\n';
  return header + stringify(flyteWorkflowCrd(), { lineWidth: 0, aliasDuplicateObjects: false });
}

const self = fileURLToPath(import.meta.url);
if (process.argv[1] !== undefined && resolve(process.argv[1]) === self) {
  const target = resolve(dirname(self), '..', '..', FLYTE_CRD_FILE);
  mkdirSync(dirname(target), { recursive: true });
  writeFileSync(target, flyteWorkflowCrdYaml());
  console.error(`wrote ${FLYTE_CRD_FILE}`);
}
