-- Renew the lease of a running task. ARGV: task_id, pid, record_ver ('' = any),
-- lease_time_ms, audit context ('' = none). Reply: {1, meta} or a refusal; checks in the order of
-- stores/rules.py: not found, version, already done, not running, owner, expired.
local now = now_ms()
local id, pid = ARGV[1], ARGV[2]
local m, refusal = load_checked(id, ARGV[3], now)
if not m then
  return refusal
end
if FINAL[m.status] then
  return refuse('already-done', m, now)
end
if m.status ~= 'running' then
  return refuse('invalid-status', m, now)
end
if m.pid ~= pid then
  return refuse('wrong-owner', m, now)
end
if m.lease <= now then
  return refuse('lease-expired', m, now)
end
local new = bumped(m, now)
new.lease = now + tonumber(ARGV[4])
record(ARGV[5], id, m, new, 'extend')
return {1, save(id, m, new)}
