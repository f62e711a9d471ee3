-- Lease the oldest reservable task of the topic to a worker.
-- ARGV: pid, lease_time_ms, audit context ('' = none). Reply: {1, '[task_id, meta, static]'}
-- (one JSON text: one reply element to parse, not three), or {0} when none.
--
-- Candidates: the oldest `starting` task, the `running` task whose lease ended
-- longest ago and the `snoozed` task whose wake time passed longest ago (both
-- judged by this server's clock: ended means lease_expires_at <= now). The one
-- created first wins: FIFO, but not strict. Nothing while the topic is paused
-- (pause.lua), checked first, in this same script.
local now = now_ms()
if paused(now) then
  return {0}
end
local best, best_m

local first = redis.call('ZRANGE', P .. 'z:starting', 0, 0)[1]
local ended = '(' .. string.format('%015d', now + 1) -- below every member of now + 1
local running = redis.call('ZRANGEBYLEX', P .. 'l:running', '-', ended, 'LIMIT', 0, 1)[1]
local snoozed = redis.call('ZRANGEBYLEX', P .. 'l:snoozed', '-', ended, 'LIMIT', 0, 1)[1]

local function consider(id)
  if not id then
    return
  end
  local m = decode(redis.call('HGET', P .. 'meta', id))
  if m and (not best_m or m.created < best_m.created or (m.created == best_m.created and id < best)) then
    best, best_m = id, m
  end
end

consider(first)
if running then
  consider(string.sub(running, 17))
end
if snoozed then
  consider(string.sub(snoozed, 17))
end
if not best then
  return {0}
end

local new = bumped(best_m, now)
new.status = 'running'
new.pid = ARGV[1]
new.lease = now + tonumber(ARGV[2])
record(ARGV[3], best, best_m, new, 'reserve')
local meta = save(best, best_m, new)
local static = redis.call('HGET', P .. 'static', best) or 'null'
return {1, '[' .. cjson.encode(best) .. ',' .. meta .. ',' .. static .. ']'}
