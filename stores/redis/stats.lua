#!lua flags=no-writes
-- The console's summary of one topic, from counters and the head of two zsets:
-- it never reads finished tasks. Reply: {counts as HGETALL, running tasks
-- whose lease ended (lease_expires_at <= now), oldest starting created_at or ''}.
local now = now_ms()
local oldest = redis.call('ZRANGE', P .. 'z:starting', 0, 0, 'WITHSCORES')
return {
  redis.call('HGETALL', P .. 'counts'),
  redis.call('ZCOUNT', P .. 'z:running', '-inf', num(now)),
  oldest[2] or '',
}
