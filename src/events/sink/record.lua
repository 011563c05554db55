-- record.lua: records one execution event atomically with its de-duplication and terminal checks.
--
-- Every key lives in the event's partition (one Redis Cluster hash slot: the keys share the
-- partition's hash tag, and the event's workflow decides its partition), so the script runs on
-- Redis Cluster as on one server.
--
-- KEYS[1] dedup key of the event id (a string holding the event's cursor; TTL ARGV[3])
-- KEYS[2] terminal marker of the event's entity: workflow, node or task attempt (TTL ARGV[3])
-- KEYS[3] the workflow's stream (ordered per workflow, for List)
-- KEYS[4] the partition's stream (for Watch; trimmed to about ARGV[4] entries)
-- KEYS[5] the partition's counter of dropped late events
-- ARGV[1] the event as JSON; ARGV[2] '1' when the event's phase is terminal
-- ARGV[3] TTL in seconds of KEYS[1] and KEYS[2]; ARGV[4] approximate max length of KEYS[4]
--
-- Returns {outcome, cursor}: {'duplicate', first cursor} when the id is known; {'dropped', ''}
-- when the entity is already terminal; else {'stored', cursor}. One cursor names the event in
-- both streams: the partition stream assigns it, and the workflow stream reuses it (always larger
-- than the workflow stream's last id, because that one came from the same partition stream).
local prior = redis.call('GET', KEYS[1])
if prior then
  return {'duplicate', prior}
end
if redis.call('EXISTS', KEYS[2]) == 1 then
  redis.call('INCR', KEYS[5])
  return {'dropped', ''}
end
local cursor = redis.call('XADD', KEYS[4], 'MAXLEN', '~', ARGV[4], '*', 'e', ARGV[1])
redis.call('XADD', KEYS[3], cursor, 'e', ARGV[1])
redis.call('SET', KEYS[1], cursor, 'EX', ARGV[3])
if ARGV[2] == '1' then
  redis.call('SET', KEYS[2], cursor, 'EX', ARGV[3])
end
return {'stored', cursor}
