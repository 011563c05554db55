/**
 * Turns a `BenchReport` into what people read: ratios between figures, the Markdown table (ratios
 * beside the figure they qualify, suites that did not run with the reason) and the SVG chart
 * (throughput of us, the fleet and the peer; latency percentiles).
 */
import { formatNumber, renderChart, type Bar, type Panel } from './chart.js';
import type { BenchReport, Figure, Ratio } from './model.js';
import { spread } from './stats.js';

/**
 * Ratios whose two figures exist. Paired per repeat when both carry `values` of one length,
 * else median ÷ median with bounds min ÷ max and max ÷ min.
 */
export function computeRatios(
  figures: readonly Figure[],
  wanted: ReadonlyArray<{ id: string; label: string; numerator: string; denominator: string }>,
): Ratio[] {
  const byId = new Map(figures.map((f) => [f.id, f]));
  const out: Ratio[] = [];
  for (const w of wanted) {
    const n = byId.get(w.numerator);
    const d = byId.get(w.denominator);
    if (!n || !d || !(d.median > 0) || !(d.min > 0) || !(d.max > 0)) continue;
    const nv = n.values;
    const dv = d.values;
    if (nv && dv && nv.length === dv.length && nv.length > 0 && dv.every((x) => x > 0)) {
      out.push({ ...w, paired: true, ...spread(nv.map((x, i) => x / (dv[i] as number))) });
    } else {
      out.push({ ...w, paired: false, median: n.median / d.median, min: n.min / d.max, max: n.max / d.min });
    }
  }
  return out;
}

function num(value: number): string {
  if (!Number.isFinite(value)) return '–';
  const abs = Math.abs(value);
  if (abs >= 1000) return Math.round(value).toLocaleString('en-US');
  if (abs >= 100) return value.toFixed(0);
  if (abs >= 10) return value.toFixed(1);
  if (abs >= 1) return value.toFixed(2);
  return value.toPrecision(2);
}

function ratioText(r: Ratio): string {
  return `${num(r.median)}× (${num(r.min)}–${num(r.max)}) ${r.label}`;
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|');
}

export function renderMarkdown(report: BenchReport): string {
  const m = report.machine;
  const lines: string[] = [];
  lines.push(`# flotilla benchmarks: ${report.name} (${report.date})`);
  lines.push('');
  lines.push(
    `${report.mode} mode, ${report.repeats} repeats, ${report.durationSeconds.toFixed(0)} s · ${m.cpuModel}, ${m.cores} cores, ${m.memoryGiB} GiB · load at start ${m.loadAverage.join(' / ')} · Node ${m.node} · Redis ${m.redis} · ${Object.entries(
      m.packages,
    )
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')} · commit ${m.commit}`,
  );
  lines.push('');
  lines.push(
    'Every figure is the median over the repeats, with min and max. Ratios are taken per repeat (both sides ran in the same repeat) and summarised the same way; unpaired ones are median ÷ median with the widest bounds.',
  );
  lines.push('');
  const ratiosByNumerator = new Map<string, Ratio[]>();
  for (const r of report.ratios) ratiosByNumerator.set(r.numerator, [...(ratiosByNumerator.get(r.numerator) ?? []), r]);
  lines.push('| suite | figure | median | min | max | unit | ratio |');
  lines.push('| --- | --- | ---: | ---: | ---: | --- | --- |');
  for (const suite of report.suites) {
    if (suite.status !== 'ok') {
      lines.push(
        `| ${suite.name} | ${cell(suite.title)} | ${suite.status === 'failed' ? 'failed' : 'not run'} | | | | ${cell(suite.reason ?? '')} |`,
      );
      continue;
    }
    for (const f of report.figures.filter((x) => x.suite === suite.name)) {
      const ratios = (ratiosByNumerator.get(f.id) ?? []).map(ratioText).join('; ');
      const spreadCells = f.samples > 1 ? `${num(f.min)} | ${num(f.max)}` : ' | ';
      lines.push(
        `| ${suite.name} | ${cell(f.label)} | ${num(f.median)} | ${spreadCells} | ${f.unit} | ${cell(ratios)} |`,
      );
    }
  }
  lines.push('');
  if (report.ratios.length > 0) {
    lines.push('| ratio | median | min | max | paired |');
    lines.push('| --- | ---: | ---: | ---: | --- |');
    for (const r of report.ratios)
      lines.push(
        `| ${cell(r.label)} | ${num(r.median)} | ${num(r.min)} | ${num(r.max)} | ${r.paired ? 'per repeat' : 'no'} |`,
      );
    lines.push('');
  }
  for (const suite of report.suites)
    if (suite.status === 'ok' && suite.markdown !== undefined) lines.push(suite.markdown.trimEnd(), '');
  return lines.join('\n');
}

function bar(figures: Map<string, Figure>, id: string, label: string, series = 0, note?: string): Bar {
  const f = figures.get(id);
  return {
    label,
    series,
    ...(f ? { value: { median: f.median, min: f.min, max: f.max } } : {}),
    ...(note ? { note } : {}),
  };
}

/** Fleet throughput vs replicas beside the peer and our in-process figure; latency percentiles. */
export function renderReportChart(report: BenchReport): string {
  const figures = new Map(report.figures.map((f) => [f.id, f]));
  const fleetNote = report.suites.find((s) => s.name === 'fleet')?.status === 'ok' ? 'no figure' : 'fleet: not run';
  const throughput: Panel = {
    title: 'Workflows/s (5-node chains)',
    unit: 'workflows/s',
    series: ['peer', 'flotilla'],
    bars: [
      bar(figures, 'peer.flowproducer.workflowsPerSecond', 'FlowProducer', 0),
      bar(figures, 'peer.engineQueue.workflowsPerSecond', 'engine+queue', 1),
      ...[1, 2, 3].map((n) => bar(figures, `fleet.r${n}.workflowsPerSecond`, `fleet ×${n}`, 1, fleetNote)),
    ],
  };
  const systems: Array<[string, string]> = [
    ['peer.flowproducer', 'FlowProducer'],
    ['peer.engineQueue', 'engine+queue'],
    ...[1, 2, 3].map((n): [string, string] => [`fleet.r${n}`, `fleet ×${n}`]),
  ];
  const latency: Panel = {
    title: 'Creation→completion latency',
    unit: 'ms',
    series: ['p50', 'p99'],
    bars: systems.flatMap(([id, label]) => [
      bar(figures, `${id}.latencyP50Ms`, `${label} p50`, 0, fleetNote),
      bar(figures, `${id}.latencyP99Ms`, `${label} p99`, 1, fleetNote),
    ]),
  };
  const queue: Panel = {
    title: 'Queue: no-op jobs/s',
    unit: 'jobs/s',
    series: ['ShardQueue', 'plain BullMQ'],
    bars: [1, 32].flatMap((s) => [
      bar(figures, `queue.flotilla.${s}.jobsPerSecond`, `ShardQueue ${s}`, 0),
      bar(figures, `queue.bullmq.${s}.jobsPerSecond`, `BullMQ ${s}`, 1),
    ]),
  };
  const title = `flotilla ${report.name} ${report.date} · ${report.machine.cores} cores · ${formatNumber(report.repeats)} repeats`;
  return renderChart([throughput, latency, queue], { title });
}
