/** The `pod` task plugin family. */
export { buildPod, podNameFor, INPUTS_ENV, OUTPUTS_URI_ENV, CONTAINER_NAME, INTERRUPTIBLE_LABEL } from './build.js';
export { classifyPod, parseOutputs, type ClassifyOptions } from './classify.js';
export type { PodGateway, PodRefusal } from './gateway.js';
export { MemoryPodGateway, SimAnnotations, type MemoryPodGatewayOptions } from './memory-gateway.js';
export { createPodPlugin, type PodPluginOptions } from './plugin.js';
export { outputsUriFor, readOutputsFile } from './outputs-file.js';
export {
  applyPodPlatform,
  type InterruptibleScheduling,
  type PodPlatformInput,
  type PodPlatformOptions,
  type PodPlatformResult,
  type PodTemplateLookup,
} from './platform.js';
export { mergePodTemplate, mergeValues } from './template-merge.js';
