import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addQuantities, formatQuantity, parseQuantity } from './quantity.js';

const nano = (text: string): bigint | undefined => parseQuantity(text)?.nano;

test('parses what the API server accepts, exactly', () => {
  assert.equal(nano('1'), 1_000_000_000n);
  assert.equal(nano('500m'), 500_000_000n);
  assert.equal(nano('0.5'), 500_000_000n);
  assert.equal(nano('.5'), 500_000_000n);
  assert.equal(nano('1.'), 1_000_000_000n);
  assert.equal(nano('+2k'), 2_000_000_000_000n);
  assert.equal(nano('1Ki'), 1024n * 1_000_000_000n);
  assert.equal(nano('1.5Gi'), 1610612736n * 1_000_000_000n);
  assert.equal(nano('1e3'), 1000n * 1_000_000_000n);
  assert.equal(nano('1E-3'), 1_000_000n);
  assert.equal(nano('-1'), -1_000_000_000n);
  assert.equal(nano('1n'), 1n);
  assert.equal(nano('0.1n'), 1n); // rounded up, as the real parser does
  assert.equal(parseQuantity('1Gi')?.format, 'BinarySI');
  assert.equal(parseQuantity('1G')?.format, 'DecimalSI');
});

test('refuses what the API server refuses', () => {
  for (const bad of ['lots', '', ' 1', '1 ', '1.2.3', 'Gi', '1gi', '1KiB', '1Kb', 'm', '1mm', '--1', '1e', '0x10']) {
    assert.equal(parseQuantity(bad), undefined, bad);
  }
});

test('prints canonical text in the written format', () => {
  assert.equal(formatQuantity(nano('1500m') ?? 0n), '1500m');
  assert.equal(formatQuantity(nano('2000m') ?? 0n), '2');
  assert.equal(formatQuantity(nano('1024Mi') ?? 0n, 'BinarySI'), '1Gi');
  assert.equal(formatQuantity(nano('1G') ?? 0n), '1G');
  assert.equal(formatQuantity(0n), '0');
  const sum = addQuantities([parseQuantity('512Mi'), parseQuantity('512Mi')].filter((q) => q !== undefined));
  assert.equal(formatQuantity(sum.nano, sum.format), '1Gi');
});
