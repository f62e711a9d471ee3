-- Shared by every script of the Redis store: the loader puts this text in front
-- of each script (Redis scripts cannot include files), after its shebang line.
--
-- KEYS[1] is the topic's key prefix '<ns>:{<escaped topic>}:'. Every key a
-- script touches starts with it, so all of them carry the same hash tag and
-- live in one cluster slot.
--
-- Numbers: Lua numbers are doubles, exact for our times (<= 2 * 10^14), but
-- tostring() and cjson print them with 14 significant digits, so every number
-- that leaves a script goes through num() or lex().

local P = KEYS[1]

-- Filled in by the loader from stores.protocol (ALLOWED_TRANSITIONS as
-- ALLOWED['<from>><to>'], and FINAL_STATUSES), so the scripts never carry their
-- own copy of the table;
-- left nil in a script that does not use them (building tables costs time on
-- every call).
local ALLOWED = {{ALLOWED_TRANSITIONS}}
local FINAL = {{FINAL_STATUSES}}

local function num(n)
  return string.format('%d', n)
end

-- A member of a lexicographic index: 15 digits, ':', the task id. All scores
-- are 0, so ZRANGEBYLEX orders by time, then by id (bytewise, as the SQL stores do).
local function lex(ms, id)
  return string.format('%015d', ms) .. ':' .. id
end

local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

-- The mutable fields of a task, stored as one JSON array per task in P..'meta'
-- (sub_topic rides along because the indexes need it and it never changes).
local function decode(text)
  if not text then
    return nil
  end
  local a = cjson.decode(text)
  local null = cjson.null
  local pid, err, snooze, lease = a[2], a[4], a[5], a[6]
  if pid == null then
    pid = nil
  end
  if err == null then
    err = nil
  end
  if snooze == null then
    snooze = nil
  end
  if lease == null then
    lease = nil
  end
  -- The sub_topic's JSON as stored, for encode(): it never changes. It is the
  -- last element, and ',"' never occurs inside a JSON string (a quote there
  -- is escaped), so it starts at the last ',"'.
  return {
    status = a[1], pid = pid, record_ver = a[3], error = err,
    snooze_time = snooze, lease = lease, created = a[7], updated = a[8], sub = a[9],
    sub_json = string.match(text, '.*,(".*")%]$'),
  }
end

local function jstr(x)
  if x == nil then
    return 'null'
  end
  return cjson.encode(x)
end

local function jnum(x)
  if x == nil then
    return 'null'
  end
  return string.format('%d', x)
end

-- One string concatenation, not a table of parts: this runs on every write.
-- The fields' order is codec.py's META_FIELDS (decode above reads the same).
-- The status is one of the protocol's words, so it needs no escaping.
local function encode(m)
  return '["' .. m.status .. '",' .. jstr(m.pid) .. ',' .. string.format('%d', m.record_ver) .. ','
    .. jstr(m.error) .. ',' .. jnum(m.snooze_time) .. ',' .. jnum(m.lease) .. ','
    .. string.format('%d,%d', m.created, m.updated) .. ',' .. (m.sub_json or jstr(m.sub)) .. ']'
end

local function copy(m)
  local c = {}
  for k, v in pairs(m) do
    c[k] = v
  end
  return c
end

-- The indexes that hold a task (schema 2; keys.py describes the layout):
--   u:s:<status> and u:ts:<status>:<sub> -- list_tasks, by updated_at;
--   z:starting (score created_at)        -- reservation, oldest first;
--   l:<status> for running and snoozed   -- by lease_expires_at: reservation
--                                           of ended leases, list_leased_tasks
--                                           and the expired count.
-- Counts are the cardinalities of u:s:<status>: no counter to keep.
local function unindex(id, m)
  local member = lex(m.updated, id)
  redis.call('ZREM', P .. 'u:s:' .. m.status, member)
  redis.call('ZREM', P .. 'u:ts:' .. m.status .. ':' .. m.sub, member)
  if m.status == 'starting' then
    redis.call('ZREM', P .. 'z:starting', id)
  elseif m.lease then
    redis.call('ZREM', P .. 'l:' .. m.status, lex(m.lease, id))
  end
end

local function index(id, m)
  local member = lex(m.updated, id)
  redis.call('ZADD', P .. 'u:s:' .. m.status, 0, member)
  redis.call('ZADD', P .. 'u:ts:' .. m.status .. ':' .. m.sub, 0, member)
  if m.status == 'starting' then
    redis.call('ZADD', P .. 'z:starting', num(m.created), id)
  elseif m.lease then
    redis.call('ZADD', P .. 'l:' .. m.status, 0, lex(m.lease, id))
  end
end

-- Rates over time (stores/rates.py; keys.py: rate:<start>): n tasks of one
-- kind ('created', 'terminated', 'failed', 'snoozed') counted at `at` in the
-- hash of its 10-minute bucket, twice: in the field of its minute (the kind's
-- initial and the minute within the bucket, 't3') and in the bucket's total
-- (the initial alone, 't'). rates.lua reads the hour from the minute fields
-- of the 7 hashes it spans and the day from the totals: two HINCRBY on one key
-- per write. A hash expires when its bucket leaves the day's window (144 x 10
-- minutes); the expiry is set when the HINCRBY made its field (it answers n:
-- counts only grow), which the bucket's first write always does, not on
-- every write.
local RATED = {terminated = true, failed = true, snoozed = true}

