/**
 * The `flotilla.signals.v1.SignalService` gRPC service over `WorkflowSignals`. Served by
 * `flotilla event-sink --kubeconfig F` on the event sink's port, or alone via `startGrpcServer`.
 * Any replica or server may receive the call: the signal lands on the Workflow object, and the
 * owning shard consumes it.
 */
import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import * as pb from '../generated/flotilla/signals/v1/signals.js';
import type { ServiceRegistration } from '../security/grpc.js';
import { stateToPb, valueFromPb } from './declarations.js';
import { SignalError } from './errors.js';
import type { WorkflowSignals } from './workflows.js';

const codes: Record<SignalError['code'], grpc.status> = {
  WorkflowNotFound: grpc.status.NOT_FOUND,
  SignalNotFound: grpc.status.NOT_FOUND,
  InvalidValue: grpc.status.INVALID_ARGUMENT,
  InvalidRequest: grpc.status.INVALID_ARGUMENT,
  ApiUnavailable: grpc.status.UNAVAILABLE,
};

function toStatus(error: unknown): Partial<grpc.StatusObject> {
  if (error instanceof SignalError) return { code: codes[error.code], details: error.message };
  return { code: grpc.status.INTERNAL, details: 'internal error' };
}

export interface SignalServiceOptions {
  readonly signals: WorkflowSignals;
  readonly logger: Logger;
}

export function signalService(options: SignalServiceOptions): ServiceRegistration {
  const { signals, logger } = options;
  const implementation: pb.SignalServiceServer = {
    setSignal(call, callback) {
      const { namespace, workflow, name, setBy } = call.request;
      void (async () => {
        try {
          if (!name) throw new SignalError('InvalidRequest', 'a signal name is required');
          const value = valueFromPb(call.request.value);
          const state = await signals.set(namespace, workflow, name, { value }, setBy || undefined);
          logger.info({ namespace, workflow, signal: name }, 'signal set');
          callback(null, { signal: stateToPb(state) });
        } catch (error) {
          if (!(error instanceof SignalError) || error.code === 'ApiUnavailable')
            logger.warn(
              { namespace, workflow, signal: name, err: error instanceof Error ? error.message : String(error) },
              'set signal failed',
            );
          callback(toStatus(error), null);
        }
      })();
    },
    listSignals(call, callback) {
      const { namespace, workflow } = call.request;
      void (async () => {
        try {
          const states = await signals.list(namespace, workflow);
          callback(null, { signals: states.map(stateToPb) });
        } catch (error) {
          callback(toStatus(error), null);
        }
      })();
    },
  };
  return { definition: pb.SignalServiceService, implementation };
}
