-- extend_leases on one topic: each task's lease renewed exactly as extend.lua
-- renews one (not found, already done, not running, owner, expired; its audit
-- record before its change); a task whose check fails is left as it is.
-- ARGV: pid, lease_time_ms, audit context ('' = none), then the task ids.
-- Reply: {now, JSON text}: per task, in order, [1, meta, static] when renewed,
-- else [0, code, meta or null, static or null].
local now = now_ms()
local pid, lease, ctx = ARGV[1], now + tonumber(ARGV[2]), ARGV[3]
if ctx ~= '' then
  cjson.decode(ctx) -- a bad context fails here, before anything is written
end
local out = {}
for a = 4, #ARGV do
  local id = ARGV[a]
  local m = decode(redis.call('HGET', P .. 'meta', id))
  local code
  if not m then
    code = 'task-not-found'
  elseif FINAL[m.status] then
    code = 'already-done'
  elseif m.status ~= 'running' then
    code = 'invalid-status'
  elseif m.pid ~= pid then
    code = 'wrong-owner'
  elseif m.lease <= now then
    code = 'lease-expired'
  end
  local static = redis.call('HGET', P .. 'static', id) or 'null'
  if not m then
    out[#out + 1] = '[0,"task-not-found",null,null]'
  elseif code then
    out[#out + 1] = '[0,"' .. code .. '",' .. encode(m) .. ',' .. static .. ']'
  else
    local new = bumped(m, now)
    new.lease = lease
    record(ctx, id, m, new, 'extend')
    out[#out + 1] = '[1,' .. save(id, m, new) .. ',' .. static .. ']'
  end
end
return {num(now), '[' .. table.concat(out, ',') .. ']'}
