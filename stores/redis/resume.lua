-- resume_topic: the topic's pause deleted and, if it was still on (by the
-- server's clock), recorded as a resume, in this one script.
-- ARGV: [1] the audit context ('' = none).
-- Reply: {1, at, until or '', reason, by} of the pause lifted, or {0} when the
-- topic was not paused (an ended pause is no pause: nothing is recorded).
local now = now_ms()
local ctx = ARGV[1]
if ctx ~= '' then
  cjson.decode(ctx) -- a bad context fails here, before anything is written
end
local key = P .. 'pause'
local pause = redis.call('HMGET', key, 'at', 'until', 'reason', 'by')
redis.call('DEL', key)
if not pause[1] then
  return {0}
end
if pause[2] ~= '' and tonumber(pause[2]) <= now then
  return {0}
end
record_topic(ctx, now, 'resume', '')
return {1, pause[1], pause[2], pause[3], pause[4]}
