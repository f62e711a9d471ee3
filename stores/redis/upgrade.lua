-- Schema 1 -> 2 of one topic, in place, a bounded step per call (keys.py
-- describes both layouts). Moves up to ARGV[1] entries of the schema 1 zsets
-- z:running and z:snoozed (id scored by lease_expires_at) to the lease indexes
-- l:running and l:snoozed (members '%015d:<id>'); once they are empty, drops
-- the indexes schema 2 no longer keeps: u, counts and leased (the per-sub_topic
-- u:t:<sub> keys are found and dropped by the store). Each step is atomic and
-- the whole is idempotent: an upgrade cut short resumes on the next open.
-- Reply: {entries moved, 1 when the topic is done else 0}.
local budget = tonumber(ARGV[1])
local moved = 0
for _, status in ipairs({'running', 'snoozed'}) do
  local old = P .. 'z:' .. status
  while moved < budget do
    local page = redis.call('ZRANGE', old, 0, math.min(budget - moved, 1000) - 1, 'WITHSCORES')
    if #page == 0 then
      break
    end
    local members, ids = {}, {}
    for i = 1, #page, 2 do
      members[#members + 1] = 0
      members[#members + 1] = lex(tonumber(page[i + 1]), page[i])
      ids[#ids + 1] = page[i]
    end
    redis.call('ZADD', P .. 'l:' .. status, unpack(members))
    redis.call('ZREM', old, unpack(ids))
    moved = moved + #ids
  end
end
if moved < budget then
  redis.call('UNLINK', P .. 'u', P .. 'counts', P .. 'leased')
  return {moved, 1}
end
return {moved, 0}
