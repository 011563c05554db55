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
 * Takes the members due at a time out of the set, earliest first, and reads the earliest left.
 * KEYS[1] wake-ups sorted set; ARGV[1] time (ms); ARGV[2] most members to take.
 * Returns { flat list member, score, member, score, ...; {member, score} of the earliest left or {} }.
 * One ZREM for all the due members: a tick costs three commands inside, however many are due.
 */
const CLAIM_DUE = `
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'WITHSCORES', 'LIMIT', 0, tonumber(ARGV[2]))
if #due > 0 then
  local members = {}
  for i = 1, #due, 2 do
    members[#members + 1] = due[i]
  end
  redis.call('ZREM', KEYS[1], unpack(members))
end
return { due, redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES') }
`;

/** What a claim took, and the earliest wake-up it left in the set. */
export interface Claim {
  claimed: Array<{ member: string; atMs: number }>;
  /** The earliest wake-up still scheduled after the claim, if any. */
  nextAtMs: number | undefined;
}

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
   * after this call is a new member, whatever its time. Also answers the earliest wake-up left.
   */
  async claimDue(nowMs: number, limit = 500): Promise<Claim> {
    const reply = await this.client.eval(CLAIM_DUE, 1, this.key, Math.floor(nowMs), limit);
    const [flat, first] = Array.isArray(reply) ? reply : [];
    const claimed: Claim['claimed'] = [];
    if (Array.isArray(flat))
      for (let i = 0; i + 1 < flat.length; i += 2) claimed.push({ member: String(flat[i]), atMs: Number(flat[i + 1]) });
    const nextAtMs = Array.isArray(first) && first.length >= 2 ? Number(first[1]) : undefined;
    return { claimed, nextAtMs };
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
}
