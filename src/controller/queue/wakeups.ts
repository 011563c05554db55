/**
 * Delayed wake-ups of one shard, kept apart from BullMQ's delayed jobs: a sorted set in Redis
 * (member = workflow key, score = wake-up time in ms since the epoch), under the shard's hash tag.
 *
 * Why not a delayed BullMQ job: with one job per key (deduplication id = key), a delayed job would
 * hold back an immediate enqueue of the same key (it is deduplicated against the delayed job), and
 * the `keepLastIfActive` slot keeps the *last* options, so a later, longer delay would postpone an
 * earlier one. Here `ZADD ... LT` keeps the earliest wake-up atomically, and the immediate path
 * never sees the wake-ups at all. Due members are moved by `ShardQueue` into an immediate enqueue
 * and only then removed (if their score did not move meanwhile), so a crash in between repeats a
 * wake-up (harmless: rounds are level-based) instead of losing it.
 */
import type { Redis } from 'ioredis';

/**
 * Removes a member only if its score is still at or before the given time.
 * KEYS[1] wake-ups sorted set; ARGV[1] member; ARGV[2] time (ms). Returns 1 if removed, else 0.
 */
const REMOVE_IF_DUE = `
local s = redis.call('ZSCORE', KEYS[1], ARGV[1])
if s and tonumber(s) <= tonumber(ARGV[2]) then
  return redis.call('ZREM', KEYS[1], ARGV[1])
end
return 0
`;

export class Wakeups {
  constructor(
    private readonly client: Redis,
    readonly key: string,
  ) {}

  /** Schedules `member` at `atMs` unless an earlier wake-up is already set (keeps the earliest). */
  async add(member: string, atMs: number): Promise<void> {
    await this.client.zadd(this.key, 'LT', Math.floor(atMs), member);
  }

  /** Members due at `nowMs`, earliest first. */
  async due(nowMs: number, limit = 500): Promise<Array<{ member: string; atMs: number }>> {
    const flat = await this.client.zrangebyscore(this.key, '-inf', nowMs, 'WITHSCORES', 'LIMIT', 0, limit);
    const out: Array<{ member: string; atMs: number }> = [];
    for (let i = 0; i + 1 < flat.length; i += 2) out.push({ member: flat[i] as string, atMs: Number(flat[i + 1]) });
    return out;
  }

  /** Removes `member` if its wake-up is still at or before `atMs` (it was not moved later). */
  async removeIfDue(member: string, atMs: number): Promise<boolean> {
    const removed = await this.client.eval(REMOVE_IF_DUE, 1, this.key, member, Math.floor(atMs));
    return removed === 1;
  }

  /** The earliest scheduled wake-up time, if any. */
  async earliest(): Promise<number | undefined> {
    const first = await this.client.zrange(this.key, 0, 0, 'WITHSCORES');
    return first.length >= 2 ? Number(first[1]) : undefined;
  }

  /** The wake-up time of `member`, if scheduled. */
  async get(member: string): Promise<number | undefined> {
    const score = await this.client.zscore(this.key, member);
    return score === null ? undefined : Number(score);
  }

  async count(): Promise<number> {
    return this.client.zcard(this.key);
  }
}
