/** Promise helpers over the generated SignalService client, each call with a deadline. */
import * as grpc from '@grpc/grpc-js';
import type { JsonValue, SignalType } from '../api/schema.js';
import * as pb from '../generated/flotilla/signals/v1/signals.js';
import { createClient, deadlineIn, type ClientSecurityOptions } from '../security/grpc.js';
import { signalTypeFromPb, valueFromPb } from './declarations.js';

export function createSignalClient(address: string, security: ClientSecurityOptions = {}): pb.SignalServiceClient {
  return createClient(pb.SignalServiceClient, address, security);
}

/** A signal as the service reports it. */
export interface SignalView {
  readonly name: string;
  readonly type: SignalType | undefined;
  readonly nodeId: string;
  readonly set: boolean;
  readonly value?: JsonValue;
  readonly setAt?: string;
  readonly setBy?: string;
}

function view(signal: pb.Signal | undefined): SignalView {
  if (!signal) throw new Error('empty signal in response');
  return {
    name: signal.name,
    type: signalTypeFromPb(signal.type),
    nodeId: signal.nodeId,
    set: signal.set,
    ...(signal.set && signal.value ? { value: valueFromPb(signal.value) } : {}),
    ...(signal.setAt ? { setAt: signal.setAt } : {}),
    ...(signal.setBy ? { setBy: signal.setBy } : {}),
  };
}

export interface SetSignalCall {
  readonly namespace: string;
  readonly workflow: string;
  readonly name: string;
  readonly value: pb.SignalValue;
  readonly setBy?: string;
  /** @defaultValue 10_000 */
  readonly timeoutMs?: number;
}

export function setSignal(client: pb.SignalServiceClient, call: SetSignalCall): Promise<SignalView> {
  return new Promise((resolve, reject) => {
    const request: pb.SetSignalRequest = {
      namespace: call.namespace,
      workflow: call.workflow,
      name: call.name,
      value: call.value,
      setBy: call.setBy ?? '',
    };
    client.setSignal(
      request,
      new grpc.Metadata(),
      { deadline: deadlineIn(call.timeoutMs ?? 10_000) },
      (error, response) => {
        if (error) reject(error);
        else resolve(view(response.signal));
      },
    );
  });
}

export function listSignals(
  client: pb.SignalServiceClient,
  call: { namespace: string; workflow: string; timeoutMs?: number },
): Promise<SignalView[]> {
  return new Promise((resolve, reject) => {
    client.listSignals(
      { namespace: call.namespace, workflow: call.workflow },
      new grpc.Metadata(),
      { deadline: deadlineIn(call.timeoutMs ?? 10_000) },
      (error, response) => {
        if (error) reject(error);
        else resolve(response.signals.map(view));
      },
    );
  });
}

/** Wraps a JSON value as a wire `SignalValue` (json kind unless it is a bool, string or number). */
export function toSignalValue(value: JsonValue): pb.SignalValue {
  if (typeof value === 'boolean') return { kind: { $case: 'boolValue', boolValue: value } };
  if (typeof value === 'string') return { kind: { $case: 'stringValue', stringValue: value } };
  if (typeof value === 'number')
    return Number.isSafeInteger(value)
      ? { kind: { $case: 'integerValue', integerValue: value } }
      : { kind: { $case: 'numberValue', numberValue: value } };
  return { kind: { $case: 'jsonValue', jsonValue: JSON.stringify(value) } };
}
