/** What a simulated kubelet is told when it starts. */
import type { Logger } from 'pino';

export interface KubeletOptions {
  /** A kubeconfig (YAML text) for the API server the kubelet talks to. */
  kubeconfig: string;
  /** The node the simulated Pods are scheduled on. @defaultValue 'sandbox-node' */
  nodeName?: string;
  /** Timings used when a Pod carries no annotation. */
  defaults?: {
    /** How long a Pod stays Pending (ContainerCreating) before it runs. @defaultValue 100 */
    pendingMs?: number;
    /** How long a Pod runs when it has no `flotilla.io/sim-duration`. @defaultValue 1000 */
    runMs?: number;
  };
  /** Status writes and deletes in flight at once. @defaultValue 16 */
  concurrency?: number;
  /** Restart the Pod watch when it has been silent this long. @defaultValue 120000 (the informer's watchdog) */
  idleRestartMs?: number;
  /**
   * The blob store Flyte task Pods read and write (`file:///abs/dir` or `s3://bucket[/prefix]`; for
   * s3 the endpoint and credentials come from the AWS environment: `AWS_ENDPOINT_URL_S3`,
   * `AWS_ACCESS_KEY_ID`...). The pyflyte-execute stand-in needs it; without it a Flyte Pod exits 1.
   * @defaultValue undefined
   */
  blobStoreUrl?: string;
  /** Where to log. @defaultValue a pino logger on stderr at FLOTILLA_LOG_LEVEL (default warn) */
  logger?: Logger;
}
