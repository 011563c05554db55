/** Every production `flotilla` subcommand, in the order `--help` lists them (after the sandbox's, in a checkout). */
import type { Command } from 'commander';
import { register as registerSubmit } from './submit.js';
import { register as registerGet } from './get.js';
import { register as registerWatch } from './watch.js';
import { register as registerLogs } from './logs.js';
import { register as registerAbort } from './abort.js';
import { register as registerEventSink } from './event-sink.js';
import { register as registerExampleAgent } from './example-agent.js';
import { register as registerSignal } from './signal.js';
import { register as registerRun } from './run.js';
import { register as registerWebhook } from './webhook.js';
import { register as registerInitCerts } from './init-certs.js';
import { register as registerController } from './controller.js';
import { register as registerManager } from './manager.js';
import { register as registerConsole } from './console.js';

export function registerCommands(program: Command): void {
  registerSubmit(program);
  registerGet(program);
  registerWatch(program);
  registerLogs(program);
  registerAbort(program);
  registerEventSink(program);
  registerExampleAgent(program);
  registerSignal(program);
  registerRun(program);
  registerWebhook(program);
  registerInitCerts(program);
  registerController(program);
  registerManager(program);
  registerConsole(program);
}
