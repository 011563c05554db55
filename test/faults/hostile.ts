/**
 * Hostile Workflows for the fault suite (issue 9, "bad input at volume"): fast-check arbitraries
 * that build invalid or hostile manifests as a client would POST them (plain JSON), each tagged
 * with its kind and variant, and an oracle that says, without any fleet, what must become of each:
 *
 *  - `refused`: the API server answers 413 (body over its limit), 400 (metadata of the wrong JSON
 *    type: a numeric name, labels that are not a string map) or 422 naming the field; the
 *    oracle runs the embedded server's own create path (`Resources.create`, dry run, in process:
 *    name rules, metadata rules, the CRD's structural schema with pruning and defaulting);
 *  - `failed`: the server stores it, and `validateWorkflow` finds issues in what it stored, so a
 *    replica must mark it Failed with `Valid=False` and an Event;
 *  - `succeeded`: valid (some are hostile all the same: wide fan-outs, nesting at the limit,
 *    values near the size limit, unicode values); built from in-process tasks, so they finish fast.
 *
 * Every variant also states its intent (what its author meant it to be), so a test can tell a
 * generator mistake or a validator gap from a fleet bug. Names are `hostile-<n>` (a case about the
 * name itself derives its name from that), kinds are dealt round-robin, and everything follows
 * from the seed.
 */
import fc from 'fast-check';
import { workflowCrd } from '../../src/api/crd.js';
import {
  DEFAULT_LIMITS,
  parseDuration,
  validateWorkflow,
  type ValidationIssue,
} from '../../src/api/validation/index.js';
import { builtinResources } from '../../sandbox/apiserver/builtins.js';
import { resourceTypeFromCrd } from '../../sandbox/apiserver/crd.js';
import { ApiError } from '../../sandbox/apiserver/errors.js';
import { FaultInjector } from '../../sandbox/apiserver/faults.js';
import { maxBodyBytes } from '../../sandbox/apiserver/http/respond.js';
import { Resources } from '../../sandbox/apiserver/operations.js';
import { ResourceRegistry } from '../../sandbox/apiserver/registry.js';
import { Store } from '../../sandbox/apiserver/store.js';
import type { KubeObject, ResourceType } from '../../sandbox/apiserver/types.js';

export const HOSTILE_KINDS = [
  'cycle',
  'unknown-ref',
  'fan-out',
  'deep-nesting',
  'oversized',
  'unicode-names',
  'wrong-types',
  'bad-durations',
  'branch-without-cases',
  'gate-without-kind',
  'array-over-not-list',
] as const;
export type HostileKind = (typeof HOSTILE_KINDS)[number];
export type Outcome = 'refused' | 'failed' | 'succeeded';
/** What a variant's author meant: one outcome, or `rejected` (refused or failed: where the schema stops decides). */
export type Intent = Outcome | 'rejected';

export type Verdict =
  | {
      expect: 'refused';
      code: number;
      reason: string;
      /** Fields the 422 names (none for a 413). */ fields: string[];
      message: string;
    }
  | { expect: 'failed'; issues: ValidationIssue[] }
  | { expect: 'succeeded' };

export interface HostileCase {
  /** `hostile-<n>`, unique in a generated set. */
  readonly id: string;
  readonly kind: HostileKind;
  /** The shape within the kind (`fromNode-cycle`, `over-max-nodes`, ...). */
  readonly variant: string;
  readonly intent: Intent;
  /** `metadata.name` as sent: the id, or derived from it when the case is about the name. */
  readonly name: string;
  /** The manifest as JSON text: what goes over the wire. */
  readonly body: string;
  readonly bytes: number;
  readonly verdict: Verdict;
}

type Json = Record<string, unknown>;
interface Draft {
  variant: string;
  intent: Intent;
  spec: unknown;
  /** Replaces the name (derived from the id) or adds metadata fields. */
  metadata?: (id: string) => Json;
}

const L = DEFAULT_LIMITS;
const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);
const TRUE = { left: { value: 1 }, op: 'eq', right: { value: 1 } };
const FALSE = { left: { value: 1 }, op: 'eq', right: { value: 2 } };
const say = (id: string, extra: Json = {}): Json => ({
  id,
  kind: 'task',
  task: 'say',
  inputs: { x: { value: id } },
  ...extra,
});
const spec = (nodes: unknown[], extra: Json = {}): Json => ({ tasks: { say: { plugin: 'echo' } }, nodes, ...extra });
const draft = (variant: string, intent: Intent, s: unknown, metadata?: (id: string) => Json): Draft => ({
  variant,
  intent,
  spec: s,
  ...(metadata ? { metadata } : {}),
});
/** A branch chain `depth` nodes deep (the top node is depth 1) around `leaf`; every case is true. */
const chain = (depth: number, leaf: Json): Json =>
  depth <= 1
    ? leaf
    : { id: `l${depth}`, kind: 'branch', branch: { cases: [{ when: TRUE, node: chain(depth - 1, leaf) }] } };
