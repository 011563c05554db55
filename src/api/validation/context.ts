/** What every semantic check shares: the model, the inference, the options and the issue list. */
import type { IssueList } from './issues.js';
import type { Model, NodeRef, Scope } from './model.js';
import type { ResolvedOptions } from './options.js';
import type { Inference } from './outputs.js';
import { quote } from './wording.js';

export interface CheckContext {
  readonly model: Model;
  readonly inference: Inference;
  readonly options: ResolvedOptions;
  readonly issues: IssueList;
  /** Input names `fromInput` may use, per scope. */
  readonly inputNames: Map<Scope, ReadonlySet<string>>;
  /** Dependency edges per scope, filled by the reference checks: `from` waits for `to`. */
  readonly edges: Map<Scope, Edge[]>;
}

export interface Edge {
  readonly from: NodeRef;
  readonly to: NodeRef;
  /** Where the edge is written (`...dependsOn[0]` or `...inputs.rows.fromNode`). */
  readonly path: string;
}

/** `node 'load'`, `the array item node`, `the onFailure node`. */
export function who(node: NodeRef): string {
  if (node.id !== undefined) return `node ${quote(node.id)}`;
  if (node.role === 'item') return 'the array item node';
  if (node.role === 'onFailure') return 'the onFailure node';
  return 'this node';
}
