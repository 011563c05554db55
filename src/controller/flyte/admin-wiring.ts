/**
 * FlyteAdmin in a controller process (`--admin-endpoint`): one client, and what the Flyte support
 * takes from it — the event recorder (counted and logged), launch plans through CreateExecution,
 * recovery from admin's node executions (nested nodes: the earlier FlyteWorkflow). Imported only
 * when an endpoint is given, so a replica without one loads no FlyteAdmin code.
 */
import type { Logger } from 'pino';
import { AdminEventClient, type AdminClientOptions } from '../../events/admin/client.js';
import { AdminLaunchPlanLauncher } from '../../events/admin/launcher.js';
import { AdminRecovery } from '../../events/admin/recovery.js';
import { decodeLiteralMap } from '../../flyte/literals/codec.js';
import type { Metrics } from '../../observability/metrics.js';
import { BlobStoreRecovery } from './recovery.js';
import type { FlyteSupportOptions } from './support.js';

/** `--admin-*`: where FlyteAdmin is and how events are shaped. */
export interface ControllerAdminOptions extends AdminClientOptions {
  /** `producerId` of the events (admin's cluster id for this fleet). @defaultValue 'propeller' */
  producerId?: string;
  /** Largest node outputs sent inline (bytes); larger ones by reference. @defaultValue 65536 */
  maxInlineOutputBytes?: number;
}

export interface FlyteAdminWiring {
  /** Spread into `openFlyteSupport`'s options. */
  support: Pick<FlyteSupportOptions, 'admin' | 'launchPlans' | 'recovery'>;
  close(): void;
}

export async function flyteAdminWiring(
  options: ControllerAdminOptions,
  context: { metrics: Metrics; logger: Logger },
): Promise<FlyteAdminWiring> {
  const { metrics, logger } = context;
  const client = new AdminEventClient(options);
  return {
    close: () => client.close(),
    support: {
      launchPlans: (store) =>
        new AdminLaunchPlanLauncher({ client, readLiterals: async (uri) => decodeLiteralMap(await store.get(uri)) }),
      recovery: (store, workflows) =>
        new AdminRecovery({
          client,
          readLiterals: async (uri) => decodeLiteralMap(await store.get(uri)),
          fallback: new BlobStoreRecovery(workflows, store),
        }),
      admin: {
        recorder: {
          record: async (events) => {
            const results = await client.record(events).catch((error: unknown) => {
              metrics.eventsFailed.inc({ kind: 'flyteadmin' });
              logger.warn(
                { err: error instanceof Error ? error.message : String(error) },
                'flyteadmin unreachable; the round will be redone',
              );
              throw error;
            });
            metrics.eventsSent.inc({ kind: 'flyteadmin' }, results.length);
            return results;
          },
        },
        ...(options.producerId !== undefined ? { producerId: options.producerId } : {}),
        ...(options.maxInlineOutputBytes !== undefined ? { maxInlineOutputBytes: options.maxInlineOutputBytes } : {}),
        onDropped: (dropped) => {
          metrics.eventsFailed.inc({ kind: 'flyteadmin' }, dropped.length);
          for (const result of dropped)
            logger.warn(
              { requestId: result.event.requestId, outcome: result.outcome, detail: result.detail },
              'flyteadmin refused an event; dropped',
            );
        },
      },
    },
  };
}