const item = (task = 'say'): Json => ({ kind: 'task', task, inputs: { i: { fromItem: true } } });
/** Sets `value` at `path` (creating objects on the way). */
function setAt(root: Json, path: readonly (string | number)[], value: unknown): void {
  let cur: unknown = root;
  for (const [i, seg] of path.entries()) {
    if (cur === null || typeof cur !== 'object') return;
    const obj = cur as Record<string | number, unknown>;
    if (i === path.length - 1) obj[seg] = value;
    else cur = obj[seg] ??= {};
  }
}
/** Where a node goes: top level (schema-checked), depth 3 (past the CRD's two expanded levels: the validator's alone), or in a sub-workflow. */
const place = fc.constantFrom('top', 'deep', 'sub');
function placed(where: string, node: Json, extra: Json = {}): Json {
  if (where === 'deep') return spec([chain(3, node)], extra);
  if (where === 'sub')
    return spec([{ id: 'run', kind: 'workflow', workflow: { ref: 'inner' } }], {
      ...extra,
      subWorkflows: { inner: { nodes: [node] } },
    });
  return spec([node], extra);
}

const cycle: fc.Arbitrary<Draft> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc
      .record({
        len: fc.integer({ min: 1, max: 8 }),
        extra: fc.integer({ min: 0, max: 5 }),
        via: fc.constantFrom('dependsOn', 'fromNode', 'mixed'),
        inSub: fc.boolean(),
      })
      .map(({ len, extra, via, inSub }) => {
        const ids = range(len).map((i) => `c${i}`);
        const nodes: Json[] = ids.map((id, i) => {
          const next = ids[(i + 1) % len] ?? id;
          return via === 'fromNode' || (via === 'mixed' && i % 2 === 1)
            ? say(id, { inputs: { x: { fromNode: next } } })
            : say(id, { dependsOn: [next] });
        });
        for (const j of range(extra)) nodes.push(say(`e${j}`, { dependsOn: ['c0'] }));
        const variant = `${len === 1 ? 'self' : via}-cycle${inSub ? '-in-sub-workflow' : ''}`;
        return draft(
          variant,
          'failed',
          inSub
            ? spec([{ id: 'run', kind: 'workflow', workflow: { ref: 'loop' } }], { subWorkflows: { loop: { nodes } } })
            : spec(nodes),
        );
      }),
  },
  {
    weight: 1,
    arbitrary: fc.integer({ min: 1, max: 4 }).map((len) => {
      const subWorkflows = Object.fromEntries(
        range(len).map((i) => [
          `s${i}`,
          { nodes: [{ id: 'down', kind: 'workflow', workflow: { ref: `s${(i + 1) % len}` } }] },
        ]),
      );
      return draft(
        'recursive-sub-workflows',
        'failed',
        spec([{ id: 'run', kind: 'workflow', workflow: { ref: 's0' } }], { subWorkflows }),
      );
    }),
  },
);

const missingName = fc.oneof(
  fc.constantFrom('toString', 'constructor', '__proto__', 'hasOwnProperty', 'valueOf'),
  fc.stringMatching(/^[a-z][a-z0-9-]{0,15}[a-z0-9]$/).map((s) => `missing-${s}`),
);
const unknownRef: fc.Arbitrary<Draft> = fc
  .tuple(
    fc.constantFrom(
      'task',
      'dependsOn',
      'fromNode',
      'output',
      'fromInput',
      'sub-workflow',
      'spec-output',
      'array-item-task',
    ),
    missingName,
  )
  .map(([variant, missing]) => {
    const shapes: Record<string, Json> = {
      task: spec([say('a'), say('b', { task: missing })]),
      dependsOn: spec([say('a'), say('b', { dependsOn: ['a', missing] })]),
      fromNode: spec([say('a'), say('b', { inputs: { x: { fromNode: missing, output: 'x' } } })]),
      output: {
        tasks: { say: { plugin: 'echo' }, count: { plugin: 'echo', outputs: { rows: 'integer' } } },
        nodes: [
          { id: 'a', kind: 'task', task: 'count', inputs: { rows: { value: 1 } } },
          say('b', { inputs: { x: { fromNode: 'a', output: missing } } }),
        ],
      },
      fromInput: spec([say('a', { inputs: { x: { fromInput: missing } } })], { inputs: { known: 1 } }),
      'sub-workflow': spec([{ id: 'a', kind: 'workflow', workflow: { ref: missing } }], {
        subWorkflows: { known: { nodes: [say('k')] } },
      }),
      'spec-output': spec([say('a')], { outputs: { out: { fromNode: missing, output: 'x' } } }),
      'array-item-task': spec([{ id: 'a', kind: 'array', array: { over: { value: [1, 2] }, node: item(missing) } }]),
    };
    return draft(`unknown-${variant}`, 'failed', shapes[variant]);
  });

