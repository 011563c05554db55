/**
 * A FlyteWorkflow's catalog keys and values, in FlytePropeller's layout (its datacatalog
 * transformer): dataset project and domain from the task's `id`, name `flyte_task-<task name>`,
 * version `<discoveryVersion>-<inputs interface hash>-<outputs interface hash>` (8 characters
 * each), tag `flyte_cached-<hash of the input literals>` without the task's
 * `cacheIgnoreInputVars`. A literal that carries a `hash` (offloaded data flytekit hashed) counts
 * by that hash, as in Flyte. The hashes are ours (src/catalog/hash.ts): entries are Flyte-shaped
 * and readable by Flyte's tools, but a flotilla fleet and FlytePropeller compute different tags.
 *
 * Values are the engine's literals (protobuf JSON) as they are; engine-made shapes (an array
 * node's JSON list, a gate's plain value) are normalised first.
 */
import type { JsonObject, JsonValue } from '../api/schema.js';
import type { TaskContext } from '../engine/plugins.js';
import { isContainerConfig } from '../flyte/translate/contract.js';
import { isObject, normalizeLiterals } from '../flyte/literals/values.js';
import type { CatalogFrontEnd } from './catalog.js';
import { CatalogError } from './errors.js';
import { hashInputs, stableHash } from './hash.js';
import type { CatalogKey, LiteralMapJson } from './model.js';

export const flyteCatalogFrontEnd: CatalogFrontEnd = {
  keyOf(task: TaskContext): CatalogKey {
    const config = task.task.config;
    if (!isContainerConfig(config))
      throw new CatalogError('BadEntry', `task ${task.taskName} is not a Flyte container task`);
    const template = config.template;
    const id = isObject(template['id']) ? template['id'] : {};
    const metadata = isObject(template['metadata']) ? template['metadata'] : {};
    const iface = isObject(template['interface']) ? template['interface'] : {};
    const version = typeof metadata['discoveryVersion'] === 'string' ? metadata['discoveryVersion'].trim() : '';
    if (version === '') throw new CatalogError('BadEntry', `task ${config.taskName} has an empty discoveryVersion`);
    const ignore = Array.isArray(metadata['cacheIgnoreInputVars'])
      ? metadata['cacheIgnoreInputVars'].filter((v): v is string => typeof v === 'string')
      : [];
    const signature = `${stableHash(variables(iface['inputs'])).slice(0, 8)}-${stableHash(variables(iface['outputs'])).slice(0, 8)}`;
    return {
      dataset: {
        project: stringAt(id, 'project'),
        domain: stringAt(id, 'domain'),
        name: `flyte_task-${stringAt(id, 'name') || config.taskName}`,
        version: `${version}-${signature}`,
      },
      tag: `flyte_cached-${hashInputs(hashable(inputLiterals(task)), ignore)}`,
    };
  },
  toLiterals(_task: TaskContext, outputs: JsonObject): LiteralMapJson {
    return normalizeLiterals(outputs) as LiteralMapJson;
  },
  fromLiterals(task: TaskContext, data: LiteralMapJson): JsonObject {
    const config = task.task.config;
    const iface =
      isContainerConfig(config) && isObject(config.template['interface']) ? config.template['interface'] : {};
    const declared = Object.keys(variables(iface['outputs']));
    const missing = declared.filter((name) => data[name] === undefined);
    if (missing.length > 0)
      throw new CatalogError('BadEntry', `cached outputs of ${task.taskName} lack ${missing.join(', ')}`);
    return { ...data } as JsonObject;
  },
};

/** The node's input literals (an array item's arrive as its `item`). */
function inputLiterals(task: TaskContext): Record<string, JsonValue> {
  const config = task.task.config;
  if (isContainerConfig(config) && config.arrayItem === true) {
    const item = task.inputs['item'];
    return isObject(item) ? (normalizeLiterals(item) as Record<string, JsonValue>) : {};
  }
  return normalizeLiterals(task.inputs) as Record<string, JsonValue>;
}

/** Literals with a `hash` count by it (Flyte hashes offloaded data by the hash flytekit gave it). */
function hashable(literals: Record<string, JsonValue>): Record<string, JsonValue> {
  const out: Record<string, JsonValue> = {};
  for (const [name, literal] of Object.entries(literals)) out[name] = byHash(literal, 0);
  return out;
}

function byHash(literal: JsonValue, depth: number): JsonValue {
  if (!isObject(literal) || depth > 64) return literal;
  if (typeof literal['hash'] === 'string' && literal['hash'] !== '') return { hash: literal['hash'] };
  const collection = isObject(literal['collection']) ? literal['collection']['literals'] : undefined;
  if (Array.isArray(collection)) return { collection: { literals: collection.map((item) => byHash(item, depth + 1)) } };
  const map = isObject(literal['map']) ? literal['map']['literals'] : undefined;
  if (isObject(map)) {
    const entries: JsonObject = {};
    for (const [k, v] of Object.entries(map)) entries[k] = byHash(v, depth + 1);
    return { map: { literals: entries } };
  }
  return literal;
}

function variables(map: JsonValue | undefined): JsonObject {
  return isObject(map) && isObject(map['variables']) ? map['variables'] : {};
}

function stringAt(object: JsonObject, key: string): string {
  const value = object[key];
  return typeof value === 'string' ? value : '';
}
