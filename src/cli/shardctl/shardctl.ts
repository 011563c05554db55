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
 * Exit codes: 0 done · 1 the operation failed or timed out · 2 bad arguments or input (unknown
 * shard or replica, a dead or draining target, a pin in the way).
 */
import { Command, Option } from 'commander';
import { runProgram } from '../run-program.js';
import { LeaseClient } from '../../../shard-manager/leases/lease-client.js';
import { DEFAULT_FLEET_NAMESPACE } from '../../../shard-manager/fleet.js';
import { kubeConfigFromFlags } from '../kubeconfig.js';
import { moveShard, pinShard, readFleet, rebalance, setDraining, unpinShard, waitForFleet, type FleetClient } from './operations.js';
import { renderFleet } from './render.js';
import type { FleetStatus } from './fleet-status.js';

interface GlobalFlags {
  kubeconfig?: string;
  context?: string;
  namespace: string;
  output: 'table' | 'json';
}
interface WaitFlags {
  wait?: boolean;
  timeout: string;
}

export async function main(argv: readonly string[]): Promise<void> {
  const program = new Command('shardctl')
    .description('Inspect and move the shards of a flotilla fleet')
    .option('--kubeconfig <file>', 'kubeconfig (default: $KUBECONFIG, in-cluster, ./.flotilla/kubeconfig, ~/.kube/config)')
    .option('--context <name>', 'kubeconfig context (default: the current one)')
    .option('-n, --namespace <ns>', 'the fleet namespace', DEFAULT_FLEET_NAMESPACE)
    .addOption(new Option('-o, --output <format>', 'output format').choices(['table', 'json']).default('table'));

  const client = (): FleetClient => {
    const flags = program.opts<GlobalFlags>();
    const kubeConfig = kubeConfigFromFlags(flags);
    return { leases: new LeaseClient(kubeConfig, flags.namespace) };
  };
  const print = (fleet: FleetStatus) => {
    const { output } = program.opts<GlobalFlags>();
    process.stdout.write(output === 'json' ? `${JSON.stringify(fleet, null, 2)}\n` : renderFleet(fleet));
  };
  const progress = (line: string) => {
    if (process.stderr.isTTY) process.stderr.write(`\r\x1b[K${line}`);
    else process.stderr.write(`${line}\n`);
  };
  const waitOptions = (flags: WaitFlags) => ({ timeoutMs: parseSeconds(flags.timeout) * 1000, onProgress: progress });
  const withWait = (command: Command) => command.option('--wait', 'wait until the change has taken effect, showing progress').option('--timeout <seconds>', 'how long --wait waits', '60');

  program
    .command('status')
    .description('show shards and replicas')
    .action(async () => print(await readFleet(client())));

  withWait(program.command('move').argument('<shard>').argument('<replica>').description('move a shard to a replica (planned handover)')).action(
    async (shard: string, replica: string, flags: WaitFlags) => {
      const c = client();
      const started = Date.now();
      const { from } = await moveShard(c, shard, replica);
      process.stderr.write(`shard ${shard}: ${from ?? 'unowned'} → ${replica} requested\n`);
      if (!flags.wait) return;
      const fleet = await waitForFleet(c, waitOptions(flags), (f) => {
        const s = f.shards.find((x) => x.shard === shard);
        return { done: s?.owner === replica, progress: `shard ${shard}: owner ${s?.owner ?? 'none'}, waiting for ${replica} (${((Date.now() - started) / 1000).toFixed(1)} s)` };
      });
      process.stderr.write(`\nshard ${shard} moved to ${replica} in ${Date.now() - started} ms\n`);
      if (program.opts<GlobalFlags>().output === 'json') print(fleet);
    },
  );

  withWait(program.command('drain').argument('<replica>').description('move every shard off a replica and give it none')).action(async (replica: string, flags: WaitFlags) => {
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

  withWait(program.command('rebalance').description('forget operator moves so the manager balances the fleet afresh')).action(async (flags: WaitFlags) => {
    const c = client();
    const cleared = await rebalance(c);
    process.stderr.write(cleared.length > 0 ? `cleared operator moves on shards ${cleared.join(', ')}\n` : 'no operator moves to clear\n');
    if (!flags.wait) return;
    const fleet = await waitForFleet(c, waitOptions(flags), (f) => {
      const moving = f.shards.filter((s) => s.moving).length;
      return { done: moving === 0, progress: `${moving} shard(s) moving` };
    });
    process.stderr.write('\n');
    print(fleet);
  });

  await runProgram(program, argv);
}

function parseSeconds(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--timeout must be a positive number of seconds, got '${value}'`);
  return n;
}
