/**
 * The native Workflow's catalog keys and values. A cacheable task is known by its Workflow's
 * namespace (datacatalog's project), the domain `flotilla`, and its template's name
 * (`flotilla_task-<name>`): two Workflows in one namespace whose tasks share a name and a cache
 * version share entries, as Flyte tasks do by name. The dataset version is the cache version
 * plus a hash of the declared outputs, so changing them starts a new dataset. The tag is
 * `flotilla_cached-<hash of the inputs>`.
 *
 * Values are plain JSON in the engine; in the catalog each is a flyteidl Literal holding the JSON
 * text as a `binary` scalar tagged `json`, so Flyte's datacatalog (which stores only literals)
 * keeps them unchanged.
 */
import type { JsonObject, JsonValue } from '../api/schema.js';
import type { TaskContext } from '../engine/plugins.js';
import type { CatalogFrontEnd } from './catalog.js';
import { CatalogError } from './errors.js';
import { hashInputs, stableHash } from './hash.js';
import type { CatalogKey, LiteralMapJson } from './model.js';

export const NATIVE_CATALOG_DOMAIN = 'flotilla';
const JSON_TAG = 'json';

export const nativeCatalogFrontEnd: CatalogFrontEnd = {
  keyOf(task: TaskContext): CatalogKey {
    const version = task.task.cache?.version;
    if (version === undefined) throw new CatalogError('BadEntry', `task ${task.taskName} has no cache version`);
    return {
      dataset: {
        project: task.workflow.namespace,
        domain: NATIVE_CATALOG_DOMAIN,
        name: `flotilla_task-${task.taskName}`,
        version: `${version}-${stableHash(task.task.outputs ?? {}).slice(0, 8)}`,
      },
      tag: `flotilla_cached-${hashInputs(task.inputs)}`,
    };
  },
  toLiterals(_task: TaskContext, outputs: JsonObject): LiteralMapJson {
    const literals: Record<string, JsonValue> = {};
    for (const [name, value] of Object.entries(outputs)) {
      literals[name] = {
        scalar: { binary: { value: Buffer.from(JSON.stringify(value ?? null)).toString('base64'), tag: JSON_TAG } },
      };
    }
    return literals;
  },
  fromLiterals(task: TaskContext, data: LiteralMapJson): JsonObject {
    const outputs: JsonObject = {};
    for (const [name, literal] of Object.entries(data)) {
      const binary = objectAt(objectAt(literal, 'scalar'), 'binary');
      if (binary?.['tag'] !== JSON_TAG || typeof binary['value'] !== 'string')
        throw new CatalogError('BadEntry', `cached output ${name} of task ${task.taskName} is not a JSON literal`);
      try {
        outputs[name] = JSON.parse(Buffer.from(binary['value'], 'base64').toString('utf8')) as JsonValue;
      } catch (cause) {
        throw new CatalogError('BadEntry', `cached output ${name} of task ${task.taskName} is not valid JSON`, {
          cause,
        });
      }
    }
    return outputs;
  },
};

function objectAt(value: JsonValue | undefined, key: string): JsonObject | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const inner = value[key];
  return inner !== null && typeof inner === 'object' && !Array.isArray(inner) ? inner : undefined;
}
