-- reserve_tasks: up to ARGV[4] reservations at once, each as reserve.lua makes
-- one (the same candidates, the same order, its own lease and audit record),
-- in this one script. ARGV: pid, lease_time_ms, audit context ('' = none), max.
-- Reply: one JSON text, an array of [task_id, meta, static], oldest first
-- ('[]' when none, or while the topic is paused).
local now = now_ms()
if paused(now) then
  return '[]'
end
local pid, lease, ctx = ARGV[1], now + tonumber(ARGV[2]), ARGV[3]
local ended = '(' .. string.format('%015d', now + 1) -- below every member of now + 1
local out = {}
for _ = 1, tonumber(ARGV[4]) do
  local best, best_m
  local function consider(id)
    if not id then
      return
    end
    local m = decode(redis.call('HGET', P .. 'meta', id))
    if m and (not best_m or m.created < best_m.created or (m.created == best_m.created and id < best)) then
      best, best_m = id, m
    end
  end
  consider(redis.call('ZRANGE', P .. 'z:starting', 0, 0)[1])
  local running = redis.call('ZRANGEBYLEX', P .. 'l:running', '-', ended, 'LIMIT', 0, 1)[1]
  if running then
    consider(string.sub(running, 17))
  end
  local snoozed = redis.call('ZRANGEBYLEX', P .. 'l:snoozed', '-', ended, 'LIMIT', 0, 1)[1]
  if snoozed then
    consider(string.sub(snoozed, 17))
  end
  if not best then
    break
  end
  local new = bumped(best_m, now)
  new.status = 'running'
  new.pid = pid
  new.lease = lease
  record(ctx, best, best_m, new, 'reserve')
  local meta = save(best, best_m, new)
  local static = redis.call('HGET', P .. 'static', best) or 'null'
  out[#out + 1] = '[' .. cjson.encode(best) .. ',' .. meta .. ',' .. static .. ']'
end
return '[' .. table.concat(out, ',') .. ']'
