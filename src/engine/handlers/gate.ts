/**
 * The gate node: waits for a typed signal (annotation `signal.flotilla.io/<name>`), for a sleep to
 * pass, or for an approval (a boolean signal; `false` fails the node as "rejected"). A gate
 * `timeout` fails the node (TimedOut). A signal of the wrong type is reported in the node's
 * message and the gate keeps waiting (a typo should not kill a long workflow).
 */
import type { JsonValue, SignalType } from '../../api/schema.js';
import { signalAnnotationKey, type SignalRecord } from '../../api/signals.js';
import type { NodeRef, RoundContext } from '../context.js';
import { formatDuration, msOf, parseDuration } from '../../api/duration.js';
import { EngineError } from '../errors.js';

type ReadSignal = { found: false } | { found: true; record: SignalRecord } | { found: true; invalid: string };

export function readSignal(ctx: RoundContext, name: string): ReadSignal {
  const text = ctx.workflow.metadata.annotations?.[signalAnnotationKey(name)];
  if (text === undefined) return { found: false };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { found: true, invalid: `signal ${name} is not JSON` };
  }
  if (typeof parsed !== 'object' || parsed === null || !Object.hasOwn(parsed, 'value'))
    return { found: true, invalid: `signal ${name} has no value` };
  const record = parsed as { value: JsonValue; setAt?: unknown; setBy?: unknown };
  return {
    found: true,
    record: {
      value: record.value,
      setAt: typeof record.setAt === 'string' ? record.setAt : '',
      ...(typeof record.setBy === 'string' ? { setBy: record.setBy } : {}),
    },
  };
}

export function signalMatchesType(value: JsonValue, type: SignalType): boolean {
  switch (type) {
    case 'boolean':
      return typeof value === 'boolean';
    case 'string':
      return typeof value === 'string';
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'integer':
      return typeof value === 'number' && Number.isInteger(value);
    case 'json':
      return true;
  }
  return false;
}

/** The signal a gate waits for (`signal.name`, or the approval's name, defaulting to the node id). */
export function gateSignal(ref: NodeRef): { name: string; type: SignalType } | undefined {
  const gate = ref.node.gate;
  if (gate?.signal) return gate.signal;
  if (gate?.approve) return { name: gate.approve.name ?? ref.node.id ?? ref.path, type: 'boolean' };
  return undefined;
}

export function runGateNode(ctx: RoundContext, ref: NodeRef): void {
  const { path, node, ns } = ref;
  const gate = node.gate;
  if (!gate) throw new EngineError('InvalidSpec', `gate node ${path} has no gate block`);
  if (ns.phase === 'Pending') ctx.setPhase(path, ns, 'Running');
  if (ns.phase !== 'Running') return;
  const startedAt = msOf(ns.startedAt) ?? ctx.now;

  if (gate.sleep !== undefined) {
    const sleepMs = parseDuration(gate.sleep);
    if (sleepMs === undefined)
      throw new EngineError('InvalidSpec', `gate ${path}: invalid sleep ${JSON.stringify(gate.sleep)}`);
    if (ctx.now >= startedAt + sleepMs) {
      delete ns.waitingFor;
      ctx.recordOutputs(path, ns, {});
      ctx.setPhase(path, ns, 'Succeeded', { message: `slept ${formatDuration(sleepMs)}` });
      return;
    }
    ns.message = `sleeping ${formatDuration(sleepMs)}`;
    ctx.wake(startedAt + sleepMs);
  }

  const wanted = gateSignal(ref);
  if (wanted) {
    ns.waitingFor = wanted.name;
    const read = readSignal(ctx, wanted.name);
    if (read.found && 'record' in read) {
      const { value, setAt, setBy } = read.record;
      if (signalMatchesType(value, wanted.type)) {
        delete ns.waitingFor;
        ns.signal = {
          name: wanted.name,
          consumedAt: ctx.nowIso,
          ...(setAt !== '' ? { setAt } : {}),
          ...(setBy !== undefined ? { setBy } : {}),
        };
        if (gate.approve && value === false) {
          ctx.setPhase(path, ns, 'Failed', {
            message: `rejected${setBy !== undefined ? ` by ${setBy}` : ''} (signal ${wanted.name} = false)`,
            reason: 'Rejected',
          });
          return;
        }
        ctx.recordOutputs(path, ns, { value });
        ctx.setPhase(path, ns, 'Succeeded', { message: `signal ${wanted.name} received` });
        return;
      }
      ns.message = `signal ${wanted.name} has a value of the wrong type (want ${wanted.type}): still waiting`;
    } else if (read.found) {
      ns.message = `${read.invalid}: still waiting`;
    } else {
      ns.message = `waiting for signal ${wanted.name}`;
    }
  }

  if (gate.timeout !== undefined) {
    const timeoutMs = parseDuration(gate.timeout);
    if (timeoutMs === undefined)
      throw new EngineError('InvalidSpec', `gate ${path}: invalid timeout ${JSON.stringify(gate.timeout)}`);
    if (ctx.now >= startedAt + timeoutMs) {
      const what = wanted ? `signal ${wanted.name}` : 'its condition';
      ctx.setPhase(path, ns, 'TimedOut', {
        message: `gate ${path} timed out after ${formatDuration(timeoutMs)} waiting for ${what}`,
        reason: 'Timeout',
      });
      return;
    }
    ctx.wake(startedAt + timeoutMs);
  }
  if (!wanted && gate.sleep === undefined)
    throw new EngineError('InvalidSpec', `gate ${path} has none of signal, sleep, approve`);
}
