/**
 * Workflow validation: everything the CRD's structural schema cannot say, and what it can,
 * worded for people.
 *
 * `validateWorkflow` checks a whole `Workflow` object (apiVersion, kind, metadata, spec);
 * `validateWorkflowSpec` checks a spec alone. Both report **every** issue found (up to
 * `maxIssues`), never only the first, and never throw, whatever the input (wrong types, reference
 * cycles, huge strings, deep nesting): hostile input always yields a result. The checks run in
 * this order, each tolerant of what the previous ones found: plain JSON within size and depth
 * limits (if not, stop there), structure against the TypeBox schema, task templates and
 * inputs, nodes (ids, kind blocks, bindings, conditions, types), graph (cycles, recursive
 * sub-workflows, node count, depth).
 */
import type { Workflow } from '../workflow.js';
import { checkGraph } from './graph.js';
import type { CheckContext } from './context.js';
import type { ValidationIssue } from './issues.js';
import { IssueList } from './issues.js';
import { checkEnvelope } from './metadata.js';
import { buildModel, isRecord } from './model.js';
import { checkNodes } from './nodes.js';
import type { ResolvedOptions, ValidationOptions } from './options.js';
import { resolveOptions } from './options.js';
import { Inference } from './outputs.js';
import { checkRawJson } from './raw.js';
import { checkStructure } from './structure.js';
import { checkInputsAndOutputs, checkTasks, inputNamesByScope } from './tasks.js';
import { describeValue } from './wording.js';

export type { ValidationCode, ValidationIssue } from './issues.js';
export type { ValidationOptions } from './options.js';
export { DEFAULT_LIMITS } from './options.js';
export { parseDuration } from '../duration.js';
export type { Workflow } from '../workflow.js';

export type ValidationResult = { ok: true; workflow: Workflow } | { ok: false; issues: ValidationIssue[] };

function checkSpec(spec: unknown, options: ResolvedOptions, issues: IssueList): void {
  const base = 'spec';
  if (!isRecord(spec)) {
    issues.add(base, 'SchemaViolation', `spec must be an object with tasks and nodes, got ${describeValue(spec)}`);
    return;
  }
  if (!checkRawJson(spec, base, { maxDepth: options.maxJsonDepth, maxBytes: options.maxSpecBytes }, issues)) return;
  checkStructure(spec, base, issues);
  const model = buildModel(spec, base);
  const ctx: CheckContext = {
    model,
    inference: new Inference(model),
    options,
    issues,
    inputNames: inputNamesByScope(model),
    edges: new Map(),
  };
  checkTasks(ctx);
  checkInputsAndOutputs(ctx);
  checkNodes(ctx);
  checkGraph(ctx);
}

function guarded(issues: IssueList, path: string, run: () => void): void {
  try {
    run();
  } catch (error) {
    // Only reachable with exotic objects (proxies, throwing getters); a spec parsed from YAML or JSON never gets here.
    issues.add(
      path,
      'NotJson',
      `could not be read as plain JSON (${error instanceof Error ? error.name : typeof error})`,
    );
  }
}

/**
 * Checks a whole Workflow object. On success returns the input itself, typed (no copy, no
 * defaults applied; `metadata.namespace` and `uid` are whatever the input had: a file given to
 * `flotilla run` may lack them); otherwise every issue, paths from the object's root (`metadata.name`,
 * `spec.nodes[3].inputs.rows`). `status` is ignored.
 */
export function validateWorkflow(input: unknown, options?: ValidationOptions): ValidationResult {
  const resolved = resolveOptions(options);
  const issues = new IssueList();
  guarded(issues, '(root)', () => {
    if (!isRecord(input)) {
      issues.add(
        '(root)',
        'SchemaViolation',
        `a Workflow must be an object with apiVersion, kind, metadata and spec, got ${describeValue(input)}`,
      );
      return;
    }
    checkEnvelope(input, issues);
    checkSpec(input['spec'], resolved, issues);
  });
  return issues.size === 0
    ? { ok: true, workflow: input as Workflow }
    : { ok: false, issues: issues.result(resolved.maxIssues) };
}

/** Checks a spec alone; paths start with `spec.`. An empty list means valid. */
export function validateWorkflowSpec(spec: unknown, options?: ValidationOptions): ValidationIssue[] {
  const resolved = resolveOptions(options);
  const issues = new IssueList();
  guarded(issues, 'spec', () => checkSpec(spec, resolved, issues));
  return issues.result(resolved.maxIssues);
}
