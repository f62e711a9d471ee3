#!lua flags=no-writes
-- failure_groups: the newest ARGV[1] failed tasks of the topic (the head of
-- its u:s:failed index, read newest first), grouped by the error's first line
-- (the text before its first line feed: stores/failures.py's error_key).
-- Reply: {scanned, the topic's failed count (ZCARD), one JSON text: an array
-- of [error_key, count, first_seen, last_seen, sample id] in the order the
-- groups were first met; the newest task of a group is its sample}.
local limit = tonumber(ARGV[1])
local members = redis.call('ZREVRANGEBYLEX', P .. 'u:s:failed', '+', '-', 'LIMIT', 0, limit)
local groups, order = {}, {}
for _, member in ipairs(members) do
  local updated = tonumber(string.sub(member, 1, 15))
  local id = string.sub(member, 17)
  local m = decode(redis.call('HGET', P .. 'meta', id))
  if m then
    local key = string.match(m.error or '', '^[^\n]*')
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
