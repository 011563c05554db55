/**
 * PromQL read with Prometheus's own grammar (`@prometheus-io/lezer-promql`, the parser of the
 * Prometheus UI): the metric names an expression selects, and its syntax errors. Grafana's
 * variables (`$__rate_interval`, `$var`, `${var}`) are replaced by plain values first.
 */
import { parser } from '@prometheus-io/lezer-promql';

export interface ParsedPromQL {
  /** Metric names of the vector selectors, in order of appearance (duplicates removed). */
  readonly metrics: string[];
  /** Positions and text around each syntax error; empty when the expression parses. */
  readonly errors: string[];
}

export function parsePromQL(expression: string): ParsedPromQL {
  const expr = expression
    .replace(/\$__(rate_)?interval|\$\{__(rate_)?interval\}/g, '5m')
    .replace(/\$\{(\w+)\}|\$(\w+)/g, 'grafana_var');
  const tree = parser.parse(expr);
  const metrics: string[] = [];
  const errors: string[] = [];
  const cursor = tree.cursor();
  do {
    if (cursor.type.isError)
      errors.push(`at ${cursor.from}: ${JSON.stringify(expr.slice(Math.max(0, cursor.from - 20), cursor.from + 20))}`);
    if (cursor.name === 'Identifier' && cursor.node.parent?.name === 'VectorSelector') {
      const name = expr.slice(cursor.from, cursor.to);
      if (!metrics.includes(name)) metrics.push(name);
    }
  } while (cursor.next());
  return { metrics, errors };
}

/** A histogram's series (`_bucket`, `_sum`, `_count`) belong to the histogram's name. */
export function baseMetricName(series: string, known: ReadonlySet<string>): string {
  if (known.has(series)) return series;
  const base = series.replace(/_(bucket|sum|count)$/, '');
  return known.has(base) ? base : series;
}
