/** The `agent` task plugin (remote agent services over gRPC). */
export {
  AgentPlugin,
  createAgentPlugin,
  idempotencyKey,
  type AgentEndpoint,
  type AgentPluginOptions,
} from './plugin.js';
export { AgentError, type AgentErrorCode } from './errors.js';
