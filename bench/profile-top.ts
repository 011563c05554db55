/**
 * The top self-time functions of a V8 `.cpuprofile` (from `node --cpu-prof`), as a markdown table.
 * Only samples from the first one whose stack holds `--from` (default `RoundRunner.run`, or `run`
 * in round.ts) onwards count, so a replica's start-up (tsx compiling, informer lists) stays out.
 * With `--owners`, a second table: the same self time by owner, each sample charged to the nearest
 * frame of a package (`pkg:bullmq`) or of the repository (`src:src/kube`) on its stack, so Node's
 * own HTTP, stream and event code counts for whoever called it; V8's entries (`(garbage
 * collector)`, `(idle)`, `(program)`) and the socket-write syscalls (`writeBuffer`, `writev`: on a
 * loaded machine they include time descheduled inside them) stay apart, and samples with no owner
 * on their stack are `(node only)` (timers, socket reads before a callback).
 * Run: `node --import tsx bench/profile-top.ts FILE.cpuprofile [--top 25] [--from NAME] [--owners]`.
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

const OWN_ROOTS = ['src/', 'shard-manager/', 'sandbox/', 'bench/'];
const APART = new Set(['(garbage collector)', '(idle)', '(program)', 'writeBuffer', 'writev']);

/** The package or repository folder a frame belongs to, if any. */
function ownerOf(node: ProfileNode): string | undefined {
  const url = node.callFrame.url.replace(/^file:\/\//, '');
  const at = url.lastIndexOf('/node_modules/');
  if (at >= 0) {
    const parts = url.slice(at + '/node_modules/'.length).split('/');
    return `pkg:${parts[0]?.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]}`;
  }
  for (const root of OWN_ROOTS) {
    const i = url.indexOf(`/${root}`);
    if (i >= 0) {
      const rest = url.slice(i + 1).split('/');
      return `src:${rest.length > 2 ? `${rest[0]}/${rest[1]}` : rest[0]}`;
    }
  }
  return undefined;
}

/** Self time per function label, and per owner, in ms, from the first sample whose stack matches `from`. */
export function topSelf(
  profile: CpuProfile,
  from: (node: ProfileNode) => boolean,
): { total: number; rows: Array<[string, number]>; owners: Array<[string, number]> } {
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
  const owners = new Map<string, number>();
  const ownerOfSample = (id: number): string => {
    const leaf = byId.get(id);
    if (leaf && APART.has(leaf.callFrame.functionName)) return leaf.callFrame.functionName;
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const node = byId.get(at);
      const owner = node && ownerOf(node);
      if (owner) return owner;
    }
    return '(node only)';
  };
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
    const owner = ownerOfSample(id);
    owners.set(owner, (owners.get(owner) ?? 0) + ms);
  });
  const sorted = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1]);
  return { total, rows: sorted(self), owners: sorted(owners) };
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { top: { type: 'string' }, from: { type: 'string' }, owners: { type: 'boolean' } },
});
const file = positionals[0];
if (!file) throw new Error('usage: profile-top.ts FILE.cpuprofile [--top N] [--from NAME]');
const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
const fromName = values.from ?? 'run';
const { total, rows, owners } = topSelf(
  profile,
  (n) => n.callFrame.functionName === fromName && n.callFrame.url.includes(values.from ? '' : 'round.ts'),
);
const top = Number(values.top ?? 25);
console.log(`profile ${basename(file)}: ${total.toFixed(0)} ms sampled from the first \`${fromName}\`\n`);
console.log('| self ms | % | function |\n| ---: | ---: | --- |');
for (const [name, ms] of rows.slice(0, top))
  console.log(`| ${ms.toFixed(0)} | ${((100 * ms) / total).toFixed(1)} | \`${name}\` |`);
if (values.owners) {
  console.log('\n| self ms | % | owner |\n| ---: | ---: | --- |');
  for (const [name, ms] of owners.slice(0, top))
    console.log(`| ${ms.toFixed(0)} | ${((100 * ms) / total).toFixed(1)} | \`${name}\` |`);
}
