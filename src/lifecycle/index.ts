/** Start and stop: the `Component` interface, the stage order and the runner. Imports nothing else from src. */
export { STAGES, component, type Component, type ComponentSpec, type Stage, type StopOptions } from './component.js';
export { Lifecycle, type LifecycleOptions } from './lifecycle.js';
export { steadyNow } from './steady-clock.js';
export { LifecycleError, type LifecycleErrorCode } from './errors.js';
