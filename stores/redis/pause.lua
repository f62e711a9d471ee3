-- pause_topic: the topic's pause (replacing one) and its audit record, in
-- this one script. The pause is the hash P..'pause' (keys.py): at, until ('':
-- until resumed), reason, by. A timed pause also expires as a key at its end
-- (PEXPIREAT, the server's clock), so it leaves nothing behind; reserve.lua
-- checks the end itself all the same.
-- ARGV: [1] the audit context ('' = none), [2] until_ms ('' = none), [3]
-- for_ms ('' = none: the end is until_ms, else now + for_ms, else none), [4]
-- the reason, [5] the reason as JSON text (for the record's detail, exactly
-- as stores.audit.pause_detail writes it), [6] paused_by.
-- Reply: {paused_at, until or ''}.
local now = now_ms()
local ctx = ARGV[1]
if ctx ~= '' then
  cjson.decode(ctx) -- a bad context fails here, before anything is written
end
local until_ms = ARGV[2]
if until_ms == '' and ARGV[3] ~= '' then
  until_ms = num(now + tonumber(ARGV[3]))
end
local key = P .. 'pause'
redis.call('DEL', key)
redis.call('HSET', key, 'at', num(now), 'until', until_ms, 'reason', ARGV[4], 'by', ARGV[6])
if until_ms ~= '' then
  redis.call('PEXPIREAT', key, until_ms)
end
if ctx ~= '' then
  local until_json = until_ms
  if until_json == '' then
    until_json = 'null'
  end
  record_topic(ctx, now, 'pause', '{"until_ms":' .. until_json .. ',"reason":' .. ARGV[5] .. '}')
end
return {num(now), until_ms}
