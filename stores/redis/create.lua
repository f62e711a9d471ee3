-- Create tasks of one topic in `starting`, all or nothing.
-- ARGV: the audit context ('' = none), then triples of (task_id, sub_topic,
-- static JSON built by the store).
-- Reply: {1, now} (created_at = updated_at = now), or a refusal naming the
-- first id that already exists here (the store claimed every id beforehand,
-- so this only guards against a damaged claim).
local now = now_ms()
for i = 2, #ARGV, 3 do
  if redis.call('HEXISTS', P .. 'meta', ARGV[i]) == 1 then
    return {0, 'task-already-exists', ARGV[i], num(now)}
  end
end
for i = 2, #ARGV, 3 do
  local m = {status = 'starting', record_ver = 1, created = now, updated = now, sub = ARGV[i + 1]}
  record(ARGV[1], ARGV[i], nil, m, 'create')
  save(ARGV[i], nil, m)
  redis.call('HSET', P .. 'static', ARGV[i], ARGV[i + 2])
end
return {1, num(now)}
