/**
 * Workflow validation: everything the CRD's structural schema cannot say.
 *
 * `validateWorkflow` checks a whole `Workflow` object (apiVersion, kind, metadata, spec);
 * `validateWorkflowSpec` checks a spec alone. Both report **every** issue found, never only the
 * first, and never throw, whatever the input (wrong types, cycles in the object graph, huge
 * strings, deep nesting): hostile input always yields a result.
 */
import type { WorkflowSpec } from '../schema.js';
import type { ValidationIssue } from './issues.js';

export type { ValidationCode, ValidationIssue } from './issues.js';

/** The Workflow resource as validated. (Switches to `src/api/workflow.ts` once it exists.) */
export interface Workflow {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string>; [key: string]: unknown };
  spec: WorkflowSpec;
  status?: unknown;
}

/** Limits and switches of the validator. */
export interface ValidationOptions {
  /** Most nodes in a spec, counting nested nodes (branch cases, array items, sub-workflows, onFailure). @defaultValue 1000 */
  readonly maxNodes?: number;
}

export type ValidationResult = { ok: true; workflow: Workflow } | { ok: false; issues: ValidationIssue[] };

export function validateWorkflow(input: unknown, options?: ValidationOptions): ValidationResult {
  const issues = validateWorkflowSpec((input as { spec?: unknown } | null)?.spec, options);
  return issues.length === 0 ? { ok: true, workflow: input as Workflow } : { ok: false, issues };
}

export function validateWorkflowSpec(_spec: unknown, _options?: ValidationOptions): ValidationIssue[] {
  return [];
}
