/**
 * The chart's dashboard and alerts: the Grafana dashboard JSON is well formed, the chart renders it
 * into a ConfigMap carrying the sidecar's label and a PrometheusRule with the alerts (`helm
 * template`), and every PromQL expression in either parses with Prometheus's grammar and names
 * only series docs/monitoring.md lists (which a test holds to what a replica exports).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { chartDir, render, type Manifest } from './helm.js';
import { documentedMetrics } from '../support/metric-names.js';
import { baseMetricName, parsePromQL } from '../support/promql.js';

const DASHBOARD = resolve(chartDir, 'files/dashboards/flotilla-fleet.json');
const PROMETHEUS_RULE_API = 'monitoring.coreos.com/v1/PrometheusRule';

interface Target {
  expr?: string;
  refId?: string;
  datasource?: { uid?: string };
}
interface Panel {
  id?: number;
  type?: string;
  title?: string;
  gridPos?: { h: number; w: number; x: number; y: number };
  datasource?: { type?: string; uid?: string };
  targets?: Target[];
}
interface Dashboard {
  uid?: string;
  title?: string;
  schemaVersion?: number;
  panels?: Panel[];
  templating?: { list?: { name?: string; type?: string; query?: string }[] };
}

/** Each expression's problems: syntax errors, or series that docs/monitoring.md does not list. */
function checkExpressions(expressions: readonly { where: string; expr: string }[]): string[] {
  const known = documentedMetrics().all;
  const problems: string[] = [];
  for (const { where, expr } of expressions) {
    const parsed = parsePromQL(expr);
    for (const error of parsed.errors) problems.push(`${where}: syntax error ${error}`);
    if (parsed.metrics.length === 0) problems.push(`${where}: selects no metric: ${expr}`);
    for (const series of parsed.metrics)
      if (!known.has(baseMetricName(series, known))) problems.push(`${where}: ${series} is not in docs/monitoring.md`);
  }
  return problems;
}

function dashboardExpressions(dashboard: Dashboard): { where: string; expr: string }[] {
  return (dashboard.panels ?? []).flatMap((panel) =>
    (panel.targets ?? []).map((target) => ({ where: `panel "${panel.title ?? ''}"`, expr: target.expr ?? '' })),
  );
}