const fanOut: fc.Arbitrary<Draft> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc
      .integer({ min: L.maxNodes + 1, max: L.maxNodes + 400 })
      .map((n) => draft('over-max-nodes', 'failed', spec(range(n).map((i) => say(`n${i}`))))),
  },
  {
    weight: 2,
    arbitrary: fc.integer({ min: 1, max: 50 }).map((extra) =>
      draft(
        'over-max-nodes-in-sub-workflow',
        'failed',
        spec([say('a'), { id: 'run', kind: 'workflow', workflow: { ref: 'wide' } }], {
          subWorkflows: { wide: { nodes: range(L.maxNodes - 1 + extra).map((i) => say(`w${i}`)) } },
        }),
      ),
    ),
  },
  {
    weight: 4,
    arbitrary: fc
      .integer({ min: L.maxArrayItems + 1, max: L.maxArrayItems + 2000 })
      .map((n) =>
        draft(
          'array-over-max-items',
          'failed',
          spec([{ id: 'each', kind: 'array', array: { over: { value: range(n) }, node: item() } }]),
        ),
      ),
  },
  {
    weight: 6,
    arbitrary: fc.record({ n: fc.integer({ min: 20, max: 150 }), join: fc.boolean() }).map(({ n, join }) => {
      const nodes = range(n).map((i) => say(`n${i}`));
      if (join) nodes.push(say('join', { dependsOn: range(n).map((i) => `n${i}`) }));
      return draft('wide-valid', 'succeeded', spec(nodes));
    }),
  },
  {
    weight: 4,
    arbitrary: fc
      .record({ n: fc.integer({ min: 10, max: 400 }), parallelism: fc.integer({ min: 0, max: 64 }) })
      .map(({ n, parallelism }) =>
        draft(
          'wide-array-valid',
          'succeeded',
          spec([{ id: 'each', kind: 'array', array: { over: { value: range(n) }, parallelism, node: item() } }]),
        ),
      ),
  },
  {
    weight: 1,
    arbitrary: fc
      .constant(0)
      .map(() => draft('max-nodes-valid', 'succeeded', spec(range(L.maxNodes).map((i) => say(`n${i}`))))),
  },
);

const nested = (k: number, leaf: unknown): unknown => (k <= 0 ? leaf : [nested(k - 1, leaf)]);
const deepNesting: fc.Arbitrary<Draft> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc
      .integer({ min: L.maxDepth + 1, max: L.maxDepth + 8 })
      .map((d) => draft('branch-chain-too-deep', 'failed', spec([chain(d, say('leaf'))]))),
  },
  {
    weight: 2,
    arbitrary: fc
      .constant(L.maxDepth)
      .map((d) => draft('branch-chain-at-limit', 'succeeded', spec([chain(d, say('leaf'))]))),
  },
  {
    weight: 2,
    arbitrary: fc.integer({ min: L.maxDepth + 1, max: L.maxDepth + 6 }).map((k) => {
      const subWorkflows = Object.fromEntries(
        range(k).map((i) => [
          `s${i}`,
          { nodes: [i === k - 1 ? say('leaf') : { id: 'down', kind: 'workflow', workflow: { ref: `s${i + 1}` } }] },
        ]),
      );
      return draft(
        'sub-workflow-chain-too-deep',
        'failed',
        spec([{ id: 'run', kind: 'workflow', workflow: { ref: 's0' } }], { subWorkflows }),
      );
    }),
  },
  {
    weight: 2,
    arbitrary: fc.integer({ min: L.maxDepth + 1, max: L.maxDepth + 20 }).map((k) => {
      let when: unknown = FALSE;
      for (let i = 0; i < k; i++) when = { not: when };
      return draft(
        'condition-too-deep',
        'failed',
        spec([{ id: 'b', kind: 'branch', branch: { cases: [{ when, node: say('x') }] } }]),
      );
    }),
  },
  {
    weight: 2,
    arbitrary: fc
      .integer({ min: L.maxJsonDepth + 1, max: 400 })
      .map((k) => draft('json-too-deep', 'failed', spec([say('a')], { inputs: { deep: nested(k, 1) } }))),
  },
  {
    weight: 1,
    arbitrary: fc
      .integer({ min: 20, max: L.maxJsonDepth - 10 })
      .map((k) =>
        draft(
          'json-deep-valid',
          'succeeded',
          spec([say('a', { inputs: { x: { fromInput: 'deep' } } })], { inputs: { deep: nested(k, 'bottom') } }),
        ),
      ),
  },
);

