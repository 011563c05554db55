import type { KubeletOptions } from './index.js';

/** Placeholder while the controller is written: does nothing yet. */
export class Kubelet {
  constructor(readonly options: KubeletOptions) {}
  async start(): Promise<void> {}
  async stop(): Promise<void> {}
}
