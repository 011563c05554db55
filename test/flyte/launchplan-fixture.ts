/** A parent FlyteWorkflow whose node n0 launches the launch plan demo.child_lp (the child: a-container-chain.yaml). */
import type { Obj } from './fixtures.js';

export const NS = 'flytesnacks-development';
export const LP = {
  resourceType: 'LAUNCH_PLAN',
  project: 'flytesnacks',
  domain: 'development',
  name: 'demo.child_lp',
  version: 'v1',
};

export function parentWorkflow(name: string): Obj {
  return {
    apiVersion: 'flyte.lyft.com/v1alpha1',
    kind: 'FlyteWorkflow',
    metadata: {
      name,
      namespace: NS,
      labels: { domain: 'development', project: 'flytesnacks', 'execution-id': name, 'workflow-name': 'demo-parent' },
    },
    spec: {
      id: 'flytesnacks:development:demo.parent',
      nodes: {
        'start-node': { id: 'start-node', kind: 'start', resources: {} },
        n0: {
          id: 'n0',
          name: 'child',
          kind: 'workflow',
          resources: {},
          workflow: { launchPlanRefId: LP },
          inputBindings: [{ var: 'title', binding: { scalar: { primitive: { stringValue: 'From the parent' } } } }],
        },
        'end-node': {
          id: 'end-node',
          kind: 'end',
          resources: {},
          inputBindings: [{ var: 'o0', binding: { promise: { nodeId: 'n0', var: 'o0' } } }],
        },
      },
      edges: {
        downstream: { 'start-node': ['n0'], n0: ['end-node'] },
        upstream: { n0: ['start-node'], 'end-node': ['n0'] },
      },
      outputs: { variables: { o0: { type: { simple: 'STRING' } } } },
      outputBindings: [{ var: 'o0', binding: { promise: { nodeId: 'n0', var: 'o0' } } }],
    },
    inputs: { literals: {} },
    executionId: { project: 'flytesnacks', domain: 'development', name },
    workflowMeta: { eventVersion: 2 },
    tasks: {},
  };
}
