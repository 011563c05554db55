/**
 * `shardctl`: the operator's CLI for a flotilla fleet's shards.
 *
 *   status                   per shard: owner, intended owner, epoch, lease age, workflows, queue;
 *                            per replica: live, draining, shards owned
 *   move SHARD REPLICA       hand a shard over (planned handover)
 *   drain REPLICA / undrain  move every shard off a replica / let it take shards again
 *   pin SHARD REPLICA / unpin
 *   rebalance                forget operator moves; the manager balances afresh
 *
 *   completion bash|zsh      a shell completion script
 *
 * Output: `-o table|wide|json|yaml|name`, `--no-headers`; `status --watch` re-prints on change.
 * Exit codes: 0 done · 1 the operation failed or timed out · 2 bad arguments or input (unknown
 * shard or replica, a dead or draining target, a pin in the way).
 */
import { Command } from 'commander';
import { CoordinationV1Api, type V1Lease } from '@kubernetes/client-node';
import { runProgram } from '../run-program.js';
import { CliError, ExitCode } from '../exit.js';
import { LeaseClient, toFields } from '../../../shard-manager/leases/lease-client.js';
import { DEFAULT_FLEET_NAMESPACE } from '../../../shard-manager/fleet.js';
import { toKubeError } from '../../kube/errors.js';
import { addKubeFlags, kubeTargetFromFlags, type KubeFlags, type KubeTarget } from '../kubeconfig.js';
import { noHeadersOption, outputOption, type OutputFlags } from '../output.js';
import { frameWriter, live } from '../live.js';
import { registerCompletion } from '../completion.js';
import { packageVersion } from '../version.js';
import {
  moveShard,
  pinShard,
  readFleet,
  rebalance,
  setDraining,
  unpinShard,
  waitForFleet,
  type FleetClient,
} from './operations.js';
import { renderFleet } from './render.js';
import { fleetStatus, type FleetStatus } from '../../../shard-manager/fleet-status.js';

type GlobalFlags = KubeFlags & OutputFlags;
interface WaitFlags {
  wait?: boolean;
  timeout: string;
}

