-- terminate, fail or snooze. ARGV: task_id, target status ('terminated',
-- 'failed' or 'snoozed'), pid ('' = none), record_ver ('' = any), error text,
-- snooze_ms, audit context ('' = none). Reply: {1, '[meta, static]'} (one JSON text) or a refusal; checks in the order of
-- stores/rules.py: not found, version, transition, owner (not when snoozed).
local now = now_ms()
local id, target, pid = ARGV[1], ARGV[2], ARGV[3]
local m, refusal = load_checked(id, ARGV[4], now)
if not m then
  return refusal
end
if not ALLOWED[m.status .. '>' .. target] then
  return refuse('invalid-status-transition', m, now)
end
if m.status ~= 'snoozed' and (m.pid or '') ~= pid then
  return refuse('wrong-owner', m, now)
end
local new = bumped(m, now)
new.status = target
new.pid = nil
new.lease = nil
if target == 'failed' then
  new.error = ARGV[5]
elseif target == 'snoozed' then
  new.snooze_time = tonumber(ARGV[6])
  new.lease = now + new.snooze_time
end
local ACTION = {terminated = 'terminate', failed = 'fail', snoozed = 'snooze'}
record(ARGV[7], id, m, new, ACTION[target])
local meta = save(id, m, new)
return {1, '[' .. meta .. ',' .. (redis.call('HGET', P .. 'static', id) or 'null') .. ']'}