const oversized: fc.Arbitrary<Draft> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.integer({ min: 0, max: 4096 }).map((k) =>
      draft(
        'input-just-under-limit',
        'succeeded',
        spec([say('a', { inputs: { x: { fromInput: 'blob' } } })], {
          inputs: { blob: 'x'.repeat(L.maxInputValueBytes - 2 - k) },
        }),
      ),
    ),
  },
  {
    weight: 3,
    arbitrary: fc
      .integer({ min: L.maxInputValueBytes - 1, max: L.maxInputValueBytes * 3 })
      .map((n) =>
        draft(
          'input-over-limit',
          'failed',
          spec([say('a', { inputs: { x: { fromInput: 'blob' } } })], { inputs: { blob: 'x'.repeat(n) } }),
        ),
      ),
  },
  {
    weight: 2,
    arbitrary: fc
      .integer({ min: L.maxInputValueBytes / 2, max: L.maxInputValueBytes - 3 })
      .map((n) => draft('multibyte-input-over-limit', 'failed', spec([say('a')], { inputs: { blob: 'é'.repeat(n) } }))),
  },
  {
    weight: 2,
    arbitrary: fc
      .integer({ min: L.maxInputValueBytes - 1, max: L.maxInputValueBytes * 2 })
      .map((n) => draft('literal-over-limit', 'failed', spec([say('a', { inputs: { x: { value: 'y'.repeat(n) } } })]))),
  },
  {
    weight: 2,
    arbitrary: fc.integer({ min: 1, max: 64 * 1024 }).map((k) =>
      draft('spec-over-limit', 'failed', {
        tasks: { say: { plugin: 'echo', config: { blob: 'z'.repeat(L.maxSpecBytes + k) } } },
        nodes: [say('a')],
      }),
    ),
  },
  {
    weight: 1,
    arbitrary: fc.integer({ min: 20_000, max: 60_000 }).map((k) =>
      draft('spec-just-under-limit', 'succeeded', {
        tasks: { say: { plugin: 'echo', config: { blob: 'z'.repeat(L.maxSpecBytes - k) } } },
        nodes: [say('a')],
      }),
    ),
  },
  {
    weight: 1,
    arbitrary: fc.integer({ min: 1, max: 64 * 1024 }).map((k) =>
      draft('body-over-limit', 'refused', {
        tasks: { say: { plugin: 'echo', config: { blob: 'z'.repeat(maxBodyBytes + k) } } },
        nodes: [say('a')],
      }),
    ),
  },
  {
    weight: 2,
    arbitrary: fc
      .integer({ min: 64, max: 300 })
      .map((n) => draft('long-node-id', 'refused', spec([say('n'.repeat(n))]))),
  },
  {
    weight: 2,
    arbitrary: fc
      .integer({ min: 254, max: 400 })
      .map((n) => draft('long-name', 'refused', spec([say('a')]), (id) => ({ name: `${id}-${'a'.repeat(n)}` }))),
  },
  {
    weight: 2,
    arbitrary: fc.integer({ min: 64, max: 200 }).map((n) =>
      draft('long-task-name', 'failed', {
        tasks: { ['k'.repeat(n)]: { plugin: 'echo' } },
        nodes: [{ id: 'a', kind: 'task', task: 'k'.repeat(n) }],
      }),
    ),
  },
  {
    weight: 2,
    arbitrary: fc.integer({ min: 4097, max: 20_000 }).map((n) =>
      draft(
        'long-else-error',
        'refused',
        spec([
          {
            id: 'b',
            kind: 'branch',
            branch: { cases: [{ when: FALSE, node: say('x') }], else: { error: 'e'.repeat(n) } },
          },
        ]),
      ),
    ),
  },
  {
    weight: 1,
    arbitrary: fc.integer({ min: 1000, max: 4000 }).map((n) =>
      draft(
        'many-inputs-valid',
        'succeeded',
        spec([say('a', { inputs: { x: { fromInput: 'in1' } } })], {
          inputs: Object.fromEntries(range(n).map((i) => [`in${i}`, i])),
        }),
      ),
    ),
  },
);

/** At least one character a DNS name or a key cannot hold (case folding, invisible and RTL marks, NUL, astral). */
const unicodeBit = fc
  .tuple(
    fc.string({ unit: 'grapheme', maxLength: 6 }),
    fc.constantFrom(
      'é',
      'ß',
      'ü',
      '日本',
      '🚀',
      '\u202e',
      '\u200b',
      'İ',
      'ﬀ',
      '\u212a',
      'ſ',
      'Ω',
      '\u0000',
      'ا',
      '\ud800',
    ),
  )
  .map(([a, b]) => `${a}${b}`);
const protoInputs = (): Json => JSON.parse('{"__proto__": 1, "ok": 2}') as Json;
const unicodeNames: fc.Arbitrary<Draft> = fc
  .tuple(
    fc.constantFrom(
      'metadata-name',
      'node-id',
      'task-name',
      'input-name',
      'output-name',
      'signal-name',
      'sub-workflow-name',
      'uppercase-id',
      'label-value',
      'annotation-key',
      'prototype-input-name',
      'values-only-valid',
      'prototype-task-names-valid',
    ),
    unicodeBit,
    fc.string({ unit: 'binary', maxLength: 40 }),
  )
  .map(([variant, u, noise]) => {
    switch (variant) {
      case 'metadata-name':
        return draft(variant, 'refused', spec([say('a')]), (id) => ({ name: `${id}-${u}` }));
      case 'node-id':
        return draft(variant, 'rejected', spec([say(`n-${u}`)]));
      case 'task-name':
        return draft(variant, 'failed', {
          tasks: { [u]: { plugin: 'echo' } },
          nodes: [{ id: 'a', kind: 'task', task: u }],
        });
      case 'input-name':
        return draft(variant, 'failed', spec([say('a', { inputs: { x: { fromInput: u } } })], { inputs: { [u]: 1 } }));
      case 'output-name':
        return draft(variant, 'failed', {
          tasks: { say: { plugin: 'echo', outputs: { [u]: 'string' } } },
          nodes: [say('a')],
        });
      case 'signal-name':
        return draft(
          variant,
          'failed',
          spec([{ id: 'g', kind: 'gate', gate: { signal: { name: `s${u}`.slice(0, 60), type: 'boolean' } } }]),
        );
      case 'sub-workflow-name':
        return draft(
          variant,
          'failed',
          spec([{ id: 'run', kind: 'workflow', workflow: { ref: u } }], {
            subWorkflows: { [u]: { nodes: [say('a')] } },
          }),
        );
      case 'uppercase-id':
        return draft(variant, 'failed', spec([say('Load-Data')]));
      case 'label-value':
        return draft(variant, 'refused', spec([say('a')]), (id) => ({ name: id, labels: { 'flotilla.io/note': u } }));
      case 'annotation-key':
        return draft(variant, 'refused', spec([say('a')]), (id) => ({ name: id, annotations: { [u]: 'x' } }));
      case 'prototype-input-name':
        return draft(
          variant,
          'failed',
          spec([say('a', { inputs: { x: { fromInput: 'ok' } } })], { inputs: protoInputs() }),
        );
      case 'prototype-task-names-valid':
        return draft(variant, 'succeeded', {
          tasks: { constructor: { plugin: 'echo' }, toString: { plugin: 'echo' } },
          nodes: [
            { id: 'a', kind: 'task', task: 'constructor', inputs: { v: { value: u } } },
            { id: 'b', kind: 'task', task: 'toString', dependsOn: ['a'] },
          ],
        });
      default:
        return draft(
          'values-only-valid',
          'succeeded',
          spec([say('a', { inputs: { x: { fromInput: 'greeting' }, y: { value: noise } } })], {
            inputs: { greeting: `${u}${noise}` },
          }),
          (id) => ({ name: id, annotations: { 'flotilla.io/note': `${u}${noise}` } }),
        );
    }
  });

