#!lua flags=no-writes
-- The console's summary of one topic, from index sizes and the head of two
-- indexes: it never reads finished tasks. ARGV: every status. Reply: {counts
-- as [status, n, ...] (ZCARD of u:s:<status>), running tasks whose lease ended
-- (lease_expires_at <= now), oldest starting created_at or ''}.
local now = now_ms()
local counts = {}
for i = 1, #ARGV do
  counts[#counts + 1] = ARGV[i]
  counts[#counts + 1] = redis.call('ZCARD', P .. 'u:s:' .. ARGV[i])
end
local oldest = redis.call('ZRANGE', P .. 'z:starting', 0, 0, 'WITHSCORES')
return {
  counts,
  redis.call('ZLEXCOUNT', P .. 'l:running', '-', '(' .. string.format('%015d', now + 1)),
  oldest[2] or '',
}
