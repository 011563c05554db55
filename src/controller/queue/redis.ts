/**
 * Redis connection options from a `redis://` / `rediss://` URL (one server only), for the benchmarks
 * that build their own BullMQ clients. The fleet itself connects through src/redis (one server,
 * Cluster or Sentinel; TLS and auth).
 */
import type { RedisOptions } from 'ioredis';
import { QueueError } from './errors.js';

export function redisOptionsFromUrl(url: string): RedisOptions {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (cause) {
    throw new QueueError('Redis', `invalid Redis URL`, { cause });
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    throw new QueueError('Redis', `unsupported Redis URL scheme ${parsed.protocol}`);
  }
  const options: RedisOptions = {
    host: parsed.hostname || '127.0.0.1',
    port: parsed.port ? Number(parsed.port) : 6379,
  };
  if (parsed.username) options.username = decodeURIComponent(parsed.username);
  if (parsed.password) options.password = decodeURIComponent(parsed.password);
  const db = parsed.pathname.replace(/^\//, '');
  if (db) options.db = Number(db);
  if (parsed.protocol === 'rediss:') options.tls = {};
  return options;
}