/** A valid spec with a node at each depth; `wrong-types` breaks it at a few places. */
const typedBase = (): Json => ({
  inputs: { items: [1, 2, 3] },
  tasks: { say: { plugin: 'echo', retries: 1, timeout: '10m' } },
  nodes: [
    say('a'),
    { id: 'b', kind: 'branch', dependsOn: ['a'], branch: { cases: [{ when: TRUE, node: chain(2, say('d')) }] } },
    { id: 'e', kind: 'array', array: { over: { fromInput: 'items' }, parallelism: 2, node: item() } },
  ],
  failurePolicy: 'FailImmediately',
});
const DEEP = ['nodes', 1, 'branch', 'cases', 0, 'node', 'branch', 'cases', 0, 'node'] as const;
type JsonType = 'null' | 'number' | 'boolean' | 'string' | 'array' | 'object';
const jsonType = (v: unknown): JsonType => (v === null ? 'null' : Array.isArray(v) ? 'array' : (typeof v as JsonType));
/** Where a value of one JSON type belongs; `spec` and `metadata` paths are from the manifest's root. */
const TYPED: readonly (readonly [readonly (string | number)[], JsonType])[] = [
  [['nodes', 0, 'id'], 'string'],
  [['nodes', 0, 'kind'], 'string'],
  [['nodes', 0, 'dependsOn'], 'array'],
  [['nodes', 0, 'inputs'], 'object'],
  [['nodes', 0, 'inputs', 'x'], 'object'],
  [['nodes', 0, 'retries'], 'number'],
  [['nodes', 0, 'task'], 'string'],
  [['nodes', 0], 'object'],
  [['tasks'], 'object'],
  [['tasks', 'say'], 'object'],
  [['tasks', 'say', 'plugin'], 'string'],
  [['tasks', 'say', 'retries'], 'number'],
  [['tasks', 'say', 'timeout'], 'string'],
  [['nodes'], 'array'],
  [['inputs'], 'object'],
  [['failurePolicy'], 'string'],
  [['nodes', 1, 'branch', 'cases'], 'array'],
  [['nodes', 1, 'branch', 'cases', 0, 'when'], 'object'],
  [['nodes', 2, 'array', 'parallelism'], 'number'],
  [['nodes', 2, 'array', 'minSuccessRatio'], 'number'],
  [['nodes', 2, 'array', 'over'], 'object'],
  [['nodes', 2, 'array', 'node', 'inputs', 'i', 'fromItem'], 'boolean'],
  [['subWorkflows'], 'object'],
  [['outputs'], 'object'],
  [['onFailure'], 'object'],
  [['activeDeadline'], 'string'],
  [[...DEEP, 'id'], 'string'],
  [[...DEEP, 'kind'], 'string'],
  [[...DEEP, 'inputs'], 'object'],
  [[...DEEP, 'retries'], 'number'],
  [[...DEEP, 'dependsOn'], 'array'],
  [[...DEEP, 'task'], 'string'],
];
const WRONG: readonly unknown[] = [null, 42, -1, 1.5, true, 'text', [], [1, 'two'], {}, { nested: { x: 1 } }];
const wrongTypes: fc.Arbitrary<Draft> = fc.oneof(
  {
    weight: 8,
    arbitrary: fc
      .uniqueArray(fc.tuple(fc.nat(TYPED.length - 1), fc.nat(WRONG.length - 1)), {
        minLength: 1,
        maxLength: 3,
        selector: ([t]) => t,
      })
      .map((picks) => {
        const s = typedBase();
        const labels: string[] = [];
        for (const [t, w] of picks) {
          const [path, type] = TYPED[t] ?? [[], 'null'];
          const candidates = WRONG.filter((v) => jsonType(v) !== type);
          const value = candidates[w % candidates.length];
          setAt(s, path, structuredClone(value));
          labels.push(path.length >= DEEP.length ? 'deep' : 'schema-level');
        }
        return draft(`wrong-type-${labels.includes('schema-level') ? 'schema-level' : 'deep'}`, 'rejected', s);
      }),
  },
  {
    weight: 2,
    arbitrary: fc
      .constantFrom<unknown>(null, 42, 'spec', [], [{}])
      .map((v) => draft('spec-not-an-object', 'refused', v)),
  },
  // Metadata of the wrong JSON type: the API server refuses it while decoding ObjectMeta (400 BadRequest,
  // `json: cannot unmarshal …`), as a real one does. A numeric name is the case's number (names stay unique).
  {
    weight: 2,
    arbitrary: fc
      .constantFrom<[string, unknown]>(
        ['labels', { 'flotilla.io/n': 5 }],
        ['labels', 'x'],
        ['labels', ['a']],
        ['annotations', { note: 5 }],
        ['annotations', [1]],
        ['name', 0],
      )
      .map(([field, v]) =>
        draft(`metadata-${field}-wrong-type`, 'refused', typedBase(), (id) =>
          field === 'name' ? { name: Number(id.slice('hostile-'.length)) } : { name: id, [field]: v },
        ),
      ),
  },
  {
    weight: 2,
    arbitrary: fc
      .constantFrom<[readonly (string | number)[], unknown]>(
        [['tasks', 'say', 'retries'], -1],
        [['tasks', 'say', 'retries'], 1.5],
        [['tasks', 'say', 'retries'], 101],
        [['nodes', 2, 'array', 'minSuccessRatio'], 2],
        [['nodes', 2, 'array', 'parallelism'], -3],
        [['failurePolicy'], 'Sometimes'],
        [['nodes', 0, 'kind'], 'loop'],
        [[...DEEP, 'kind'], 'loop'],
        [[...DEEP, 'retries'], 1.5],
      )
      .map(([path, v]) => {
        const s = typedBase();
        setAt(s, path, v);
        return draft('out-of-range', 'rejected', s);
      }),
  },
  {
    weight: 2,
    arbitrary: fc.constantFrom('top', 'deep').map((where) => {
      const s = typedBase();
      setAt(s, where === 'top' ? ['nodes', 0, 'colour'] : [...DEEP, 'colour'], 'red');
      // The API server prunes unknown fields where its schema reaches; deeper, the validator reports them.
      return draft(`unknown-field-${where}`, where === 'top' ? 'succeeded' : 'failed', s);
    }),
  },
);

