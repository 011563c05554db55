/**
 * Where the fleet's Redis is and how to reach it: one server, a Redis Cluster, or a Sentinel group,
 * each with optional TLS and ACL auth. Parsed from one URL plus secrets kept out of it.
 *
 * URL forms (`rediss` instead of `redis` turns TLS on, for the data nodes and the sentinels):
 * - `redis://[user[:password]@]host[:port][/db]` — one server (port 6379, db 0 by default).
 * - `redis+cluster://[user[:password]@]host:port,host:port,...` — Redis Cluster; the hosts are
 *   seed nodes (any reachable master or replica), the rest is discovered. No db (Cluster has one).
 * - `redis+sentinel://[user[:password]@]host:port,host:port,.../<master-name>[/db]` — the
 *   sentinels (port 26379 by default) and the monitored master's name.
 *
 * The password is better given apart from the URL: a file (a mounted Secret) or an environment
 * variable; it overrides the URL's. Nothing here ever puts a password in a log line:
 * {@link describeRedis} is the form to log.
 */
import { readFileSync } from 'node:fs';
import { RedisConfigError } from './errors.js';

export type RedisMode = 'single' | 'cluster' | 'sentinel';

export interface RedisNode {
  readonly host: string;
  readonly port: number;
}

export interface RedisTls {
  /** PEM bundle of the CA(s) that signed the servers' certificates. @defaultValue the system's CAs */
  readonly ca?: string;
  /** Name to check the servers' certificates against. @defaultValue each node's host */
  readonly servername?: string;
}

export interface RedisConfig {
  readonly mode: RedisMode;
  /** The server, the cluster's seed nodes, or the sentinels. */
  readonly nodes: readonly RedisNode[];
  /** Sentinel only: the monitored master's name. */
  readonly masterName?: string;
  /** Database number (single and sentinel). @defaultValue 0 */
  readonly db?: number;
  /** ACL user of the data nodes. @defaultValue none (the `default` user) */
  readonly username?: string;
  /** Password of the data nodes. @defaultValue none */
  readonly password?: string;
  /** Sentinel only: the sentinels' own ACL user. @defaultValue none */
  readonly sentinelUsername?: string;
  /** Sentinel only: the sentinels' own password. @defaultValue none */
  readonly sentinelPassword?: string;
  /** TLS towards every node (set by `rediss…` URLs). @defaultValue none (plain TCP) */
  readonly tls?: RedisTls;
}

/** Secrets and files that complete a URL. Each is optional. */
export interface RedisSecrets {
  /** File holding the data nodes' password (trailing newline ignored); wins over the others. */
  readonly passwordFile?: string;
  /** The data nodes' password (e.g. from `FLOTILLA_REDIS_PASSWORD`); wins over the URL's. */
  readonly password?: string;
  /** File holding the sentinels' password. */
  readonly sentinelPasswordFile?: string;
  /** The sentinels' password (e.g. from `FLOTILLA_REDIS_SENTINEL_PASSWORD`). */
  readonly sentinelPassword?: string;
  /** PEM file of the CA that signed the servers' certificates (needs a `rediss…` URL). */
  readonly caFile?: string;
}

