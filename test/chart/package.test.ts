/**
 * The chart as it is shipped: `helm package` makes an archive that `helm template` renders as the
 * directory does, holding its README, CHANGELOG, schema and CRD files; the README documents every
 * value of values.yaml (its table is generated: `npm run docs:chart`); the CHANGELOG has an entry
 * for the chart's version.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { chartDir, helm, render, repoRoot } from './helm.js';

const chart = parse(readFileSync(join(chartDir, 'Chart.yaml'), 'utf8')) as { name: string; version: string };

describe('helm package', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'flotilla-chart-package-'));
  });
  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  test('packages into an archive that renders the same objects as the chart directory', async () => {
    const packed = await helm(['package', chartDir, '--destination', dir]);
    assert.equal(packed.code, 0, packed.stderr);
    const archive = join(dir, `${chart.name}-${chart.version}.tgz`);
    assert.deepEqual(readdirSync(dir), [`${chart.name}-${chart.version}.tgz`]);

    const listing = spawnSync('tar', ['-tzf', archive], { encoding: 'utf8' });
    assert.equal(listing.status, 0, listing.stderr);
    const files = listing.stdout.split('\n').filter((f) => f !== '');
    for (const f of [
      'Chart.yaml',
      'values.yaml',
      'values.schema.json',
      'README.md',
      'CHANGELOG.md',
      'files/rbac.yaml',
      'files/crds/workflows.flotilla.io.yaml',
      'files/crds/flyteworkflows.flyte.lyft.com.yaml',
      'templates/crds.yaml',
    ])
      assert.ok(files.includes(`flotilla/${f}`), `${f} in the archive`);

    const set = ['webhook.enabled=true', 'eventSink.enabled=true'];
    const fromArchive = await render({ chart: archive, set });
    const fromDir = await render({ set });
    assert.equal(fromArchive.text, fromDir.text);
    assert.ok(fromArchive.manifests.some((m) => m.kind === 'CustomResourceDefinition'));

    // The schema travels with the archive: a wrong value is refused there too.
    const refused = await helm(['template', 'x', archive, '--set', 'replicaCount=three']);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /replicaCount/);
  });
});

/** Every leaf path of a values tree (a non-empty mapping is opened; anything else is a leaf). */
function leafPaths(value: unknown, prefix = ''): string[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || Object.keys(value).length === 0)
    return [prefix];
  return Object.entries(value).flatMap(([k, v]) => leafPaths(v, prefix === '' ? k : `${prefix}.${k}`));
}

describe('chart README and CHANGELOG', () => {
  const readme = readFileSync(join(chartDir, 'README.md'), 'utf8');

  test('README.md is current with values.yaml (npm run docs:chart)', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/chart-readme.ts', '--check'], {
      cwd: repoRoot,
      encoding: 'utf8',
    });
    assert.equal(r.status, 0, r.stderr);
  });

  test('every value of values.yaml is in the README’s table, with a description', () => {
    const values = parse(readFileSync(join(chartDir, 'values.yaml'), 'utf8')) as Record<string, unknown>;
    const rows = new Map(
      [...readme.matchAll(/^\| `([^`]+)` \| [^|]+ \| .* \| (.*) \|$/gm)].map((m) => [m[1] ?? '', m[2] ?? '']),
    );
    const missing: string[] = [];
    const undescribed: string[] = [];
    for (const path of leafPaths(values)) {
      // A leaf is documented by its own row or by the row of a mapping it belongs to (`resources`).
      const parts = path.split('.');
      const row = parts.map((_, i) => parts.slice(0, i + 1).join('.')).find((p) => rows.has(p));
      if (row === undefined) missing.push(path);
      else if ((rows.get(row) ?? '').trim() === '') undescribed.push(row);
    }
    assert.deepEqual(missing, []);
    assert.deepEqual([...new Set(undescribed)], []);
    for (const key of Object.keys(values)) assert.match(readme, new RegExp(`\\| \`${key}[.\`]`), key);
  });

  test('CHANGELOG.md has an entry for the chart’s version', () => {
    const changelog = readFileSync(join(chartDir, 'CHANGELOG.md'), 'utf8');
    assert.match(changelog, new RegExp(`^## ${chart.version.replace(/\./g, '\\.')}$`, 'm'));
  });
});