const BAD_DURATIONS = [
  '10 minutes',
  '',
  '-5s',
  '1y',
  'PT5M',
  '1e3s',
  '5',
  's',
  '1.5.5s',
  '1s'.repeat(20),
  ' 1s',
  '1S',
  '١s',
  '１s',
  'NaNs',
  'Infinityh',
  30,
];
const ZERO_OR_HUGE = ['0s', '0ms', '0.0h', '367d', '99999999999999999999h'];
const badDuration = fc.oneof(
  fc.constantFrom<unknown>(...BAD_DURATIONS),
  fc.string({ maxLength: 12 }).filter((s) => parseDuration(s) === undefined),
);
const durationBase = (): Json => ({
  tasks: { say: { plugin: 'echo', timeout: '10m' }, nap: { plugin: 'sleep', config: { duration: '100ms' } } },
  nodes: [
    say('a', { timeout: '5m' }),
    { id: 'g', kind: 'gate', gate: { sleep: '100ms', timeout: '1h' } },
    { id: 'n', kind: 'task', task: 'nap', dependsOn: ['g'] },
    chain(3, say('d', { timeout: '1m' })),
  ],
  activeDeadline: '1h',
});
const DURATION_AT: readonly (readonly (string | number)[])[] = [
  ['tasks', 'say', 'timeout'],
  ['nodes', 0, 'timeout'],
  ['activeDeadline'],
  ['nodes', 1, 'gate', 'sleep'],
  ['nodes', 1, 'gate', 'timeout'],
  ['nodes', 3, 'branch', 'cases', 0, 'node', 'branch', 'cases', 0, 'node', 'timeout'],
  ['tasks', 'nap', 'config', 'duration'],
];
const badDurations: fc.Arbitrary<Draft> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.tuple(fc.nat(DURATION_AT.length - 1), badDuration).map(([at, v]) => {
      const s = durationBase();
      // The sleep plugin's config is free-form JSON: no schema length limit there, only "does it parse".
      setAt(s, DURATION_AT[at] ?? [], at === 6 && typeof v === 'string' && parseDuration(v) !== undefined ? 'soon' : v);
      return draft(at === 6 ? 'bad-sleep-duration' : at === 5 ? 'bad-duration-deep' : 'bad-duration', 'rejected', s);
    }),
  },
  // Zero and absurdly long timeouts match the pattern: the validator's range check refuses them (a sleep may be zero).
  {
    weight: 3,
    arbitrary: fc.tuple(fc.constantFrom(0, 1, 2, 4, 5), fc.constantFrom(...ZERO_OR_HUGE)).map(([at, v]) => {
      const s = durationBase();
      setAt(s, DURATION_AT[at] ?? [], v);
      return draft('zero-or-huge-duration', 'failed', s);
    }),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom('366d', '1h30m', '0.5h', '90s', '2d').map((d) => {
      const s = durationBase();
      for (const at of DURATION_AT.slice(0, 3)) setAt(s, at, d);
      return draft('edge-durations-valid', 'succeeded', s);
    }),
  },
);

