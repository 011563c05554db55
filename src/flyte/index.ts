/**
 * The Flyte front end: Flyte's `FlyteWorkflow` resource (`flyte.lyft.com/v1alpha1`, Flyte v1.16
 * format), its CRD, validation and shard mapping. Imports only `src/api` and npm packages; the
 * translation into the engine's model builds on these types.
 */
export * from './types.js';
export * from './status.js';
export * from './protobuf.js';
export * from './metadata.js';
export * from './shard.js';
export * from './errors.js';
export {
  validateFlyteWorkflow,
  parseFlyteWorkflow,
  type ValidateFlyteOptions,
  type FlyteValidationResult,
  type FlyteProblem,
  type FlyteProblemCode,
} from './validation/index.js';
export { flyteWorkflowCrd, flyteWorkflowCrdYaml, FLYTE_CRD_FILE, FLYTE_PRINTER_COLUMNS } from './crd.js';
