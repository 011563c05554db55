/**
 * Pod state → task observation. Pure.
 * System failures: lost or deleted Pod, image pull errors, Pending too long, OOMKilled, Evicted.
 * User failures: non-zero exit; outputs (the termination message) that are not a JSON object.
 */
import type { V1Pod } from '@kubernetes/client-node';
import type { JsonObject } from '../../api/schema.js';
import type { TaskObservation } from '../../engine/plugins.js';

export interface ClassifyOptions {
  readonly now: number;
  /** A Pod still Pending after this long is a system failure. @defaultValue 300000 */
  readonly pendingTimeoutMs?: number;
  /** Ask again after this long while Pending or Running. @defaultValue 1000 */
  readonly checkAfterMs?: number;
}

const IMAGE_ERRORS = new Set([
  'ErrImagePull',
  'ImagePullBackOff',
  'InvalidImageName',
  'ErrImageNeverPull',
  'CreateContainerConfigError',
  'CreateContainerError',
]);

function timeMs(value: unknown): number | undefined {
  if (value instanceof Date) return value.getTime();
  if (typeof value === 'string') {
    const ms = Date.parse(value);
    return Number.isNaN(ms) ? undefined : ms;
  }
  return undefined;
}

function system(reason: string, message: string, retryable = true): TaskObservation {
  return { phase: 'Failed', failure: { kind: 'system', reason, message, retryable } };
}

export function parseOutputs(
  message: string | undefined,
): { ok: true; outputs: JsonObject } | { ok: false; reason: string } {
  if (message === undefined || message.trim() === '') return { ok: true, outputs: {} };
  let parsed: unknown;
  try {
    parsed = JSON.parse(message);
  } catch (error) {
    return {
      ok: false,
      reason: `the termination message is not JSON (${error instanceof Error ? error.message : String(error)})`,
    };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    return { ok: false, reason: 'the termination message is JSON but not an object' };
  return { ok: true, outputs: parsed as JsonObject };
}

export function classifyPod(pod: V1Pod | undefined, options: ClassifyOptions): TaskObservation {
  const checkAfterMs = options.checkAfterMs ?? 1000;
  if (!pod) return system('PodLost', 'the Pod no longer exists');
  const name = pod.metadata?.name ?? '';
  const status = pod.status;
  const container = status?.containerStatuses?.[0];
  const terminated = container?.state?.terminated;
  const phase = status?.phase ?? 'Pending';
  if (phase === 'Succeeded') {
    const parsed = parseOutputs(terminated?.message);
    if (!parsed.ok)
      return {
        phase: 'Failed',
        failure: { kind: 'user', reason: 'InvalidOutputs', message: `Pod ${name} succeeded but ${parsed.reason}` },
      };
    return { phase: 'Succeeded', outputs: parsed.outputs };
  }
  if (phase === 'Failed') {
    if (status?.reason === 'Evicted')
      return system('Evicted', `Pod ${name} was evicted${status.message ? `: ${status.message}` : ''}`);
    if (terminated?.reason === 'OOMKilled') return system('OOMKilled', `Pod ${name} ran out of memory (OOMKilled)`);
    const code = terminated?.exitCode;
    if (code !== undefined && code !== 0) {
      const detail = terminated?.message ? `: ${terminated.message.slice(0, 1024)}` : '';
      return {
        phase: 'Failed',
        failure: { kind: 'user', reason: 'NonZeroExit', message: `Pod ${name} exited with code ${code}${detail}` },
      };
    }
    return system(status?.reason ?? 'PodFailed', `Pod ${name} failed${status?.message ? `: ${status.message}` : ''}`);
  }
  if (pod.metadata?.deletionTimestamp !== undefined && pod.metadata.deletionTimestamp !== null)
    return system('PodDeleted', `Pod ${name} is being deleted`);
  const waiting = container?.state?.waiting;
  if (waiting?.reason !== undefined && IMAGE_ERRORS.has(waiting.reason)) {
    return system(
      waiting.reason,
      `Pod ${name}: ${waiting.reason}${waiting.message ? `: ${waiting.message}` : ''}`,
      waiting.reason !== 'InvalidImageName',
    );
  }
  if (phase === 'Pending') {
    const created = timeMs(pod.metadata?.creationTimestamp);
    const limit = options.pendingTimeoutMs ?? 300_000;
    if (created !== undefined && options.now - created >= limit)
      return system('PendingTimeout', `Pod ${name} stayed Pending for more than ${Math.round(limit / 1000)}s`);
    return {
      phase: 'Queued',
      message: `Pod ${name} pending${waiting?.reason ? ` (${waiting.reason})` : ''}`,
      checkAfterMs,
    };
  }
  if (phase === 'Running') return { phase: 'Running', message: `Pod ${name} running`, checkAfterMs };
  return system('PodUnknown', `Pod ${name} is in phase ${phase}`);
}
