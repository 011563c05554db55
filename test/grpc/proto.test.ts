/**
 * The protos are the contract: `buf lint` (STANDARD) must pass, and the committed generated code
 * in src/generated/ must be exactly what `buf generate` produces now (no drift, no hand edits).
 * The vendored Flyte IDL (proto/flyteidl) is exempt from lint (buf.yaml) but not from drift.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';

const buf = join(process.cwd(), 'node_modules', '.bin', 'buf');

function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...filesUnder(path));
    else out.push(path);
  }
  return out.sort();
}

test('buf lint passes on proto/ with the STANDARD rules', () => {
  const output = execFileSync(buf, ['lint'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  assert.equal(output.trim(), '');
});

test('src/generated matches a fresh buf generate (no drift)', () => {
  const out = mkdtempSync(join(tmpdir(), 'flotilla-gen-'));
  try {
    execFileSync(buf, ['generate', '--output', out], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    const fresh = join(out, 'src', 'generated');
    const committed = join(process.cwd(), 'src', 'generated');
    const freshFiles = filesUnder(fresh).map((f) => relative(fresh, f));
    const committedFiles = filesUnder(committed).map((f) => relative(committed, f));
    assert.deepEqual(committedFiles, freshFiles, 'generated file set differs: run npm run gen:proto');
    for (const file of freshFiles) {
      assert.equal(
        readFileSync(join(committed, file), 'utf8'),
        readFileSync(join(fresh, file), 'utf8'),
        `${file} drifted: run npm run gen:proto`,
      );
    }
    assert.ok(freshFiles.includes(join('flotilla', 'events', 'v1', 'events.ts')));
    // Flyte's vendored IDL (proto/flyteidl) is generated beside ours, with its own options.
    assert.ok(freshFiles.includes(join('flyteidl', 'flyteidl', 'service', 'admin.ts')));
    assert.ok(freshFiles.includes(join('flyteidl', 'flyteidl', 'datacatalog', 'datacatalog.ts')));
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
