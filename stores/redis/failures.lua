#!lua flags=no-writes
-- failure_groups: the newest ARGV[1] failed tasks of the topic (the head of
-- its u:s:failed index, read newest first), grouped by their error key
-- (stores/failures.py's error_key: the text before the first line feed; for a
-- Python traceback, its last line once blanks at the end are taken off).
-- Reply: {scanned, the topic's failed count (ZCARD), one JSON text: an array
-- of [error_key, count, first_seen, last_seen, sample id] in the order the
-- groups were first met; the newest task of a group is its sample}.
local TRACEBACK = 'Traceback (most recent call last):'

local function error_key(e)
  local first = string.match(e, '^[^\n]*')
  if string.sub(first, 1, #TRACEBACK) ~= TRACEBACK then
    return first
  end
  local i = #e
  while i > 0 do -- the blanks at the end (a pattern anchored at the end would be quadratic)
    local c = string.byte(e, i)
    if c ~= 32 and c ~= 9 and c ~= 13 and c ~= 10 then break end
    i = i - 1
  end
  local trimmed = string.sub(e, 1, i)
  return string.match(trimmed, '.*\n(.*)') or trimmed -- greedy: up to the last line feed
end

local limit = tonumber(ARGV[1])
local members = redis.call('ZREVRANGEBYLEX', P .. 'u:s:failed', '+', '-', 'LIMIT', 0, limit)
local groups, order = {}, {}
for _, member in ipairs(members) do
  local updated = tonumber(string.sub(member, 1, 15))
  local id = string.sub(member, 17)
  local m = decode(redis.call('HGET', P .. 'meta', id))
  if m then
    local key = error_key(m.error or '')
    local g = groups[key]
    if not g then
      g = {key = key, n = 0, first = updated, last = updated, sample = id}
      groups[key] = g
      order[#order + 1] = g
    end
    g.n = g.n + 1
    g.first = updated -- newest first: the last one met is the oldest
  end
end
local out = {}
for i, g in ipairs(order) do
  out[i] = '[' .. jstr(g.key) .. ',' .. num(g.n) .. ',' .. num(g.first) .. ',' .. num(g.last) .. ','
    .. jstr(g.sample) .. ']'
end
return {#members, redis.call('ZCARD', P .. 'u:s:failed'), '[' .. table.concat(out, ',') .. ']'}
