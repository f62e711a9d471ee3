-- After a purge, forget a purged id outside its topic's slot, but only what was
-- made before the purge's cutoff (ARGV[1], ms): a newer claim or group entry
-- belongs to a task created again under that id since the purge.
-- KEYS[1]: the id's claim ('<ms>:<topic>') when ARGV[2] is '', else the group
-- zset and ARGV[2] the id (scored by its claim time). Reply: 1 if removed, else 0.
local cutoff = tonumber(ARGV[1])
if ARGV[2] == '' then
  local value = redis.call('GET', KEYS[1])
  local ms = value and tonumber(string.match(value, '^(%d+):'))
  if ms and ms < cutoff then
    return redis.call('DEL', KEYS[1])
  end
  return 0
end
local score = redis.call('ZSCORE', KEYS[1], ARGV[2])
if score and tonumber(score) < cutoff then
  return redis.call('ZREM', KEYS[1], ARGV[2])
end
return 0
