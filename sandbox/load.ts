/**
 * `--workflows K`: K Workflows named `load-<n>`, labelled `flotilla.io/sandbox-load=true`, each a
 * copy of one of the examples' shapes that are designed to succeed without help (expected phase
 * Succeeded, no signals to send), cycling through them; submitted at a steady rate.
 */
import type { NewWorkflow } from '../src/api/workflow.js';
import type { WorkflowClient } from '../src/kube/workflow-client.js';
import { submitWorkflow, type Example } from './examples.js';
import { LOAD_LABEL } from './observe.js';

export const LOAD_NAMESPACE = 'default';

/** The examples a load may copy: they end Succeeded by themselves. */
export function loadShapes(examples: readonly Example[]): Example[] {
  return examples.filter((e) => e.expectedPhase === 'Succeeded' && Object.keys(e.signals).length === 0);
}

/** The n-th load workflow (pure): shape `n mod shapes`, name `load-<n>`. */
export function loadWorkflow(n: number, shapes: readonly Example[]): NewWorkflow {
  const shape = shapes[n % shapes.length];
  if (!shape) throw new Error('no load shape: no example is designed to succeed on its own');
  const source = shape.workflow;
  return {
    ...source,
    metadata: {
      name: `load-${n}`,
      namespace: LOAD_NAMESPACE,
      labels: {
        ...source.metadata.labels,
        [LOAD_LABEL]: 'true',
        'flotilla.io/sandbox-shape': shape.file.replace(/\.yaml$/, ''),
      },
      annotations: { ...source.metadata.annotations },
    },
  };
}

export interface LoadOptions {
  client: WorkflowClient;
  shapes: readonly Example[];
  total: number;
  /** Workflows per second. */
  ratePerSecond: number;
  onError?: (error: unknown) => void;
}

export class LoadGenerator {
  submitted = 0;
  failedSubmits = 0;
  readonly names: string[] = [];
  private done: Promise<void> = Promise.resolve();

  constructor(private readonly options: LoadOptions) {}

  /** Submits in the background until `total` or `signal` aborts. */
  start(signal: AbortSignal): void {
    this.done = this.run(signal);
  }

  private async run(signal: AbortSignal): Promise<void> {
    const start = Date.now();
    const interval = 1000 / Math.max(0.01, this.options.ratePerSecond);
    for (let n = 0; n < this.options.total && !signal.aborted; n++) {
      const due = start + n * interval;
      const wait = due - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      if (signal.aborted) break;
      const workflow = loadWorkflow(n, this.options.shapes);
      for (let attempt = 0; ; attempt++) {
        try {
          await submitWorkflow(this.options.client, workflow);
          this.submitted++;
          this.names.push(workflow.metadata.name);
          break;
        } catch (error) {
          if (attempt >= 4 || signal.aborted) {
            this.failedSubmits++;
            this.options.onError?.(error);
            break;
          }
          await new Promise((r) => setTimeout(r, 250 * (attempt + 1)));
        }
      }
    }
  }

  /** Resolves once the generator has stopped submitting. */
  finished(): Promise<void> {
    return this.done;
  }
}
