-- Retention: delete up to ARGV[2] finished tasks of this topic, in the statuses
-- ARGV[3..], last updated more than ARGV[1] ms before now (server clock).
-- Each goes from every index of the topic and from its counts (unindex), and
-- its meta and static fields go. The id claim and the group entry live outside
-- the topic's slot: the store removes them after this script.
-- Reply: {now, task_id, task_group_id, task_id, task_group_id, ...}.
local now = now_ms()
local cutoff = now - tonumber(ARGV[1])
local budget = tonumber(ARGV[2])
local out = {num(now)}

-- The group id: the first element of the static JSON array, read without
-- decoding the whole array (its last element is the task's data).
local function group_of(static)
  local i = 3
  while i <= #static do
    local c = string.sub(static, i, i)
    if c == '\\' then
      i = i + 2
    elseif c == '"' then
      return cjson.decode(string.sub(static, 2, i))
    else
      i = i + 1
    end
  end
  return ''
end

for s = 3, #ARGV do
  if budget <= 0 then
    break
  end
  local status = ARGV[s]
  if not FINAL[status] then
    return redis.error_reply('purge: not a final status: ' .. status)
  end
  local key = P .. 'u:s:' .. status
  local members = redis.call('ZRANGEBYLEX', key, '-', '(' .. string.format('%015d', cutoff), 'LIMIT', 0, budget)
  for _, member in ipairs(members) do
    local id = string.sub(member, 17)
    local m = decode(redis.call('HGET', P .. 'meta', id))
    if m and m.status == status and lex(m.updated, id) == member then
      local static = redis.call('HGET', P .. 'static', id) or '["",null,null,null]'
      unindex(id, m)
      redis.call('HDEL', P .. 'meta', id)
      redis.call('HDEL', P .. 'static', id)
      out[#out + 1] = id
      out[#out + 1] = group_of(static)
      budget = budget - 1
    else
      redis.call('ZREM', key, member) -- an entry that outlived its task: drop it
    end
  end
end
return out
