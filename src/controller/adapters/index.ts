/** Production adapters of the engine's and plugins' I/O interfaces over the Kubernetes API. */
export { KubePodGateway, type KubePodGatewayOptions } from './pod-gateway.js';
export {
  ConfigMapOutputStore,
  outputConfigMapName,
  OUTPUT_KEY,
  OUTPUT_REF_ANNOTATION,
  type ConfigMapOutputStoreOptions,
} from './output-store.js';
export { BlobOutputStore, outputObjectUri, type BlobOutputStoreOptions } from './blob-output-store.js';
export { KubeChildWorkflowGateway, type KubeChildWorkflowGatewayOptions } from './child-gateway.js';
export { AdapterError, type AdapterErrorCode } from './errors.js';
