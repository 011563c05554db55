/** A small valid Workflow touching most features, for the validator's tests to break one piece at a time. */
export function validWorkflow(): {
  apiVersion: string;
  kind: string;
  metadata: Record<string, unknown>;
  spec: Record<string, unknown>;
} {
  return {
    apiVersion: 'flotilla.io/v1alpha1',
    kind: 'Workflow',
    metadata: { name: 'nightly-etl', namespace: 'team-a' },
    spec: {
      inputs: { date: '2026-11-24', parts: [1, 2, 3], n: 5 },
      tasks: {
        extract: { plugin: 'pod', pod: { image: 'etl:1.4' }, outputs: { rows: 'integer' }, timeout: '10m', retries: 2 },
        count: { plugin: 'echo' },
        notify: { plugin: 'agent', agent: { service: 'notifier' } },
        nap: { plugin: 'sleep', config: { duration: '1s' } },
      },
      nodes: [
        { id: 'extract', kind: 'task', task: 'extract', inputs: { date: { fromInput: 'date' } } },
        {
          id: 'per-part',
          kind: 'array',
          array: {
            over: { fromInput: 'parts' },
            parallelism: 2,
            minSuccessRatio: 0.5,
            node: { kind: 'task', task: 'count', inputs: { item: { fromItem: true } } },
          },
        },
        {
          id: 'gate',
          kind: 'gate',
          dependsOn: ['extract'],
          gate: { signal: { name: 'approve', type: 'boolean' }, timeout: '1h' },
        },
        {
          id: 'decide',
          kind: 'branch',
          branch: {
            cases: [
              {
                when: { left: { fromNode: 'gate', output: 'value' }, op: 'eq', right: { value: true } },
                node: {
                  id: 'publish',
                  kind: 'workflow',
                  workflow: { ref: 'publish' },
                  inputs: { rows: { fromNode: 'extract', output: 'rows' } },
                },
              },
            ],
            else: { error: 'not approved' },
          },
        },
      ],
      subWorkflows: {
        publish: {
          inputs: { target: 'prod' },
          nodes: [
            {
              id: 'push',
              kind: 'task',
              task: 'count',
              inputs: { rows: { fromInput: 'rows' }, target: { fromInput: 'target' } },
            },
          ],
          outputs: { pushed: { fromNode: 'push', output: 'rows' } },
        },
      },
      outputs: { rows: { fromNode: 'extract', output: 'rows' }, pushed: { fromNode: 'decide', output: 'pushed' } },
      failurePolicy: 'FailAfterExecutableNodesComplete',
      onFailure: { kind: 'task', task: 'notify' },
      activeDeadline: '2h',
    },
  };
}
