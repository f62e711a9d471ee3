-- Force a running or snoozed task back to `starting`, only at the version the
-- caller saw. ARGV: task_id, record_ver, audit context ('' = none). Reply: {1, '[meta, static]'} (one JSON text) or a refusal.
local now = now_ms()
local id = ARGV[1]
local m, refusal = load_checked(id, ARGV[2], now)
if not m then
  return refusal
end
if not ALLOWED[m.status .. '>starting'] then
  return refuse('invalid-status-transition', m, now)
end
local new = bumped(m, now)
new.status = 'starting'
new.pid = nil
new.lease = nil
record(ARGV[3], id, m, new, 'revoke')
local meta = save(id, m, new)
return {1, '[' .. meta .. ',' .. (redis.call('HGET', P .. 'static', id) or 'null') .. ']'}
