#!lua flags=no-writes
-- One page of an index, read atomically with the tasks' state, so every row's
-- sort key is the one it was found under. ARGV: index key suffix, 'desc' or
-- 'asc', the first and the second range bound (ZREVRANGEBYLEX / ZRANGEBYLEX
-- order), count, '1' to also return the static part.
-- Reply: one JSON text, an array of [task_id, meta] (or [task_id, meta,
-- static]): the store parses it in one go, much faster than one reply
-- element per field.
local key = P .. ARGV[1]
local members
if ARGV[2] == 'desc' then
  members = redis.call('ZREVRANGEBYLEX', key, ARGV[3], ARGV[4], 'LIMIT', 0, ARGV[5])
else
  members = redis.call('ZRANGEBYLEX', key, ARGV[3], ARGV[4], 'LIMIT', 0, ARGV[5])
end
local with_static = ARGV[6] == '1'
local out = {}
for _, member in ipairs(members) do
  local id = string.sub(member, 17)
  local meta = redis.call('HGET', P .. 'meta', id)
  local static = true
  if with_static then
    static = redis.call('HGET', P .. 'static', id)
  end
  if meta and static then -- an index entry without its task is skipped
    if with_static then
      out[#out + 1] = '[' .. cjson.encode(id) .. ',' .. meta .. ',' .. static .. ']'
    else
      out[#out + 1] = '[' .. cjson.encode(id) .. ',' .. meta .. ']'
    end
  end
end
return '[' .. table.concat(out, ',') .. ']'
