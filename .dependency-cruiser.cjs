/**
 * The layers, one direction (docs/design.md, "Layers"):
 *
 *   src/api ← src/engine ← src/plugins ← src/kube ← src/controller, shard-manager ← src/cli
 *
 * with leaf utilities (src/observability, src/security, src/lifecycle, src/generated) below
 * everything, blob storage (src/storage: src/api and npm packages only) beside them, the Flyte
 * front end (src/flyte: src/api, src/engine, src/storage, src/generated) below the plugins, the services
 * (src/events, src/signals, src/webhook) beside the controller, the console (src/console, a peer of
 * the CLI that reads through src/kube), and the
 * sandbox (sandbox/: embedded API server, kubelet, local fleet) used only by the CLI's checkout
 * entry and by tests. Tests (*.test.ts, test/, bench/) may import anything; `npm run lint` fails on
 * a cycle or on an import against the direction.
 */
const notTests = '\\.test\\.ts$';
const layer = (name, path, mayNotImport) => ({
  name,
  severity: 'error',
  comment: `${path} must not import ${mayNotImport}`,
  from: { path, pathNot: notTests },
  to: { path: mayNotImport },
});

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'modules must not import each other in a circle',
      from: { path: '^(src|shard-manager|sandbox)/', pathNot: notTests },
      to: { circular: true },
    },
    layer('sandbox-only-from-cli-and-tests', '^(src|shard-manager)/', '^sandbox/'),
    // Leaves may take the one base error (src/api/errors.ts) and nothing else above them.
    {
      ...layer(
        'leaves-import-nothing-above',
        '^src/(observability|security|lifecycle|generated)/',
        '^(src/(api|engine|plugins|kube|controller|events|signals|webhook|cli|storage|flyte)|shard-manager)/',
      ),
      to: {
        path: '^(src/(api|engine|plugins|kube|controller|events|signals|webhook|cli|storage|flyte)|shard-manager)/',
        pathNot: '^src/api/errors\\.ts$',
      },
    },
    layer(
      'storage-knows-only-api',
      '^src/storage/',
      '^(src/(engine|plugins|kube|controller|events|signals|webhook|cli|observability|security|lifecycle|generated|flyte)|shard-manager|sandbox)/',
    ),
    layer(
      'redis-connection-knows-only-api',
      '^src/redis/',
      '^(src/(engine|plugins|kube|controller|events|signals|webhook|cli|observability|security|lifecycle|storage|flyte)|shard-manager|sandbox)/',
    ),
    layer(
      'api-is-the-bottom',
      '^src/api/',
      '^(src/(engine|plugins|kube|controller|events|signals|webhook|cli|observability|security|lifecycle|storage|flyte)|shard-manager)/',
    ),
    // The Flyte front end translates into the engine's model, reads and writes Flyte's data layout
    // (src/storage) and flyteidl (src/generated); the plugins and everything above use it, not the reverse.
    layer(
      'flyte-front-end-below-plugins',
      '^src/flyte/',
      '^(src/(plugins|kube|controller|events|signals|webhook|cli|observability|security|lifecycle)|shard-manager|sandbox)/',
    ),
    // The task catalog (cached outputs) implements the engine's catalog contract over Redis, Flyte's
    // datacatalog (gRPC) or memory; the controller and the CLI wire it, nothing below them uses it.
    layer(
      'catalog-below-controller',
      '^src/catalog/',
      '^(src/(plugins|kube|controller|events|signals|webhook|cli|storage)|shard-manager|sandbox)/',
    ),
    layer(
      'nothing-below-the-controller-uses-the-catalog',
      '^src/(api|engine|flyte|plugins|kube|redis|storage|events|signals|webhook|observability|security|lifecycle|generated)/',
      '^src/catalog/',
    ),
    layer(
      'engine-knows-only-api',
      '^src/engine/',
      '^(src/(plugins|kube|controller|events|signals|webhook|cli|observability)|shard-manager)/',
    ),
    layer('plugins-below-kube', '^src/plugins/', '^(src/(kube|controller|events|signals|webhook|cli)|shard-manager)/'),
    layer(
      'plugins-use-the-engine-contract',
      '^src/plugins/',
      '^src/engine/(handlers/|node-executor|workflow-executor|driver|context|local-runner)',
    ),
    layer(
      'kube-below-controller',
      '^src/kube/',
      '^(src/(engine|plugins|controller|events|signals|webhook|cli)|shard-manager)/',
    ),
    layer(
      'services-below-controller',
      '^src/(events|signals|webhook)/',
      '^(src/(controller|cli)|shard-manager/(manager|replica)/)',
    ),
    // The console is a peer of the CLI: it reads the cluster through src/kube (and the lease protocol's
    // read side), the event sink through its client (src/events/client.ts), writes through src/kube
    // and src/signals, and nothing below it imports it.
    layer(
      'console-reads-through-kube',
      '^src/console/',
      '^(src/(cli|controller|webhook|plugins)/|src/events/(?!client\\.ts$)|shard-manager/(manager|replica)/|sandbox/)',
    ),
    layer('only-the-cli-starts-the-console', '^(src/(?!cli/|console/)|shard-manager/)', '^src/console/'),
    layer('controller-is-a-replica-not-a-manager', '^src/controller/', '^(src/cli/|shard-manager/manager/)'),
    layer(
      'shard-manager-uses-kube-and-api-only',
      '^shard-manager/',
      '^src/(engine|plugins|controller|events|signals|webhook|cli|observability)/',
    ),
    layer(
      'replica-side-apart-from-manager-side',
      '^shard-manager/(leases|replica|sharding)/',
      '^shard-manager/manager/',
    ),
    layer('lease-protocol-below-both-sides', '^shard-manager/(leases|sharding)/', '^shard-manager/(replica|manager)/'),
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)(node_modules|dist|\\.flotilla)/' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default'],
      extensions: ['.ts', '.js', '.mjs'],
    },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
