/** The Workflow object around the spec: apiVersion, kind, metadata.name and namespace, labels and annotations. */
import { WORKFLOW_KIND } from '../schema.js';
import { WORKFLOW_API_VERSION } from '../workflow.js';
import type { IssueList } from './issues.js';
import { dnsLabelProblem, dnsSubdomainProblem } from './names.js';
import { entries, isRecord } from './model.js';
import { describeValue, keyPath, quote } from './wording.js';

export function checkEnvelope(input: Record<string, unknown>, issues: IssueList): void {
  if (input['apiVersion'] !== WORKFLOW_API_VERSION) {
    issues.add(
      'apiVersion',
      'BadApiVersion',
      `apiVersion must be ${quote(WORKFLOW_API_VERSION)}, got ${describeValue(input['apiVersion'])}`,
    );
  }
  if (input['kind'] !== WORKFLOW_KIND) {
    issues.add('kind', 'BadApiVersion', `kind must be ${quote(WORKFLOW_KIND)}, got ${describeValue(input['kind'])}`);
  }
  const metadata = input['metadata'];
  if (!isRecord(metadata)) {
    issues.add(
      'metadata',
      'SchemaViolation',
      `metadata must be an object with at least a name, got ${describeValue(metadata)}`,
    );
    return;
  }
  const name = metadata['name'];
  if (typeof name !== 'string') {
    issues.add('metadata.name', 'BadName', `metadata.name is required: a DNS subdomain such as 'nightly-etl'`);
  } else {
    const problem = dnsSubdomainProblem(name);
    if (problem !== undefined) {
      issues.add(
        'metadata.name',
        'BadName',
        `the Workflow name ${quote(name)} must be a DNS subdomain (lowercase letters, digits, '-' and '.', at most 253 characters): ${problem}`,
      );
    }
  }
  const namespace = metadata['namespace'];
  if (namespace !== undefined) {
    const problem = typeof namespace === 'string' ? dnsLabelProblem(namespace) : 'it is not a string';
    if (problem !== undefined)
      issues.add('metadata.namespace', 'BadName', `the namespace must be a DNS label: ${problem}`);
  }
  for (const field of ['labels', 'annotations'] as const) {
    const map = metadata[field];
    if (map === undefined) continue;
    if (!isRecord(map)) {
      issues.add(
        `metadata.${field}`,
        'SchemaViolation',
        `metadata.${field} must be a map of strings, got ${describeValue(map)}`,
      );
      continue;
    }
    for (const [key, value] of entries(map)) {
      if (typeof value !== 'string')
        issues.add(
          keyPath(`metadata.${field}`, key),
          'SchemaViolation',
          `${field} values must be strings, got ${describeValue(value)}; quote it in YAML`,
        );
    }
  }
}
