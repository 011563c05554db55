/**
 * Delayed wake-ups of one shard, kept apart from BullMQ's delayed jobs: a sorted set in Redis
 * (member = workflow key, score = wake-up time in ms since the epoch), under the shard's hash tag.
 *
 * Why not a delayed BullMQ job: with one job per key (deduplication id = key), a delayed job would
 * hold back an immediate enqueue of the same key (it is deduplicated against the delayed job), and
 * the `keepLastIfActive` slot keeps the *last* options, so a later, longer delay would postpone an
 * earlier one. Here `ZADD ... LT` keeps the earliest wake-up atomically, and the immediate path
 * never sees the wake-ups at all.
 *
 * Due members are *claimed* (taken out of the set, atomically) and only then enqueued by
 * `ShardQueue`. The other order (enqueue, then remove the member if its score did not move) lost
 * wake-ups (issue 9): the round the enqueue triggers can ask for the key's next, later wake-up
 * before the removal runs; `LT` leaves the due score in place, so the removal then deleted the new
 * request with it, and the workflow waited forever. Claimed first, a request made at any time after
 * the claim is kept; one refused by `LT` because an earlier one was still there is made again by the
 * round the earlier one triggers (it starts after the claim). A claimed member whose enqueue fails
 * is kept in memory and retried; a crash between claim and enqueue loses it, but then the shard's
 * next owner re-lists its informers and enqueues every workflow (and a Redis that comes back fires
 * `onRedisReconnect`, which does the same).
 */
import type { RedisClient } from '../../redis/index.js';

/**
 * Takes the members due at a time out of the set, earliest first.
 * KEYS[1] wake-ups sorted set; ARGV[1] time (ms); ARGV[2] most members to take.
 * Returns a flat list: member, score, member, score, ...
 */
const CLAIM_DUE = `
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'WITHSCORES', 'LIMIT', 0, tonumber(ARGV[2]))
for i = 1, #due, 2 do
  redis.call('ZREM', KEYS[1], due[i])
end
return due
`;

export class Wakeups {
  constructor(
    private readonly client: RedisClient,
    readonly key: string,
  ) {}

  /** Schedules `member` at `atMs` unless an earlier wake-up is already set (keeps the earliest). */
  async add(member: string, atMs: number): Promise<void> {
    await this.client.zadd(this.key, 'LT', Math.floor(atMs), member);
  }

  /**
   * Takes the members due at `nowMs` (at most `limit`, earliest first) out of the set in one atomic
   * step: the caller now owns them and must enqueue them (or keep them for retry). A wake-up added
   * after this call is a new member, whatever its time.
   */
  async claimDue(nowMs: number, limit = 500): Promise<Array<{ member: string; atMs: number }>> {
    const flat = await this.client.eval(CLAIM_DUE, 1, this.key, Math.floor(nowMs), limit);
    if (!Array.isArray(flat)) return [];
    const out: Array<{ member: string; atMs: number }> = [];
    for (let i = 0; i + 1 < flat.length; i += 2) out.push({ member: String(flat[i]), atMs: Number(flat[i + 1]) });
    return out;
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
