#!lua flags=no-writes
-- One page of tasks in index order, read atomically with their state, so every
-- row's sort key is the one it was found under.
-- KEYS: one topic's prefix, or (single server only: the keys of several slots)
-- the prefixes of several topics, whose pages are merged here.
-- ARGV: 'desc' or 'asc', the first and the second range bound (ZREVRANGEBYLEX /
-- ZRANGEBYLEX order), count, '1' to also return the static part, then one or
-- more index key suffixes: several (e.g. u:s:<status> of every status, when
-- list_tasks has no status filter) are merged here. Their members
-- ('%015d:<task_id>') compare as text in the order of the (time, id) key, so
-- the merge needs no task's state: only the `count` rows kept are read.
-- Reply: one JSON text, an array of [k, task_id, meta] (or [k, task_id, meta,
-- static]), k the number of the task's topic in KEYS: the store parses it in
-- one go, much faster than one reply element per field.
local desc = ARGV[1] == 'desc'
local count = tonumber(ARGV[4])
local members, topic_of = {}, {}
local parts = 0
for k = 1, #KEYS do
  for i = 6, #ARGV do
    local key = KEYS[k] .. ARGV[i]
    local part
    if desc then
      part = redis.call('ZREVRANGEBYLEX', key, ARGV[2], ARGV[3], 'LIMIT', 0, count)
    else
      part = redis.call('ZRANGEBYLEX', key, ARGV[2], ARGV[3], 'LIMIT', 0, count)
    end
    if #part > 0 then
      parts = parts + 1
    end
    for _, member in ipairs(part) do
      members[#members + 1] = member
      topic_of[member] = k -- ids are unique across topics: so are members
    end
  end
end
if parts > 1 then
  if desc then
    table.sort(members, function(a, b) return a > b end)
  else
    table.sort(members)
  end
  for i = #members, count + 1, -1 do
    members[i] = nil
  end
end
local with_static = ARGV[5] == '1'
local out = {}
for _, member in ipairs(members) do
  local k = topic_of[member]
  local prefix = KEYS[k]
  local id = string.sub(member, 17)
  local meta = redis.call('HGET', prefix .. 'meta', id)
  local static = true
  if with_static then
    static = redis.call('HGET', prefix .. 'static', id)
  end
  if meta and static then -- an index entry without its task is skipped
    local head = '[' .. k .. ',' .. cjson.encode(id) .. ',' .. meta
    if with_static then
      out[#out + 1] = head .. ',' .. static .. ']'
    else
      out[#out + 1] = head .. ']'
    end
  end
end
return '[' .. table.concat(out, ',') .. ']'
