/**
 * Queue keys of FlyteWorkflows. One shard queue serves both kinds: a native Workflow's key is
 * `namespace/name`, a FlyteWorkflow's `flyte:namespace/name`. A namespace never contains `:`, so
 * the two never collide, and the prefixed key still passes the queue's `namespace/name` check
 * (src/controller/queue/keys.ts: one slash, both sides non-empty).
 */

/** The prefix of a FlyteWorkflow's queue key. */
export const FLYTE_KEY_PREFIX = 'flyte:';

/** The queue key of a FlyteWorkflow. */
export function flyteKey(namespace: string, name: string): string {
  return `${FLYTE_KEY_PREFIX}${namespace}/${name}`;
}

/** Whether a queue key names a FlyteWorkflow. */
export function isFlyteKey(key: string): boolean {
  return key.startsWith(FLYTE_KEY_PREFIX);
}

/** `namespace/name` of a FlyteWorkflow queue key (the informer cache's key). */
export function cacheKeyOf(key: string): string {
  return isFlyteKey(key) ? key.slice(FLYTE_KEY_PREFIX.length) : key;
}

/** `[namespace, name]` of a FlyteWorkflow queue key (or cache key). */
export function splitFlyteKey(key: string): [string, string] {
  const plain = cacheKeyOf(key);
  const slash = plain.indexOf('/');
  return [plain.slice(0, slash), plain.slice(slash + 1)];
}
