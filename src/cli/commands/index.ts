/** Every `flotilla` subcommand, in the order `--help` lists them. */
import type { Command } from 'commander';
import { register as registerSandbox } from './sandbox.js';
import { register as registerEventSink } from './event-sink.js';
import { register as registerExampleAgent } from './example-agent.js';
import { register as registerSignal } from './signal.js';
import { register as registerApiserver } from './apiserver.js';
import { register as registerRun } from './run.js';
import { register as registerWebhook } from './webhook.js';
import { register as registerInitCerts } from './init-certs.js';
import { register as registerController } from './controller.js';
import { register as registerManager } from './manager.js';

export function registerCommands(_program: Command): void {
  // Subcommands register here as they are built (one module per command).
  registerSandbox(_program);
  registerEventSink(_program);
  registerExampleAgent(_program);
  registerSignal(_program);
  registerApiserver(_program);
  registerRun(_program);
  registerWebhook(_program);
  registerInitCerts(_program);
  registerController(_program);
  registerManager(_program);
}
