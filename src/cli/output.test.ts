import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { age, renderTable, type Column } from './output.js';
import { nodeTree } from './workflow-view.js';

interface Row {
  name: string;
  phase: string;
  extra: string;
}
const columns: Column<Row>[] = [
  { header: 'name', value: (r) => r.name },
  { header: 'extra', value: (r) => r.extra, wide: true },
  { header: 'phase', value: (r) => r.phase },
];
const rows: Row[] = [
  { name: 'a', phase: 'Running', extra: 'x' },
  { name: 'longer-name', phase: '', extra: 'multi\nline' },
];

describe('renderTable', () => {
  test('borderless as kubectl: upper-case headers, three spaces, padded, no trailing blanks', () => {
    assert.equal(renderTable(columns, rows), 'NAME          PHASE\na             Running\nlonger-name\n');
  });
  test('wide adds the wide columns; cells stay on one line', () => {
    assert.equal(
      renderTable(columns, rows, { wide: true }),
      'NAME          EXTRA        PHASE\na             x            Running\nlonger-name   multi line\n',
    );
  });
  test('--no-headers leaves the header out; nothing at all for no rows', () => {
    assert.equal(renderTable(columns, rows, { headers: false }), 'a             Running\nlonger-name\n');
    assert.equal(renderTable(columns, [], { headers: false }), '');
    assert.equal(renderTable(columns, []), 'NAME   PHASE\n');
  });
});

describe('age', () => {
  test('as kubectl shows it', () => {
    const now = Date.parse('2026-01-10T00:00:00Z');
    assert.equal(age('2026-01-09T23:59:30Z', now), '30s');
    assert.equal(age('2026-01-09T23:00:00Z', now), '60m');
    assert.equal(age('2026-01-09T00:00:00Z', now), '24h');
    assert.equal(age('2026-01-01T00:00:00Z', now), '9d');
    assert.equal(age(undefined, now), '<unknown>');
  });
});

describe('nodeTree', () => {
  test('nests node paths under their parents, in status order', () => {
    const rows = nodeTree({
      a: { phase: 'Succeeded' },
      sub: { phase: 'Running' },
      'sub/x': { phase: 'Running' },
      'sub/y': { phase: 'Pending' },
      z: { phase: 'Pending' },
    });
    assert.deepEqual(
      rows.map((r) => r.label),
      ['├─ a', '├─ sub', '│  ├─ x', '│  └─ y', '└─ z'],
    );
  });
});