export function buildProgram(): Command {
  const program = addKubeFlags(
    new Command('shardctl')
      .description('Inspect and move the shards of a flotilla fleet')
      .version(packageVersion(), '--version', 'print the version'),
    { namespace: `the fleet namespace (default: the context's namespace, else ${DEFAULT_FLEET_NAMESPACE})` },
  )
    .addOption(outputOption())
    .addOption(noHeadersOption());

  const target = (): KubeTarget => kubeTargetFromFlags(program.opts<GlobalFlags>(), DEFAULT_FLEET_NAMESPACE);
  const client = (): FleetClient => {
    const { kubeConfig, namespace } = target();
    return { leases: new LeaseClient(kubeConfig, namespace) };
  };
  const print = (fleet: FleetStatus) => {
    const { output, headers } = program.opts<GlobalFlags>();
    process.stdout.write(renderFleet(fleet, output, headers));
  };
  const progress = (line: string) => {
    if (process.stderr.isTTY) process.stderr.write(`\r\x1b[K${line}`);
    else process.stderr.write(`${line}\n`);
  };
  const waitOptions = (flags: WaitFlags) => ({ timeoutMs: parseSeconds(flags.timeout) * 1000, onProgress: progress });
  const withWait = (command: Command) =>
    command
      .option('--wait', 'wait until the change has taken effect, showing progress')
      .option('--timeout <seconds>', 'how long --wait waits', '60');

  program
    .command('status')
    .description('show shards and replicas')
    .option('-w, --watch', 'keep watching the leases and print the status again on every change (Ctrl-C ends)')
    .action(async (flags: { watch?: boolean }) => {
      if (!flags.watch) return print(await readFleet(client()));
      const { kubeConfig, namespace, server } = target();
      const api = kubeConfig.makeApiClient(CoordinationV1Api);
      const { output, headers } = program.opts<GlobalFlags>();
      const write = frameWriter();
      await live<V1Lease>({
        kubeConfig,
        path: `/apis/coordination.k8s.io/v1/namespaces/${namespace}/leases`,
        resource: 'leases',
        list: async () => {
          try {
            return await api.listNamespacedLease({ namespace });
          } catch (error) {
            throw toKubeError(error, `list leases in namespace ${namespace}`, server);
          }
        },
        // Ages move on: refresh a terminal's view; piped, print only on a change.
        refreshMs: process.stdout.isTTY ? 2000 : 0,
        render: (leases) => {
          const frame = renderFleet(fleetStatus(namespace, leases.map(toFields), Date.now()), output, headers);
          write(process.stdout.isTTY || output === 'json' || output === 'yaml' ? frame : `${frame}\n`);
          return false;
        },
      });
    });

  withWait(
    program
      .command('move')
      .argument('<shard>')
      .argument('<replica>')
      .description('move a shard to a replica (planned handover)'),
  ).action(async (shard: string, replica: string, flags: WaitFlags) => {
    const c = client();
    const started = Date.now();
    const { from } = await moveShard(c, shard, replica);
    process.stderr.write(`shard ${shard}: ${from ?? 'unowned'} → ${replica} requested\n`);
    if (!flags.wait) return;
    const fleet = await waitForFleet(c, waitOptions(flags), (f) => {
      const s = f.shards.find((x) => x.shard === shard);
      return {
        done: s?.owner === replica,
        progress: `shard ${shard}: owner ${s?.owner ?? 'none'}, waiting for ${replica} (${((Date.now() - started) / 1000).toFixed(1)} s)`,
      };
    });
    process.stderr.write(`\nshard ${shard} moved to ${replica} in ${Date.now() - started} ms\n`);
    if (program.opts<GlobalFlags>().output === 'json') print(fleet);
  });

  withWait(
    program.command('drain').argument('<replica>').description('move every shard off a replica and give it none'),
  ).action(async (replica: string, flags: WaitFlags) => {
    const c = client();
    await setDraining(c, replica, true);
    process.stderr.write(`replica ${replica} draining\n`);
    if (!flags.wait) return;
    await waitForFleet(c, waitOptions(flags), (f) => {
      const owned = f.shards.filter((s) => s.owner === replica).length;
      return { done: owned === 0, progress: `replica ${replica}: ${owned} shard(s) left` };
    });
    process.stderr.write(`\nreplica ${replica} drained\n`);
  });

  program
    .command('undrain')
    .argument('<replica>')
    .description('let a drained replica take shards again')
    .action(async (replica: string) => {
      await setDraining(client(), replica, false);
      process.stderr.write(`replica ${replica} undrained\n`);
    });

  program
    .command('pin')
    .argument('<shard>')
    .argument('<replica>')
    .description('keep a shard on a replica while it is live')
    .action(async (shard: string, replica: string) => {
      await pinShard(client(), shard, replica);
      process.stderr.write(`shard ${shard} pinned to ${replica}\n`);
    });

  program
    .command('unpin')
    .argument('<shard>')
    .description('remove a pin')
    .action(async (shard: string) => {
      await unpinShard(client(), shard);
      process.stderr.write(`shard ${shard} unpinned\n`);
    });

  withWait(
    program.command('rebalance').description('forget operator moves so the manager balances the fleet afresh'),
  ).action(async (flags: WaitFlags) => {
    const c = client();
    const cleared = await rebalance(c);
    process.stderr.write(
      cleared.length > 0 ? `cleared operator moves on shards ${cleared.join(', ')}\n` : 'no operator moves to clear\n',
    );
    if (!flags.wait) return;
    const fleet = await waitForFleet(c, waitOptions(flags), (f) => {
      const moving = f.shards.filter((s) => s.moving).length;
      return { done: moving === 0, progress: `${moving} shard(s) moving` };
    });
    process.stderr.write('\n');
    print(fleet);
  });

  registerCompletion(program);
  return program;
}

export async function main(argv: readonly string[]): Promise<void> {
  await runProgram(buildProgram(), argv);
}

function parseSeconds(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0)
    throw new CliError(`--timeout must be a positive number of seconds, got '${value}'`, ExitCode.usage);
  return n;
}