local function rate(kind, at, n)
  local start = at - at % 600000
  local key = P .. 'rate:' .. num(start)
  local initial = string.sub(kind, 1, 1)
  redis.call('HINCRBY', key, initial, n)
  if redis.call('HINCRBY', key, initial .. num((at - start - at % 60000) / 60000), n) == n then
    redis.call('PEXPIREAT', key, num(start + 86400000))
  end
end

-- Write the new state of task `id` (old is nil for a new task) and move it
-- between indexes, all in this one atomic script. Returns the new meta text.
-- Every write of a task goes through here: a new task (old nil) is counted as
-- created, a change into terminated, failed or snoozed as that (rates).
local function save(id, old, new)
  if old then
    unindex(id, old)
    if RATED[new.status] and new.status ~= old.status then
      rate(new.status, new.updated, 1)
    end
  else
    rate('created', new.updated, 1)
  end
  index(id, new)
  local text = encode(new)
  redis.call('HSET', P .. 'meta', id, text)
  return text
end

-- Replies: {1, meta, ...} on success; {0, code, meta or '', now} when refused,
-- so the store raises ERRORS_BY_CODE[code] with the task's state in the message.
local function refuse(code, m, now)
  local meta = ''
  if m then
    meta = encode(m)
  end
  return {0, code, meta, num(now)}
end

-- The task, and the refusal every write on an existing task checks first:
-- TaskNotFound, then TaskConcurrentlyUpdated (stores/rules.py).
local function load_checked(id, record_ver, now)
  local m = decode(redis.call('HGET', P .. 'meta', id))
  if not m then
    return nil, refuse('task-not-found', nil, now)
  end
  if record_ver ~= '' and m.record_ver ~= tonumber(record_ver) then
    return nil, refuse('task-concurrently-updated', m, now)
  end
  return m, nil
end

local function bumped(m, now)
  local new = copy(m)
  new.record_ver = m.record_ver + 1
  new.updated = now
  return new
end

-- The audit trail (stores/audit.py). A write script passes its audit context,
-- a JSON object {user, host, tool, batch} or '' when the store has no operator,
-- and record() appends one entry to the topic's stream P..'audit' (its id, the
-- server's clock, orders the trail) and the entry's id to the task's list
-- P..'audit:t:'..id, in the same script as the change it records. Scripts call
-- it before save(): Redis does not undo a script's writes when it fails, so
-- a failure here (a bad context) must come before the change.
local function record(ctx, id, old, new, action, link)
  if ctx == nil or ctx == '' then
    return
  end
  local c = cjson.decode(ctx)
  local before, ver_before = '', ''
  if old then
    before, ver_before = old.status, num(old.record_ver)
  end
  local detail = ''
  if action == 'fail' then
    detail = new.error or ''
  elseif action == 'snooze' then
    detail = num(new.snooze_time)
  elseif action == 'reserve' then
    detail = new.pid
  elseif link then -- a re-run: the id of the task on the other side of it
    detail = link
  end
  local fields = {
    'user', c.user, 'host', c.host, 'tool', c.tool, 'action', action, 'task_id', id,
    'before', before, 'after', new.status, 'ver_before', ver_before,
    'ver_after', num(new.record_ver), 'detail', detail, 'batch', c.batch,
  }
  -- The entry's ms is the write's own time (new.updated), so `at` equals the
  -- task's updated_at even when the clock ticked since TIME; the server picks
  -- the sequence. Only if the stream already holds a later ms ('*' then).
  local sid = redis.pcall('XADD', P .. 'audit', num(new.updated) .. '-*', unpack(fields))
  if type(sid) == 'table' and sid.err then
    sid = redis.call('XADD', P .. 'audit', '*', unpack(fields))
  end
  redis.call('RPUSH', P .. 'audit:t:' .. id, sid)
end

-- A topic record (pause, resume) in the topic's stream: no task, so task_id
-- '' and no statuses or versions, and no per-task list (stores/audit.py).
local function record_topic(ctx, now, action, detail)
  if ctx == nil or ctx == '' then
    return
  end
  local c = cjson.decode(ctx)
  local fields = {
    'user', c.user, 'host', c.host, 'tool', c.tool, 'action', action, 'task_id', '',
    'before', '', 'after', '', 'ver_before', '', 'ver_after', '', 'detail', detail, 'batch', c.batch,
  }
  local sid = redis.pcall('XADD', P .. 'audit', num(now) .. '-*', unpack(fields))
  if type(sid) == 'table' and sid.err then
    redis.call('XADD', P .. 'audit', '*', unpack(fields))
  end
end

-- Whether the topic is paused at `now` (pause.lua): a pause without an end, or
-- with one still ahead.
local function paused(now)
  local ends = redis.call('HGET', P .. 'pause', 'until')
  return ends ~= false and ends ~= nil and (ends == '' or tonumber(ends) > now)
end
