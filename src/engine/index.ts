/** The execution engine: the pure round, its driver, and the local runner behind `flotilla run`. */
export { executeRound, ON_FAILURE_PATH } from './workflow-executor.js';
export {
  EngineDriver,
  type ChildWorkflowGateway,
  type DriverOptions,
  type DriverRoundResult,
  type StartedTask,
} from './driver.js';
export { MemoryOutputStore, type OutputStore } from './outputs.js';
export {
  taskKey,
  type ChildObservation,
  type ChildWorkflowManifest,
  type EngineAction,
  type EngineOptions,
  type Observations,
  type RoundInput,
  type RoundResult,
} from './types.js';
export {
  EngineError,
  DriverError,
  PluginError,
  type EngineErrorCode,
  type DriverErrorCode,
  type PluginErrorCode,
} from './errors.js';
export { outputRefFor } from './context.js';
