/**
 * The Redis flags shared by `flotilla controller` and `flotilla event-sink`: the URL (any form of
 * src/redis/config.ts) and the secrets kept out of it. Each flag has an environment variable, so a
 * chart can set them from a Secret without putting a password on the command line.
 */
import { parseRedisConfig, type RedisConfig } from '../redis/index.js';
import { CliError, ExitCode } from './exit.js';

export interface RedisFlags {
  redis?: string;
  redisPasswordFile?: string;
  redisCaFile?: string;
  redisSentinelPasswordFile?: string;
}

/** Help text of `--redis`. */
export const REDIS_URL_HELP =
  'Redis: redis[s]://[user@]host:port[/db], redis[s]+cluster://host:port,host:port or redis[s]+sentinel://host:port,host:port/<master> (env FLOTILLA_REDIS_URL)';

/** `[flag, help, default]` of the secret flags, for `.option(...)`. */
export const REDIS_SECRET_OPTIONS: ReadonlyArray<readonly [string, string, string | undefined]> = [
  [
    '--redis-password-file <file>',
    'file holding the Redis password, e.g. a mounted Secret (env FLOTILLA_REDIS_PASSWORD_FILE; or the password itself in FLOTILLA_REDIS_PASSWORD)',
    process.env.FLOTILLA_REDIS_PASSWORD_FILE,
  ],
  [
    '--redis-ca-file <file>',
    "PEM CA of the Redis servers' certificates (needs rediss://) (env FLOTILLA_REDIS_CA_FILE)",
    process.env.FLOTILLA_REDIS_CA_FILE,
  ],
  [
    '--redis-sentinel-password-file <file>',
    "file holding the sentinels' password (env FLOTILLA_REDIS_SENTINEL_PASSWORD_FILE, or FLOTILLA_REDIS_SENTINEL_PASSWORD)",
    process.env.FLOTILLA_REDIS_SENTINEL_PASSWORD_FILE,
  ],
];

/** The Redis connection of the flags and environment; a usage error (never echoing secrets) if invalid. */
export function redisConfigFromFlags(
  url: string,
  flags: RedisFlags,
  env: NodeJS.ProcessEnv = process.env,
): RedisConfig {
  try {
    return parseRedisConfig(url, {
      ...(flags.redisPasswordFile ? { passwordFile: flags.redisPasswordFile } : {}),
      ...(env.FLOTILLA_REDIS_PASSWORD ? { password: env.FLOTILLA_REDIS_PASSWORD } : {}),
      ...(flags.redisSentinelPasswordFile ? { sentinelPasswordFile: flags.redisSentinelPasswordFile } : {}),
      ...(env.FLOTILLA_REDIS_SENTINEL_PASSWORD ? { sentinelPassword: env.FLOTILLA_REDIS_SENTINEL_PASSWORD } : {}),
      ...(flags.redisCaFile ? { caFile: flags.redisCaFile } : {}),
    });
  } catch (error) {
    throw new CliError(`--redis: ${error instanceof Error ? error.message : String(error)}`, ExitCode.usage, {
      cause: error,
    });
  }
}
