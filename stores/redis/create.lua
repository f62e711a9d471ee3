-- Create tasks in `starting`, all or nothing. The tasks of a topic are written
-- together: one variadic command per key (ZADD, HSET of all of them), not one
-- per task, so a batch of 1,000 costs a few dozen commands.
--
-- ARGV: [1] the audit context ('' = none); [2] the claim time (ms, the
-- client's clock: claim values and group scores); [3] the mode:
--   'claim' -- claim the ids here (single server only: the claims live in other
--              slots); KEYS after the topics' prefixes: the namespace's topic
--              set, each task's id claim, each task's group zset;
--   'group' -- the caller claimed the ids; KEYS after the prefixes: each task's
--              group zset (single server only);
--   ''      -- the caller claimed the ids and wrote the group entries; KEYS
--              are the prefixes only (one topic on a cluster);
-- [4] K, the number of topics, KEYS[1..K] their prefixes; [5..4+K] their
-- names; then per task: its topic's number (1..K), task_id, sub_topic, static
-- JSON built by the store.
-- Reply: {1, now} (created_at = updated_at = now), else nothing is written and
-- {0, 'task-already-exists', id, now}: a task of that id is in its topic
-- already (a damaged claim), or {0, 'claim-lost', id, now}: the id is claimed
-- (mode 'claim'; the store then claims the slow way, adopting orphans).
local now = now_ms()
local ctx, claimed_ms, mode, K = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4])
local first = 5 + K
local n = (#ARGV - first + 1) / 4
if ctx ~= '' then
  cjson.decode(ctx) -- a bad context fails here, before anything is written
end

-- Variadic commands in slices: Lua's unpack() has a limit on its results.
local SLICE = 1000
local function sliced(args, fn)
  for s = 1, #args, SLICE do
    fn(unpack(args, s, math.min(s + SLICE - 1, #args)))
  end
end

local tasks_of = {} -- topic number -> the ARGV positions of its tasks
for t = 1, K do
  tasks_of[t] = {}
end
for i = 1, n do
  local a = first + (i - 1) * 4
  local list = tasks_of[tonumber(ARGV[a])]
  list[#list + 1] = a
end

for t = 1, K do
  local ids = {}
  for _, a in ipairs(tasks_of[t]) do
    ids[#ids + 1] = ARGV[a + 1]
  end
  for s = 1, #ids, SLICE do
    local e = math.min(s + SLICE - 1, #ids)
    local found = redis.call('HMGET', KEYS[t] .. 'meta', unpack(ids, s, e))
    for j = 1, e - s + 1 do
      if found[j] then
        return {0, 'task-already-exists', ids[s + j - 1], num(now)}
      end
    end
  end
end

local groups_at = K -- KEYS[groups_at + i] is task i's group zset
if mode == 'claim' then
  groups_at = K + 1 + n
  local won = {}
  for i = 1, n do
    local a = first + (i - 1) * 4
    local value = claimed_ms .. ':' .. ARGV[4 + tonumber(ARGV[a])]
    if not redis.call('SET', KEYS[K + 1 + i], value, 'NX') then
      sliced(won, function(...) redis.call('DEL', ...) end)
      return {0, 'claim-lost', ARGV[a + 1], num(now)}
    end
    won[#won + 1] = KEYS[K + 1 + i]
  end
  local names = {}
  for t = 1, K do
    names[t] = ARGV[4 + t]
  end
  sliced(names, function(...) redis.call('SADD', KEYS[K + 1], ...) end)
end
if mode == 'claim' or mode == 'group' then
  local members = {} -- group key -> {score, id, ...}
  local order = {}
  for i = 1, n do
    local key = KEYS[groups_at + i]
    if not members[key] then
      members[key] = {}
      order[#order + 1] = key
    end
    local list = members[key]
    list[#list + 1] = claimed_ms
    list[#list + 1] = ARGV[first + (i - 1) * 4 + 1]
  end
  for _, key in ipairs(order) do
    sliced(members[key], function(...) redis.call('ZADD', key, 'NX', ...) end)
  end
end

local created = num(now)
for t = 1, K do
  local list = tasks_of[t]
  if #list > 0 then
    P = KEYS[t] -- common.lua's helpers now work on this topic
    local all, zs, metas, statics = {}, {}, {}, {}
    local by_sub, subs, meta_of = {}, {}, {}
    for _, a in ipairs(list) do
      local id, sub = ARGV[a + 1], ARGV[a + 2]
      local m = {status = 'starting', record_ver = 1, created = now, updated = now, sub = sub}
      record(ctx, id, nil, m, 'create')
      if not by_sub[sub] then
        by_sub[sub] = {}
        subs[#subs + 1] = sub
        meta_of[sub] = encode(m) -- the same for every task of the sub_topic
      end
      local member = lex(now, id)
      all[#all + 1] = 0
      all[#all + 1] = member
      local s = by_sub[sub]
      s[#s + 1] = 0
      s[#s + 1] = member
      zs[#zs + 1] = created
      zs[#zs + 1] = id
      metas[#metas + 1] = id
      metas[#metas + 1] = meta_of[sub]
      statics[#statics + 1] = id
      statics[#statics + 1] = ARGV[a + 3]
    end
    -- What index() and save() in common.lua do for each new task.
    sliced(all, function(...) redis.call('ZADD', P .. 'u:s:starting', ...) end)
    for _, sub in ipairs(subs) do
      sliced(by_sub[sub], function(...) redis.call('ZADD', P .. 'u:ts:starting:' .. sub, ...) end)
    end
    sliced(zs, function(...) redis.call('ZADD', P .. 'z:starting', ...) end)
    sliced(metas, function(...) redis.call('HSET', P .. 'meta', ...) end)
    sliced(statics, function(...) redis.call('HSET', P .. 'static', ...) end)
    rate('created', now, #list)
  end
end
return {1, created}