interface Rule {
  alert?: string;
  expr?: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

function rulesOf(manifest: Manifest): Rule[] {
  const spec = manifest['spec'] as { groups: { name: string; rules: Rule[] }[] };
  return spec.groups.flatMap((group) => group.rules);
}

describe('the expression checker', () => {
  test('finds the selected series, maps histogram series to their name, and reports syntax errors', () => {
    assert.deepEqual(
      parsePromQL(
        'histogram_quantile(0.99, sum by (le, name) (rate(workqueue_queue_duration_seconds_bucket[$__rate_interval]))) > on(name) workqueue_depth',
      ).metrics,
      ['workqueue_queue_duration_seconds_bucket', 'workqueue_depth'],
    );
    assert.deepEqual(
      checkExpressions([{ where: 'ok', expr: 'sum(rate(flotilla_rounds_total{result="error"}[5m]))' }]),
      [],
    );
    assert.match(
      checkExpressions([{ where: 'typo', expr: 'sum(rate(flotilla_round_total[5m]))' }]).join(),
      /flotilla_round_total is not in docs/,
    );
    assert.match(
      checkExpressions([{ where: 'broken', expr: 'sum(rate(flotilla_rounds_total[5m])' }]).join(),
      /syntax error/,
    );
  });
});

describe('Grafana dashboard', () => {
  const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as Dashboard;

  test('is a Grafana dashboard: uid, title, datasource variable, panels with unique ids on a 24-column grid', () => {
    assert.equal(dashboard.uid, 'flotilla-fleet');
    assert.ok(dashboard.title);
    assert.ok((dashboard.schemaVersion ?? 0) >= 30);
    const datasource = dashboard.templating?.list?.find((v) => v.name === 'datasource');
    assert.equal(datasource?.type, 'datasource');
    assert.equal(datasource?.query, 'prometheus');
    const panels = dashboard.panels ?? [];
    const ids = panels.map((p) => p.id);
    assert.equal(new Set(ids).size, ids.length, 'panel ids are unique');
    for (const panel of panels) {
      const grid = panel.gridPos;
      assert.ok(grid && grid.x >= 0 && grid.w > 0 && grid.x + grid.w <= 24, `panel "${panel.title}" fits the grid`);
      if (panel.type === 'row') continue;
      assert.equal(panel.datasource?.uid, '${datasource}', `panel "${panel.title}" uses the datasource variable`);
      const targets = panel.targets ?? [];
      assert.ok(targets.length > 0, `panel "${panel.title}" has queries`);
      const refIds = targets.map((t) => t.refId);
      assert.equal(new Set(refIds).size, refIds.length, `panel "${panel.title}" refIds are unique`);
    }
  });

  test('shows what the issue asks for: throughput, round latency, queue depth and wait, shard moves, failovers, API errors', () => {
    const exprs = dashboardExpressions(dashboard)
      .map((e) => e.expr)
      .join('\n');
    for (const series of [
      'flotilla_rounds_total',
      'flotilla_round_duration_seconds_bucket',
      'workqueue_depth',
      'workqueue_queue_duration_seconds_bucket',
      'flotilla_shard_handovers_total',
      'flotilla_shard_failovers_total',
      'rest_client_requests_total',
    ])
      assert.ok(exprs.includes(series), series);
  });

  test('every expression parses and names only series docs/monitoring.md lists', () => {
    assert.deepEqual(checkExpressions(dashboardExpressions(dashboard)), []);
  });
});

describe('chart: dashboards and alerts behind values', () => {
  test('off by default', async () => {
    const { manifests } = await render({ apiVersions: [PROMETHEUS_RULE_API] });
    assert.equal(manifests.filter((m) => m.kind === 'PrometheusRule').length, 0);
    assert.equal(manifests.filter((m) => m.metadata.name.endsWith('-dashboards')).length, 0);
  });

  test('grafana.dashboards.enabled renders the dashboard into a ConfigMap with the sidecar label', async () => {
    const { manifests } = await render({
      set: [
        'grafana.dashboards.enabled=true',
        'grafana.dashboards.namespace=monitoring',
        'grafana.dashboards.annotations.grafana_folder=flotilla',
      ],
    });
    const map = manifests.find((m) => m.kind === 'ConfigMap' && m.metadata.name === 'flotilla-dashboards');
    assert.ok(map, 'the dashboards ConfigMap');
    assert.equal(map.metadata.labels?.['grafana_dashboard'], '1');
    assert.equal(map.metadata.namespace, 'monitoring');
    assert.equal(
      (map.metadata as { annotations?: Record<string, string> }).annotations?.['grafana_folder'],
      'flotilla',
    );
    const data = map['data'] as Record<string, string>;
    assert.deepEqual(JSON.parse(data['flotilla-fleet.json'] ?? ''), JSON.parse(readFileSync(DASHBOARD, 'utf8')));
  });

  test('prometheusRule.enabled renders the alerts (when the cluster serves PrometheusRule), every expression checked', async () => {
    const set = ['prometheusRule.enabled=true', 'prometheusRule.labels.release=kps', 'prometheusRule.queueDepth=250'];
    const without = await render({ set });
    assert.equal(without.manifests.filter((m) => m.kind === 'PrometheusRule').length, 0, 'no CRD, no rule');
    const { manifests } = await render({ set, apiVersions: [PROMETHEUS_RULE_API] });
    const rule = manifests.find((m) => m.kind === 'PrometheusRule');
    assert.ok(rule, 'a PrometheusRule');
    assert.equal(rule.metadata.labels?.['release'], 'kps');
    const rules = rulesOf(rule);
    const names = rules.map((r) => r.alert);
    for (const alert of ['FlotillaShardWithoutOwner', 'FlotillaRoundsFailing', 'FlotillaQueueGrowing'])
      assert.ok(names.includes(alert), alert);
    for (const r of rules) {
      assert.ok(r.labels?.['severity'], `${r.alert} has a severity`);
      assert.ok(r.annotations?.['summary'], `${r.alert} has a summary`);
    }
    assert.match(rules.find((r) => r.alert === 'FlotillaQueueGrowing')?.expr ?? '', /> 250\b/);
    assert.deepEqual(checkExpressions(rules.map((r) => ({ where: `alert ${r.alert ?? ''}`, expr: r.expr ?? '' }))), []);
  });

  test("the event sink's metrics are served and scraped: --metrics-port, a metrics port, a metrics Service", async () => {
    const { manifests } = await render({ set: ['eventSink.enabled=true'] });
    const deployment = manifests.find((m) => m.kind === 'Deployment' && m.metadata.name === 'flotilla-event-sink');
    const container = (
      deployment?.['spec'] as { template: { spec: { containers: { args: string[]; ports: { name: string }[] }[] } } }
    ).template.spec.containers[0];
    assert.ok(container?.args.includes('--metrics-port=9090'));
    assert.ok(container?.args.includes('--metrics-host=0.0.0.0'));
    assert.ok(container?.ports.some((p) => p.name === 'metrics'));
    const service = manifests.find((m) => m.kind === 'Service' && m.metadata.name === 'flotilla-event-sink-metrics');
    assert.equal(service?.metadata.labels?.['flotilla.io/metrics'], 'true');
  });
});
