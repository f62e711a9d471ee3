#!lua flags=no-writes
-- A topic's rates (rates() in store.py): the buckets of one width in the
-- window at the server's clock. ARGV: width ms (60000 or 600000), buckets in
-- the window. The counts live in a hash per 10-minute bucket, a field per
-- kind and minute (common.lua's rate()): the hour is the minutes of the 7
-- hashes it spans, the day each hash's fields added up. Reply: {now, {start,
-- created, terminated, failed, snoozed, ...}} for the buckets with anything
-- in them, integer replies (exact: times are below 2^53), so the client
-- converts nothing.
local now = now_ms()
local width, count = tonumber(ARGV[1]), tonumber(ARGV[2])
local first = now - now % width - (count - 1) * width
local KIND = {c = 1, t = 2, f = 3, s = 4}
local found, order = {}, {}
local start = first - first % 600000
while start <= now do
  local fields = redis.call('HGETALL', P .. 'rate:' .. num(start))
  for i = 1, #fields, 2 do
    local name = fields[i]
    local at = start + tonumber(string.sub(name, 2)) * 60000
    if at >= first then
      local bucket = at - at % width
      local cell = found[bucket]
      if not cell then
        cell = {0, 0, 0, 0}
        found[bucket] = cell
        order[#order + 1] = bucket
      end
      local k = KIND[string.sub(name, 1, 1)]
      cell[k] = cell[k] + tonumber(fields[i + 1])
    end
  end
  start = start + 600000
end
local out = {}
for _, bucket in ipairs(order) do
  local cell = found[bucket]
  out[#out + 1] = bucket
  out[#out + 1] = cell[1]
  out[#out + 1] = cell[2]
  out[#out + 1] = cell[3]
  out[#out + 1] = cell[4]
end
return {num(now), out}
