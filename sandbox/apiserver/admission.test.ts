import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rulesMatch, selectorRequirements } from './admission.js';
import { builtinResources } from './builtins.js';
import { matchRequirements } from './selectors.js';
import type { ResourceType } from './types.js';

const pods = builtinResources().find((r) => r.plural === 'pods') as ResourceType;
const nodes = builtinResources().find((r) => r.plural === 'nodes') as ResourceType;
const rule = (r: Record<string, unknown>): unknown[] => [
  { operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'], ...r },
];
const create = { operation: 'CREATE' as const, rt: pods, version: 'v1', subresource: undefined };

test('rules match operation, group, version and resource, with * wildcards', () => {
  assert.ok(rulesMatch(rule({}), create));
  assert.ok(!rulesMatch(rule({}), { ...create, operation: 'UPDATE' }));
  assert.ok(rulesMatch(rule({ operations: ['*'] }), { ...create, operation: 'UPDATE' }));
  assert.ok(!rulesMatch(rule({ apiGroups: ['apps'] }), create));
  assert.ok(rulesMatch(rule({ apiGroups: ['*'], apiVersions: ['*'], resources: ['*'] }), create));
  assert.ok(!rulesMatch(rule({ apiVersions: ['v2'] }), create));
  assert.ok(!rulesMatch(undefined, create));
  assert.ok(!rulesMatch([], create));
});

test('subresources match only rules that name them', () => {
  const status = { ...create, subresource: 'status' as const };
  assert.ok(!rulesMatch(rule({}), status));
  assert.ok(!rulesMatch(rule({ resources: ['*'] }), status));
  assert.ok(rulesMatch(rule({ resources: ['pods/status'] }), status));
  assert.ok(rulesMatch(rule({ resources: ['pods/*'] }), status));
  assert.ok(rulesMatch(rule({ resources: ['*/*'] }), status));
  assert.ok(rulesMatch(rule({ resources: ['*/status'] }), status));
  assert.ok(!rulesMatch(rule({ resources: ['pods/status'] }), create));
});

test('scope: Namespaced, Cluster, *', () => {
  const all = { apiGroups: ['*'], apiVersions: ['*'], resources: ['*'] };
  assert.ok(rulesMatch(rule({ ...all, scope: 'Namespaced' }), create));
  assert.ok(!rulesMatch(rule({ ...all, scope: 'Cluster' }), create));
  assert.ok(rulesMatch(rule({ ...all, scope: 'Cluster' }), { ...create, rt: nodes }));
  assert.ok(rulesMatch(rule({ ...all, scope: '*' }), { ...create, rt: nodes }));
});

test('label selectors: matchLabels and matchExpressions; empty matches all; unknown operators never match', () => {
  const m = (sel: unknown, labels: Record<string, string>): boolean => {
    const reqs = selectorRequirements(sel);
    return reqs !== undefined && matchRequirements(reqs, labels);
  };
  assert.ok(m(undefined, {}));
  assert.ok(m({}, { a: 'b' }));
  assert.ok(m({ matchLabels: { a: 'b' } }, { a: 'b', c: 'd' }));
  assert.ok(!m({ matchLabels: { a: 'b' } }, { a: 'x' }));
  assert.ok(m({ matchExpressions: [{ key: 'a', operator: 'In', values: ['x', 'b'] }] }, { a: 'b' }));
  assert.ok(!m({ matchExpressions: [{ key: 'a', operator: 'NotIn', values: ['b'] }] }, { a: 'b' }));
  assert.ok(m({ matchExpressions: [{ key: 'a', operator: 'Exists' }] }, { a: '' }));
  assert.ok(m({ matchExpressions: [{ key: 'flotilla.io/shard', operator: 'DoesNotExist' }] }, { a: 'b' }));
  assert.ok(!m({ matchExpressions: [{ key: 'a', operator: 'Gt', values: ['1'] }] }, { a: '2' }));
});
