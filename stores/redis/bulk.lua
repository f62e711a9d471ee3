-- apply_bulk on one topic: one action on many tasks, each only at the version
-- the operator saw, in one script (a chunk of items, one round trip). Each item
-- is checked and written exactly as write.lua / revoke.lua would (the same
-- checks in the same order, its own audit record before its change), and
-- refused items are left as they are.
-- ARGV: [1] action ('terminate', 'fail', 'snooze' or 'revoke'), [2] the error
-- text (fail), [3] snooze_ms (snooze), [4] the audit context ('' = none), then
-- per item: task_id, record_ver, pid ('' = none).
-- Reply: {now, JSON text}: an array with one element per item, in order,
-- [1, meta, static] when written, else [0, code, meta or null].
local now = now_ms()
local action, ctx = ARGV[1], ARGV[4]
if ctx ~= '' then
  cjson.decode(ctx) -- a bad context fails here, before anything is written
end
local TARGET = {terminate = 'terminated', fail = 'failed', snooze = 'snoozed', revoke = 'starting'}
local target = TARGET[action]
if not target then
  return redis.error_reply('bulk: unknown action ' .. tostring(action))
end
local snooze_ms = tonumber(ARGV[3])
local out = {}
for a = 5, #ARGV, 3 do
  local id, record_ver, pid = ARGV[a], ARGV[a + 1], ARGV[a + 2]
  local m = decode(redis.call('HGET', P .. 'meta', id))
  if not m then
    out[#out + 1] = '[0,"task-not-found",null]'
  elseif m.record_ver ~= tonumber(record_ver) then
    out[#out + 1] = '[0,"task-concurrently-updated",' .. encode(m) .. ']'
  elseif not ALLOWED[m.status .. '>' .. target] then
    out[#out + 1] = '[0,"invalid-status-transition",' .. encode(m) .. ']'
  elseif action ~= 'revoke' and m.status ~= 'snoozed' and (m.pid or '') ~= pid then
    out[#out + 1] = '[0,"wrong-owner",' .. encode(m) .. ']'
  else
    local new = bumped(m, now)
    new.status = target
    new.pid = nil
    new.lease = nil
    if target == 'failed' then
      new.error = ARGV[2]
    elseif target == 'snoozed' then
      new.snooze_time = snooze_ms
      new.lease = now + snooze_ms
    end
    record(ctx, id, m, new, action)
    local meta = save(id, m, new)
    out[#out + 1] = '[1,' .. meta .. ',' .. (redis.call('HGET', P .. 'static', id) or 'null') .. ']'
  end
end
return {num(now), '[' .. table.concat(out, ',') .. ']'}
