/**
 * Name rules. Node ids become parts of Pod and child-Workflow names, so they are DNS labels;
 * the Workflow's name is a DNS subdomain; task, input, output, sub-workflow and signal names are
 * "keys" (the shape of an annotation key's name part, since a signal name ends up in one).
 */
import type { IssueList } from './issues.js';
import { quote } from './wording.js';

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const KEY = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;

/** The first character of `name` that `allowed` rejects, described. */
function offending(name: string, allowed: RegExp): string {
  for (const ch of name) {
    if (!allowed.test(ch)) {
      const code = ch.codePointAt(0) ?? 0;
      const printable = code >= 0x20 && code < 0x7f;
      return printable
        ? `${quote(ch)} is not allowed`
        : `character U+${code.toString(16).toUpperCase().padStart(4, '0')} is not allowed`;
    }
  }
  return 'it must start and end with a letter or digit';
}

export function dnsLabelProblem(name: string): string | undefined {
  if (name.length === 0) return 'it is empty';
  if (name.length > 63) return `it is ${name.length} characters long; the limit is 63`;
  if (DNS_LABEL.test(name)) return undefined;
  if (/[A-Z]/.test(name) && DNS_LABEL.test(name.toLowerCase())) return `use lowercase (${quote(name.toLowerCase())})`;
  return offending(name, /[a-z0-9-]/);
}

export function dnsSubdomainProblem(name: string): string | undefined {
  if (name.length === 0) return 'it is empty';
  if (name.length > 253) return `it is ${name.length} characters long; the limit is 253`;
  if (DNS_SUBDOMAIN.test(name)) return undefined;
  if (/[A-Z]/.test(name) && DNS_SUBDOMAIN.test(name.toLowerCase()))
    return `use lowercase (${quote(name.toLowerCase())})`;
  return offending(name, /[a-z0-9.-]/);
}

export function keyProblem(name: string): string | undefined {
  if (name.length === 0) return 'it is empty';
  if (name.length > 63) return `it is ${name.length} characters long; the limit is 63`;
  if (KEY.test(name)) return undefined;
  return offending(name, /[-A-Za-z0-9_.]/);
}

/** Adds a `BadName` issue when `name` is not a DNS label. */
export function checkNodeId(name: string, path: string, issues: IssueList): void {
  const problem = dnsLabelProblem(name);
  if (problem !== undefined) {
    issues.add(
      path,
      'BadName',
      `node id ${quote(name)} must be a DNS label (lowercase letters, digits and '-', starting and ending with a letter or digit, at most 63 characters): ${problem}`,
    );
  }
}

/** Adds a `BadName` issue when `name` is not a key (task, input, output, sub-workflow, signal). */
export function checkKey(name: string, what: string, path: string, issues: IssueList): void {
  const problem = keyProblem(name);
  if (problem !== undefined) {
    issues.add(
      path,
      'BadName',
      `${what} name ${quote(name)} must be letters, digits, '-', '_' or '.', starting and ending with a letter or digit, at most 63 characters: ${problem}`,
    );
  }
}
