/**
 * proto/flyteidl is what scripts/vendor-flyteidl.mjs wrote: exactly the files VENDORED lists, with
 * Flyte's license, no HTTP/OpenAPI annotation left, and a notice on every file the script changed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = join('proto', 'flyteidl');

function protosUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return protosUnder(path);
    return name.endsWith('.proto') ? [path] : [];
  });
}

/** The indented entries under `heading:` in VENDORED. */
function listed(vendored: string, heading: string): string[] {
  const lines = vendored.split('\n');
  const start = lines.findIndex((line) => line.startsWith(heading));
  assert.notEqual(start, -1, `VENDORED has no "${heading}" section`);
  const entries: string[] = [];
  for (const line of lines.slice(start + 1)) {
    if (!line.startsWith('  ')) break;
    entries.push(line.trim());
  }
  return entries;
}

test("proto/flyteidl holds exactly the files VENDORED lists, under Flyte's Apache-2.0 license", () => {
  const vendored = readFileSync(join(root, 'VENDORED'), 'utf8');
  assert.match(vendored, /^package: @flyteorg\/flyteidl@1\.16\.\d+$/m);
  const present = protosUnder(root)
    .map((path) => join('flyteidl', relative(root, path)).split('\\').join('/'))
    .sort();
  assert.deepEqual(listed(vendored, 'files:'), present);
  assert.match(readFileSync(join(root, 'LICENSE'), 'utf8'), /Apache License\s+Version 2\.0/);
  assert.ok(readFileSync(join(root, 'NOTICE'), 'utf8').length > 0);
});

test('no vendored proto depends on google/api or grpc-gateway; the rewritten ones say so', () => {
  const vendored = readFileSync(join(root, 'VENDORED'), 'utf8');
  const modified = listed(vendored, 'modified');
  assert.deepEqual(modified, ['flyteidl/service/admin.proto', 'flyteidl/service/signal.proto']);
  for (const path of protosUnder(root)) {
    const code = readFileSync(path, 'utf8');
    const withoutComments = code.replace(/\/\/.*$/gm, '');
    assert.doesNotMatch(withoutComments, /google\/api\/|google\.api\.|protoc-gen-openapiv2|grpc\.gateway/, path);
    const name = join('flyteidl', relative(root, path)).split('\\').join('/');
    assert.equal(code.includes('MODIFIED'), modified.includes(name), `${name}: modification notice`);
  }
});
