#!lua flags=no-writes
-- A topic's rates (rates() in store.py): the buckets of one width in the
-- window at the server's clock. ARGV: width ms (60000 or 600000), buckets in
-- the window. The counts live in a hash per 10-minute bucket (common.lua's
-- rate()): the hour is read from the minute fields of the 7 hashes it spans,
-- the day from each hash's totals. Reply: {now, {start, created, terminated,
-- failed, snoozed, ...}} for the buckets with anything in them, integer
-- replies (exact: times are below 2^53), so the client converts nothing.
local now = now_ms()
local width, count = tonumber(ARGV[1]), tonumber(ARGV[2])
local first = now - now % width - (count - 1) * width
local out = {}
local start = first - first % 600000
if width == 600000 then
  while start <= now do
    local v = redis.call('HMGET', P .. 'rate:' .. num(start), 'c', 't', 'f', 's')
    if v[1] or v[2] or v[3] or v[4] then
      out[#out + 1] = start
      for j = 1, 4 do
        out[#out + 1] = tonumber(v[j] or 0)
      end
    end
    start = start + 600000
  end
  return {num(now), out}
end
local KIND = {c = 1, t = 2, f = 3, s = 4}
local found, order = {}, {}
while start <= now do
  local fields = redis.call('HGETALL', P .. 'rate:' .. num(start))
  for i = 1, #fields, 2 do
    local name = fields[i]
    if #name > 1 then -- a minute's field, not the bucket's total
      local at = start + tonumber(string.sub(name, 2)) * 60000
      if at >= first then
        local cell = found[at]
        if not cell then
          cell = {0, 0, 0, 0}
          found[at] = cell
          order[#order + 1] = at
        end
        local k = KIND[string.sub(name, 1, 1)]
        cell[k] = cell[k] + tonumber(fields[i + 1])
      end
    end
  end
  start = start + 600000
end
for _, at in ipairs(order) do
  local cell = found[at]
  out[#out + 1] = at
  out[#out + 1] = cell[1]
  out[#out + 1] = cell[2]
  out[#out + 1] = cell[3]
  out[#out + 1] = cell[4]
end
return {num(now), out}
