import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileSchema, fieldPath } from './schema-validation.js';
import type { KubeObject } from './types.js';

const schema = compileSchema({
  type: 'object',
  properties: {
    spec: {
      type: 'object',
      required: ['size'],
      properties: {
        size: { type: 'integer', minimum: 1, maximum: 10 },
        color: { type: 'string', enum: ['red', 'blue'], default: 'red' },
        name: { type: 'string', pattern: '^[a-z]+$', maxLength: 5 },
        when: { type: 'string', format: 'date-time' },
        port: { 'x-kubernetes-int-or-string': true },
        note: { type: 'string', nullable: true },
        nodes: { type: 'array', items: { type: 'object', required: ['id'], properties: { id: { type: 'string' } } } },
        free: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
        labels: { type: 'object', additionalProperties: { type: 'string' } },
      },
    },
  },
});

const obj = (spec: Record<string, unknown>): KubeObject => ({
  apiVersion: 'x/v1',
  kind: 'W',
  metadata: { name: 'w' },
  spec,
});

test('valid objects pass; int-or-string and nullable accepted; defaults applied', () => {
  const o = obj({ size: 2, port: 'http', note: null, free: { any: { thing: 1 } }, labels: { a: 'b' } });
  assert.deepEqual(schema.prune(o), []);
  assert.deepEqual(schema.validate(o), []);
  assert.equal((o['spec'] as Record<string, unknown>)['color'], 'red');
  assert.deepEqual(schema.validate(obj({ size: 2, port: 80 })), []);
});

test('errors carry real field paths and messages', () => {
  const errors = schema.validate(
    obj({ size: 0, color: 'green', name: 'ABC', nodes: [{ id: 'a' }, {}, { id: 'c' }, {}], when: 'yesterday' }),
  );
  const byField = Object.fromEntries(errors.map((e) => [e.field, e.message]));
  assert.equal(byField['spec.size'], 'Invalid value: 0: spec.size in body should be greater than or equal to 1');
  assert.equal(byField['spec.color'], 'Unsupported value: "green": supported values: "red", "blue"');
  assert.match(byField['spec.name'] ?? '', /should match '\^\[a-z\]\+\$'/);
  assert.equal(byField['spec.nodes[1].id'], 'Required value');
  assert.equal(byField['spec.nodes[3].id'], 'Required value');
  assert.ok(byField['spec.when']);
  const typeErr = schema.validate(obj({ size: 'big' }));
  assert.equal(typeErr[0]?.message, 'Invalid value: "string": spec.size in body must be of type integer: "string"');
  assert.deepEqual(
    schema.validate(obj({})).map((e) => e.field),
    ['spec.size'],
  );
});

test('pruning removes unknown fields except where preserved', () => {
  const o = obj({ size: 1, bogus: 1, free: { kept: true }, nodes: [{ id: 'a', extra: 1 }] });
  assert.deepEqual(schema.prune(o).sort(), ['spec.bogus', 'spec.nodes[0].extra']);
  assert.deepEqual(o['spec'], { size: 1, free: { kept: true }, nodes: [{ id: 'a' }], color: 'red' });
  assert.equal(fieldPath('/spec/a~1b/0/c'), 'spec.a/b[0].c');
});
