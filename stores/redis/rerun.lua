-- rerun_task: a new task made from a failed or terminated one, which stays as
-- it is (failed is final). The caller claimed the new id and wrote its group
-- entry (as for a create on a cluster); this script checks the original in the
-- order of stores/rules.py (not found, version, final status) and only then
-- writes the new task and, with an audit context, both records: 'rerun' on
-- the original (detail: the new id) and 'create' of the new task (detail: the
-- original's id), all in this one script.
-- ARGV: [1] the audit context ('' = none), [2] the original's id, [3] its
-- record_ver, [4] the new task's id, [5] its sub_topic, [6] its static JSON
-- (built by the store from the original's).
-- Reply: {1, '[meta, static]'} (one JSON text) of the new task, or a refusal
-- about the original.
local now = now_ms()
local ctx, id, new_id, sub = ARGV[1], ARGV[2], ARGV[4], ARGV[5]
if ctx ~= '' then
  cjson.decode(ctx) -- a bad context fails here, before anything is written
end
local m, refusal = load_checked(id, ARGV[3], now)
if not m then
  return refusal
end
if not FINAL[m.status] then
  return refuse('invalid-status', m, now)
end
if redis.call('HEXISTS', P .. 'meta', new_id) == 1 then
  return refuse('task-already-exists', m, now)
end
local seen = copy(m) -- the original as it stays; the record's time is now
seen.updated = now
record(ctx, id, m, seen, 'rerun', new_id)
local t = {status = 'starting', record_ver = 1, created = now, updated = now, sub = sub}
record(ctx, new_id, nil, t, 'create', id)
redis.call('HSET', P .. 'static', new_id, ARGV[6])
local meta = save(new_id, nil, t)
return {1, '[' .. meta .. ',' .. ARGV[6] .. ']'}