const branchWithoutCases: fc.Arbitrary<Draft> = fc
  .tuple(
    fc.constantFrom(
      'empty-cases',
      'no-cases-field',
      'no-branch-block',
      'empty-else',
      'else-error-only',
      'else-both',
      'case-without-node',
      'case-without-when',
      'cases-null',
      'else-taken-valid',
    ),
    place,
  )
  .map(([variant, where]) => {
    const blocks: Record<string, [Intent, unknown]> = {
      'empty-cases': ['failed', { cases: [] }],
      'no-cases-field': ['rejected', {}],
      'no-branch-block': ['failed', undefined],
      'empty-else': ['failed', { cases: [], else: {} }],
      'else-error-only': ['failed', { cases: [], else: { error: 'nothing to do' } }],
      'else-both': ['failed', { cases: [{ when: FALSE, node: say('x') }], else: { node: say('y'), error: 'z' } }],
      'case-without-node': ['rejected', { cases: [{ when: TRUE }] }],
      'case-without-when': ['rejected', { cases: [{ node: say('x') }] }],
      'cases-null': ['rejected', { cases: null }],
      'else-taken-valid': ['succeeded', { cases: [{ when: FALSE, node: say('x') }], else: { node: say('y') } }],
    };
    const [intent, block] = blocks[variant] ?? ['failed', undefined];
    return draft(
      `${variant}-${where}`,
      intent,
      placed(where, { id: 'pick', kind: 'branch', ...(block === undefined ? {} : { branch: block }) }),
    );
  });

const gateWithoutKind: fc.Arbitrary<Draft> = fc
  .tuple(
    fc.constantFrom(
      'empty-gate',
      'timeout-only',
      'no-gate-block',
      'sleep-and-signal',
      'sleep-and-approve',
      'gate-null',
      'sleep-gate-valid',
    ),
    place,
    fc.integer({ min: 100, max: 900 }),
  )
  .map(([variant, where, ms]) => {
    const blocks: Record<string, [Intent, unknown]> = {
      'empty-gate': ['failed', {}],
      'timeout-only': ['failed', { timeout: '1h' }],
      'no-gate-block': ['failed', undefined],
      'sleep-and-signal': ['failed', { sleep: '1s', signal: { name: 'go', type: 'boolean' } }],
      'sleep-and-approve': ['failed', { sleep: '1s', approve: { message: 'ok?' } }],
      'gate-null': ['rejected', null],
      'sleep-gate-valid': ['succeeded', { sleep: `${ms}ms` }],
    };
    const [intent, block] = blocks[variant] ?? ['failed', undefined];
    return draft(
      `${variant}-${where}`,
      intent,
      placed(where, { id: 'wait', kind: 'gate', ...(block === undefined ? {} : { gate: block }) }),
    );
  });

const arrayOverNotList: fc.Arbitrary<Draft> = fc
  .tuple(
    fc.constantFrom(
      'literal-scalar',
      'input-scalar',
      'node-output-scalar',
      'over-not-a-binding',
      'no-item-node',
      'item-node-gate',
      'item-node-branch',
      'empty-list-valid',
      'input-list-valid',
    ),
    fc.constantFrom<unknown>(5, 'abc', { a: 1 }, null, true, 0.5),
    fc.constantFrom('top', 'sub'),
  )
  .map(([variant, scalar, where]) => {
    const array = (over: unknown, node: unknown): Json => ({
      id: 'each',
      kind: 'array',
      array: { over, ...(node === undefined ? {} : { node }) },
    });
    const shapes: Record<string, [Intent, Json, Json?]> = {
      'literal-scalar': ['failed', array({ value: scalar }, item())],
      'input-scalar': ['failed', array({ fromInput: 'n' }, item()), { inputs: { n: scalar } }],
      'node-output-scalar': ['failed', array({ fromNode: 'a', output: 'n' }, item())],
      'over-not-a-binding': ['rejected', array(scalar === null ? [1, 2] : scalar, item())],
      'no-item-node': ['rejected', array({ value: [1] }, undefined)],
      'item-node-gate': ['failed', array({ value: [1] }, { kind: 'gate', gate: { sleep: '1s' } })],
      'item-node-branch': [
        'failed',
        array({ value: [1] }, { kind: 'branch', branch: { cases: [{ when: TRUE, node: say('x') }] } }),
      ],
      'empty-list-valid': ['succeeded', array({ value: [] }, item())],
      'input-list-valid': ['succeeded', array({ fromInput: 'n' }, item()), { inputs: { n: ['α', 'β', { γ: 1 }] } }],
    };
    // A sub-workflow's declared input is only a default (a caller may pass a list): a scalar one is caught when the array runs, not before.
    const at = variant === 'input-scalar' ? 'top' : where;
    const [intent, node, extra = {}] = shapes[variant] ?? ['failed', {}];
    const s = placed(at, node, extra);
    if (variant === 'node-output-scalar') {
      s['tasks'] = { say: { plugin: 'echo' }, count: { plugin: 'echo', outputs: { n: 'integer' } } };
      const scope = at === 'sub' ? ((s['subWorkflows'] as Json)['inner'] as Json) : s;
      scope['nodes'] = [{ id: 'a', kind: 'task', task: 'count', inputs: { n: { value: 3 } } }, node];
    }
    if (at === 'sub' && extra['inputs'] !== undefined)
      ((s['subWorkflows'] as Json)['inner'] as Json)['inputs'] = extra['inputs'];
    return draft(`${variant}-${at}`, intent, s);
  });