const URL_FORM = /^(rediss?)(\+cluster|\+sentinel)?:\/\/(?:([^@/]*)@)?([^/?#]+)(\/[^?#]*)?$/;

/** Parses a Redis URL (see the module header) and merges `secrets` into it. */
export function parseRedisConfig(url: string, secrets: RedisSecrets = {}): RedisConfig {
  const match = URL_FORM.exec(url.trim());
  // The message never repeats the URL: it may hold a password.
  if (!match)
    throw new RedisConfigError(
      'InvalidUrl',
      'invalid Redis URL: want redis://HOST:PORT, rediss://HOST:PORT, redis+cluster://H:P,H:P or redis+sentinel://H:P,H:P/MASTER',
    );
  const [, scheme = 'redis', variant = '', auth, hostList = '', path = ''] = match;
  const mode: RedisMode = variant === '+cluster' ? 'cluster' : variant === '+sentinel' ? 'sentinel' : 'single';
  const defaultPort = mode === 'sentinel' ? 26379 : 6379;
  const nodes = hostList.split(',').map((part) => parseNode(part, defaultPort));
  if (mode === 'single' && nodes.length !== 1)
    throw new RedisConfigError(
      'InvalidUrl',
      'a redis:// URL names one server (use redis+cluster:// or redis+sentinel:// for several)',
    );
  const segments = path.split('/').filter((s) => s !== '');
  let masterName: string | undefined;
  let dbText: string | undefined;
  if (mode === 'sentinel') {
    masterName = segments[0] === undefined ? undefined : decodeURIComponent(segments[0]);
    if (!masterName) throw new RedisConfigError('InvalidUrl', 'a redis+sentinel:// URL ends with /<master-name>');
    dbText = segments[1];
  } else if (mode === 'cluster') {
    if (segments.length > 0)
      throw new RedisConfigError('InvalidUrl', 'a redis+cluster:// URL has no path (Redis Cluster has one database)');
  } else {
    dbText = segments[0];
  }
  if (segments.length > (mode === 'sentinel' ? 2 : 1))
    throw new RedisConfigError('InvalidUrl', 'too many path segments in the Redis URL');
  let db: number | undefined;
  if (dbText !== undefined) {
    db = Number(dbText);
    if (!Number.isInteger(db) || db < 0)
      throw new RedisConfigError('InvalidUrl', 'the Redis database must be a number');
  }
  let username: string | undefined;
  let password: string | undefined;
  if (auth) {
    const colon = auth.indexOf(':');
    username = decodeURIComponent(colon < 0 ? auth : auth.slice(0, colon)) || undefined;
    password = colon < 0 ? undefined : decodeURIComponent(auth.slice(colon + 1)) || undefined;
  }
  password = readSecret(secrets.passwordFile, 'password file') ?? secrets.password ?? password;
  const sentinelPassword =
    readSecret(secrets.sentinelPasswordFile, 'sentinel password file') ?? secrets.sentinelPassword;
  const ca = readSecret(secrets.caFile, 'CA file', false);
  if (ca !== undefined && scheme !== 'rediss')
    throw new RedisConfigError('InvalidUrl', 'a CA file needs a rediss:// URL (TLS)');
  return {
    mode,
    nodes,
    ...(masterName !== undefined ? { masterName } : {}),
    ...(db !== undefined ? { db } : {}),
    ...(username !== undefined ? { username } : {}),
    ...(password !== undefined ? { password } : {}),
    ...(sentinelPassword !== undefined ? { sentinelPassword } : {}),
    ...(scheme === 'rediss' ? { tls: ca !== undefined ? { ca } : {} } : {}),
  };
}

/** Whether `url` looks like one of the accepted Redis URL forms (no secrets read). */
export function isRedisUrl(url: string): boolean {
  return URL_FORM.test(url.trim());
}

/** A log-safe description: mode, nodes, master name, TLS and user; never a password. */
export function describeRedis(config: RedisConfig): string {
  const scheme = `${config.tls ? 'rediss' : 'redis'}${config.mode === 'single' ? '' : `+${config.mode}`}`;
  const user = config.username ? `${config.username}@` : '';
  const nodes = config.nodes.map((n) => `${n.host}:${n.port}`).join(',');
  const path =
    config.mode === 'sentinel'
      ? `/${config.masterName ?? ''}${config.db ? `/${config.db}` : ''}`
      : config.db
        ? `/${config.db}`
        : '';
  return `${scheme}://${user}${nodes}${path}${config.password ? ' (password set)' : ''}`;
}

function parseNode(text: string, defaultPort: number): RedisNode {
  const trimmed = text.trim();
  // [v6]:port or host:port or host
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(trimmed);
  const plain = /^([^:[\]]+)(?::(\d+))?$/.exec(trimmed);
  const found = v6 ?? plain;
  if (!found || !found[1]) throw new RedisConfigError('InvalidUrl', 'invalid host in the Redis URL');
  const port = found[2] ? Number(found[2]) : defaultPort;
  if (!Number.isInteger(port) || port <= 0 || port > 65535)
    throw new RedisConfigError('InvalidUrl', 'invalid port in the Redis URL');
  return { host: found[1], port };
}

function readSecret(file: string | undefined, what: string, trim = true): string | undefined {
  if (file === undefined || file === '') return undefined;
  try {
    const text = readFileSync(file, 'utf8');
    return trim ? text.replace(/\r?\n$/, '') : text;
  } catch (cause) {
    throw new RedisConfigError('UnreadableSecret', `cannot read the Redis ${what} ${file}`, { cause });
  }
}
