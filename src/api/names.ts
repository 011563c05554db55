/**
 * Deterministic Kubernetes names and label values derived from workflow, node path and attempt.
 * The engine (child Workflows), the pod plugin (Pods, labels) and the controller (label
 * selectors) must derive the same ones, so they are part of the API. (Checks of names a user
 * writes are in validation/names.ts.)
 */
import { xxHash32 } from 'js-xxhash';

export function shortHash(text: string): string {
  return xxHash32(text, 0).toString(16).padStart(8, '0');
}

/** Lower-cases and replaces anything outside `[a-z0-9-]` with `-`, trimming dashes at the ends. */
export function toDnsLabel(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/-+/g, '-')
    .replace(/^-+|-+$/g, '');
}

/**
 * A DNS label (≤ 63 chars) from `parts` joined by `-`. When the sanitised form is too long, or
 * sanitising changed it (so two inputs could collide), it is cut and suffixed with a hash of the
 * raw parts.
 */
export function dnsLabelName(parts: readonly string[], max = 63): string {
  const raw = parts.join('-');
  const clean = toDnsLabel(raw);
  if (clean.length <= max && clean === raw && clean !== '') return clean;
  const hash = shortHash(raw);
  const head = clean.slice(0, max - hash.length - 1).replace(/-+$/g, '');
  return head === '' ? `x${hash}` : `${head}-${hash}`;
}

/** A label value: ≤ 63 chars of `[A-Za-z0-9._-]`, starting and ending alphanumeric (hashed when cut). */
export function labelValue(text: string): string {
  const clean = text.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, '');
  if (clean.length <= 63 && clean === text) return clean;
  const hash = shortHash(text);
  const head = clean.slice(0, 63 - hash.length - 1).replace(/[^A-Za-z0-9]+$/g, '');
  return head === '' ? hash : `${head}_${hash}`;
}

/** The launched child Workflow's name: `<parent>-<hash of node path>`, ≤ 63 chars. */
export function childWorkflowName(parent: string, nodePath: string): string {
  const hash = shortHash(nodePath);
  const head = parent.slice(0, 63 - hash.length - 1).replace(/[-.]+$/g, '');
  return `${head}-${hash}`;
}

/** The Pod of one task attempt: `<workflow>-<node>-<attempt>`, a DNS label (hashed when too long). */
export function podName(workflow: string, nodePath: string, attempt: number): string {
  return dnsLabelName([workflow, nodePath.replace(/\//g, '-'), String(attempt)]);
}
