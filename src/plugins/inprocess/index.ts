/** The in-process plugins: `echo`, `sleep`, `flaky`. */
import type { TaskPlugin } from '../../engine/plugins.js';
import { createEchoPlugin } from './echo.js';
import { createFlakyPlugin } from './flaky.js';
import { createSleepPlugin, type SleepPluginOptions } from './sleep.js';

export { createEchoPlugin, createFlakyPlugin, createSleepPlugin, type SleepPluginOptions };

export function inProcessPlugins(options: SleepPluginOptions = {}): TaskPlugin[] {
  return [createEchoPlugin(), createSleepPlugin(options), createFlakyPlugin()];
}
