#!lua flags=no-writes
-- A topic's rates (rates() in store.py): the buckets of one width in the
-- window at the server's clock, oldest first. ARGV: width ms, buckets in the
-- window. Reply: {now, {start, created, terminated, failed, snoozed, ...}}
-- for the buckets that exist (a missing hash: nothing happened, or expired),
-- all integer replies (exact: times are below 2^53), so the client converts
-- nothing.
local now = now_ms()
local width, count = tonumber(ARGV[1]), tonumber(ARGV[2])
local first = now - now % width - (count - 1) * width
local out = {}
for i = 0, count - 1 do
  local start = first + i * width
  local v = redis.call('HMGET', P .. 'rate:' .. ARGV[1] .. ':' .. num(start),
    'created', 'terminated', 'failed', 'snoozed')
  if v[1] or v[2] or v[3] or v[4] then
    out[#out + 1] = start
    for j = 1, 4 do
      out[#out + 1] = tonumber(v[j] or 0)
    end
  end
end
return {num(now), out}
