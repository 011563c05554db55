/** The task plugins a driver can use, by the `plugin` name task templates give. */
import { PluginError } from './errors.js';
import type { TaskPlugin } from './plugins.js';

export class PluginRegistry {
  private readonly plugins = new Map<string, TaskPlugin>();

  constructor(plugins: readonly TaskPlugin[] = []) {
    for (const plugin of plugins) this.register(plugin);
  }

  /** Adds a plugin; throws `PluginError('DuplicatePlugin')` when the name is taken. */
  register(plugin: TaskPlugin): this {
    if (this.plugins.has(plugin.name))
      throw new PluginError('DuplicatePlugin', `plugin ${plugin.name} is already registered`);
    this.plugins.set(plugin.name, plugin);
    return this;
  }

  get(name: string): TaskPlugin | undefined {
    return this.plugins.get(name);
  }

  names(): string[] {
    return [...this.plugins.keys()].sort();
  }
}
