/**
 * The top self-time functions of a V8 `.cpuprofile` (from `node --cpu-prof`), as a markdown table.
 * Only samples from the first one whose stack holds `--from` (default `RoundRunner.run`, or `run`
 * in round.ts) onwards count, so a replica's start-up (tsx compiling, informer lists) stays out.
 * Run: `node --import tsx bench/profile-top.ts FILE.cpuprofile [--top 25] [--from NAME]`.
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { parseArgs } from 'node:util';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

function label(node: ProfileNode): string {
  const { functionName, url, lineNumber } = node.callFrame;
  const file = url === '' ? '' : basename(url.replace(/^file:\/\//, ''));
  return `${functionName || '(anonymous)'}${file ? ` ${file}:${lineNumber + 1}` : ''}`;
}

/** Self time per function label, in ms, from the first sample whose stack matches `from`. */
export function topSelf(
  profile: CpuProfile,
  from: (node: ProfileNode) => boolean,
): { total: number; rows: Array<[string, number]> } {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const matches = new Map<number, boolean>();
  const inside = (id: number): boolean => {
    const known = matches.get(id);
    if (known !== undefined) return known;
    const node = byId.get(id);
    const p = parent.get(id);
    const result = node !== undefined && (from(node) || (p !== undefined && inside(p)));
    matches.set(id, result);
    return result;
  };
  const self = new Map<string, number>();
  let started = false;
  let total = 0;
  profile.samples.forEach((id, i) => {
    if (!started) started = inside(id);
    if (!started) return;
    const ms = (profile.timeDeltas[i] ?? 0) / 1000;
    const node = byId.get(id);
    if (!node) return;
    total += ms;
    const name = label(node);
    self.set(name, (self.get(name) ?? 0) + ms);
  });
  return { total, rows: [...self].sort((a, b) => b[1] - a[1]) };
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { top: { type: 'string' }, from: { type: 'string' } },
});
const file = positionals[0];
if (!file) throw new Error('usage: profile-top.ts FILE.cpuprofile [--top N] [--from NAME]');
const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
const fromName = values.from ?? 'run';
const { total, rows } = topSelf(
  profile,
  (n) => n.callFrame.functionName === fromName && n.callFrame.url.includes(values.from ? '' : 'round.ts'),
);
const top = Number(values.top ?? 25);
console.log(`profile ${basename(file)}: ${total.toFixed(0)} ms sampled from the first \`${fromName}\`\n`);
console.log('| self ms | % | function |\n| ---: | ---: | --- |');
for (const [name, ms] of rows.slice(0, top))
  console.log(`| ${ms.toFixed(0)} | ${((100 * ms) / total).toFixed(1)} | \`${name}\` |`);
