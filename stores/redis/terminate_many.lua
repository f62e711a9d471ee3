-- terminate_many on one topic: each (task_id, record_ver) checked and written
-- exactly as write.lua terminates one (not found, version, transition, owner;
-- its audit record before its change); a task whose check fails is left as it
-- is. ARGV: pid, audit context ('' = none), then per item: task_id, record_ver.
-- Reply: {now, JSON text}: per item, in order, [1, meta, static] when written,
-- else [0, code, meta or null, static or null].
local now = now_ms()
local pid, ctx = ARGV[1], ARGV[2]
if ctx ~= '' then
  cjson.decode(ctx) -- a bad context fails here, before anything is written
end
local out = {}
for a = 3, #ARGV, 2 do
  local id, record_ver = ARGV[a], ARGV[a + 1]
  local m = decode(redis.call('HGET', P .. 'meta', id))
  local code
  if not m then
    code = 'task-not-found'
  elseif m.record_ver ~= tonumber(record_ver) then
    code = 'task-concurrently-updated'
  elseif not ALLOWED[m.status .. '>terminated'] then
    code = 'invalid-status-transition'
  elseif m.status ~= 'snoozed' and (m.pid or '') ~= pid then
    code = 'wrong-owner'
  end
  local static = redis.call('HGET', P .. 'static', id) or 'null'
  if not m then
    out[#out + 1] = '[0,"task-not-found",null,null]'
  elseif code then
    out[#out + 1] = '[0,"' .. code .. '",' .. encode(m) .. ',' .. static .. ']'
  else
    local new = bumped(m, now)
    new.status = 'terminated'
    new.pid = nil
    new.lease = nil
    record(ctx, id, m, new, 'terminate')
    out[#out + 1] = '[1,' .. save(id, m, new) .. ',' .. static .. ']'
  end
end
return {num(now), '[' .. table.concat(out, ',') .. ']'}
