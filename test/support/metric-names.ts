/**
 * The metric names `docs/monitoring.md` lists (the first backticked cell of each table row, by
 * `## ` section) and the names a `/metrics` text exports (its `# TYPE` lines), for the tests that
 * hold the page, the code, the dashboard and the alerts to one list.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const DOC = fileURLToPath(new URL('../../docs/monitoring.md', import.meta.url));

export interface DocumentedMetrics {
  /** `## Controller and manager metrics` */
  readonly controller: ReadonlySet<string>;
  /** `## Event sink metrics` */
  readonly eventSink: ReadonlySet<string>;
  /** `## Webhook metrics` */
  readonly webhook: ReadonlySet<string>;
  readonly all: ReadonlySet<string>;
}

export function documentedMetrics(text = readFileSync(DOC, 'utf8')): DocumentedMetrics {
  const sections = new Map<string, Set<string>>();
  let current: Set<string> | undefined;
  for (const line of text.split('\n')) {
    const heading = /^## (.+)$/.exec(line);
    if (heading) {
      current = new Set();
      sections.set(heading[1] ?? '', current);
      continue;
    }
    const row = /^\| `([a-zA-Z_:][a-zA-Z0-9_:]*)` \|/.exec(line);
    if (row && current) current.add(row[1] ?? '');
  }
  const section = (name: string): Set<string> => {
    const found = sections.get(name);
    if (!found || found.size === 0) throw new Error(`docs/monitoring.md has no metrics under "## ${name}"`);
    return found;
  };
  const controller = section('Controller and manager metrics');
  const eventSink = section('Event sink metrics');
  const webhook = section('Webhook metrics');
  return { controller, eventSink, webhook, all: new Set([...controller, ...eventSink, ...webhook]) };
}

/** Metric names declared in a Prometheus text exposition (`# TYPE <name> <type>`). */
export function exportedNames(text: string): Set<string> {
  const names = new Set<string>();
  for (const line of text.split('\n')) {
    const match = /^# TYPE (\S+) \S+$/.exec(line);
    if (match) names.add(match[1] ?? '');
  }
  return names;
}

/** Names of our own and of the conventions we follow (not prom-client's process defaults). */
export const OWN_NAMES = /^(flotilla_|workqueue_|rest_client_|leader_election_)/;
