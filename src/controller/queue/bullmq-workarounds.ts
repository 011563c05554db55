/**
 * Workarounds for BullMQ 5.81 that reach into its internals (field names checked; a missing field
 * is skipped). Each says which failure it prevents.
 *
 * `keepConnectionErrorsHandled`: keeps BullMQ's connection errors handled for the life of the process.
 *
 * BullMQ 5.81's `RedisConnection.close()` on a connection that is still connecting disconnects it
 * and removes every listener in the same tick; the failed connection attempt then emits `error`
 * on the connection with no listener left, and Node turns that into an uncaught exception that
 * kills the replica. It happens when a shard is stopped while its queue is still starting (a fence
 * during a start, a partition), and the fault suite saw replicas exit with code 1 from it.
 *
 * The guard adds an `error` listener to the Queue's or Worker's connections and puts it back
 * whenever BullMQ removes all listeners, so such a late error is logged, never thrown.
 */
import { EventEmitter } from 'node:events';

/** The BullMQ 5.81 fields holding a Queue's or Worker's `RedisConnection`s. */
const CONNECTION_FIELDS = ['connection', 'blockingConnection'] as const;

export function keepConnectionErrorsHandled(owner: object, onError: (error: Error) => void): void {
  const internals = owner as Record<string, unknown>;
  for (const field of CONNECTION_FIELDS) {
    const connection = internals[field];
    if (!(connection instanceof EventEmitter)) continue;
    const listener = (error: unknown) => onError(error instanceof Error ? error : new Error(String(error)));
    connection.on('error', listener);
    const removeAll = connection.removeAllListeners.bind(connection);
    connection.removeAllListeners = (event?: string | symbol) => {
      if (event === undefined) removeAll();
      else removeAll(event);
      if (event === undefined || event === 'error') connection.on('error', listener);
      return connection;
    };
  }
}

/**
 * Last resort when BullMQ's close hangs (Redis gone or restarted under it): stops the worker's lock
 * renewal and stalled-check timers and disconnects the ioredis
 * clients behind its `connection` and `blockingConnection` (`RedisConnection#_client`) without
 * waiting, which also stops their reconnect loops. Relies on BullMQ 5.81's internal field names; a
 * missing field is skipped.
 */
export async function forceDisconnect(owner: object): Promise<void> {
  const internals = owner as Record<string, unknown>;
  // A close stuck in its first step never reaches these: the lock renewal timer and the stalled
  // checker would keep running (and the process alive) forever.
  const lockManager = internals['lockManager'];
  if (
    typeof lockManager === 'object' &&
    lockManager !== null &&
    'close' in lockManager &&
    typeof lockManager.close === 'function'
  ) {
    // Its close awaits an in-flight lock renewal, which waits for Redis forever: bounded here.
    const closing = Promise.resolve((lockManager as { close(): Promise<void> }).close()).then(
      () => true,
      () => true,
    );
    await within(closing, 500);
  }
  const stopStalled = internals['stalledCheckStopper'];
  if (typeof stopStalled === 'function') (stopStalled as () => void)();
  for (const field of ['connection', 'blockingConnection']) {
    const connection = internals[field];
    if (typeof connection !== 'object' || connection === null) continue;
    // `_client` is the ioredis instance itself (the `client` getter waits for readiness).
    const client = (connection as Record<string, unknown>)['_client'];
    if (
      typeof client === 'object' &&
      client !== null &&
      'disconnect' in client &&
      typeof client.disconnect === 'function'
    ) {
      (client as { disconnect(): void }).disconnect();
    }
  }
}

export function within(promise: Promise<boolean>, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    void promise.then((value) => {
      clearTimeout(timer);
      resolve(value);
    });
  });
}