export const ARBITRARIES: Readonly<Record<HostileKind, fc.Arbitrary<Draft>>> = {
  cycle,
  'unknown-ref': unknownRef,
  'fan-out': fanOut,
  'deep-nesting': deepNesting,
  oversized,
  'unicode-names': unicodeNames,
  'wrong-types': wrongTypes,
  'bad-durations': badDurations,
  'branch-without-cases': branchWithoutCases,
  'gate-without-kind': gateWithoutKind,
  'array-over-not-list': arrayOverNotList,
};

// ------------------------------------------------------------------------------------------------
// The oracle

let admission: { resources: Resources; rt: ResourceType } | undefined;

/** The embedded API server's create path, in process, with the Workflow CRD served. */
function admissionFor(namespace: string): { resources: Resources; rt: ResourceType } {
  if (!admission) {
    const registry = new ResourceRegistry();
    for (const rt of builtinResources()) registry.add(rt);
    const rt = resourceTypeFromCrd(structuredClone(workflowCrd()) as KubeObject);
    registry.add(rt);
    admission = { resources: new Resources(new Store(), registry, new FaultInjector()), rt };
  }
  const { resources } = admission;
  const nsType = resources.registry.byResourceKey('/namespaces');
  if (nsType && !resources.store.get('/namespaces', undefined, namespace))
    resources.create(nsType, 'v1', undefined, { metadata: { name: namespace } });
  return admission;
}

/**
 * What must become of a manifest POSTed as `body` into `namespace`: refused (413 over the body
 * limit, or whatever the server's create path throws), else the validator's verdict on the object
 * the server would store (pruned and defaulted, with its metadata).
 */
export function judge(body: string, namespace: string): Verdict {
  if (Buffer.byteLength(body) > maxBodyBytes)
    return {
      expect: 'refused',
      code: 413,
      reason: 'RequestEntityTooLarge',
      fields: [],
      message: `Request entity too large: limit is ${maxBodyBytes}`,
    };
  const { resources, rt } = admissionFor(namespace);
  let stored: KubeObject;
  try {
    stored = resources.create(rt, rt.storageVersion, namespace, JSON.parse(body) as unknown, { dryRun: true }).object;
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    const fields = (error.details?.causes ?? []).map((c) => c.field ?? '').filter((f) => f !== '');
    return { expect: 'refused', code: error.status, reason: error.reason, fields, message: error.message };
  }
  const result = validateWorkflow(JSON.parse(JSON.stringify(stored)) as unknown);
  return result.ok ? { expect: 'succeeded' } : { expect: 'failed', issues: result.issues };
}

export interface GenerateOptions {
  readonly seed: number;
  readonly count: number;
  readonly namespace: string;
  /** Only these kinds. @defaultValue HOSTILE_KINDS */
  readonly kinds?: readonly HostileKind[];
}

/** `count` hostile cases, kinds dealt round-robin, named `hostile-0` ... in submission order. */
export function generateHostile(options: GenerateOptions): HostileCase[] {
  const kinds = options.kinds ?? HOSTILE_KINDS;
  const perKind = Math.ceil(options.count / kinds.length);
  const drafts = kinds.map((kind, k) =>
    fc.sample(ARBITRARIES[kind], { seed: options.seed + 7919 * k, numRuns: perKind }),
  );
  return range(options.count).map((n) => {
    const k = n % kinds.length;
    const kind = kinds[k] as HostileKind;
    const d = drafts[k]?.[Math.floor(n / kinds.length)] as Draft;
    const id = `hostile-${n}`;
    const metadata: Json = {
      name: id,
      namespace: options.namespace,
      labels: { 'flotilla.io/hostile-kind': kind },
      ...d.metadata?.(id),
    };
    const body = JSON.stringify({ apiVersion: 'flotilla.io/v1alpha1', kind: 'Workflow', metadata, spec: d.spec });
    return {
      id,
      kind,
      variant: d.variant,
      intent: d.intent,
      name: String(metadata['name']),
      body,
      bytes: Buffer.byteLength(body),
      verdict: judge(body, options.namespace),
    };
  });
}

/** `kind: refused r · failed f · succeeded s` lines, for a report's notes. */
export function countByKind(cases: readonly Pick<HostileCase, 'kind'>[], outcomeOf: (i: number) => string): string[] {
  const table = new Map<string, Map<string, number>>();
  cases.forEach((c, i) => {
    const row = table.get(c.kind) ?? new Map<string, number>();
    const outcome = outcomeOf(i);
    row.set(outcome, (row.get(outcome) ?? 0) + 1);
    table.set(c.kind, row);
  });
  return [...table].map(
    ([kind, row]) =>
      `${kind}: ${[...row]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([o, n]) => `${o} ${n}`)
        .join(' · ')}`,
  );
}
