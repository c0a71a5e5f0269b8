-- Applies one WriteBatch atomically: every condition is checked first, then every op.
-- KEYS: namespace prefixes. ARGV: now ms, op count, then per op: kind (P put, R remove,
-- E expire, C check), KEYS index, condition (N none, A absent, V version), expected
-- version, key, value, codec, raw size, expires ms, tag count, the tags.
-- Returns {1, existed, version, existed, version, ...} or {0, index of the failed op}.
local now_s = ARGV[1]
local now = tonumber(now_s)
local ops, writes = {}, {}
local i = 3
for n = 1, tonumber(ARGV[2]) do
  local op = {kind = ARGV[i], P = KEYS[tonumber(ARGV[i + 1])], cond = ARGV[i + 2],
              expected = ARGV[i + 3], key = ARGV[i + 4], value = ARGV[i + 5],
              codec = ARGV[i + 6], raw = ARGV[i + 7], expires = ARGV[i + 8],
              first_tag = i + 10, ntags = tonumber(ARGV[i + 9])}
  ops[n] = op
  if op.kind ~= 'C' then
    writes[op.P] = (writes[op.P] or 0) + 1
  end
  i = i + 10 + op.ntags
end

-- The version of the live key, or nil.
local function live_version(P, key)
  local f = redis.call('HMGET', P .. ':v:' .. key, 'v', 'e')
  if not f[1] or is_expired(tonumber(f[2]), now) then
    return nil
  end
  return f[1]
end

for n, op in ipairs(ops) do
  if op.cond ~= 'N' then
    local v = live_version(op.P, op.key)
    if (op.cond == 'A' and v) or (op.cond == 'V' and v ~= op.expected) then
      return {0, n - 1}
    end
  end
end

-- Each namespace reserves one version per writing op.
local next_version = {}
for P, count in pairs(writes) do
  next_version[P] = redis.call('INCRBY', P .. ':gen', count) - count
end
local function new_version(P)
  next_version[P] = next_version[P] + 1
  return int(next_version[P])
end

local function put(op)
  local P, key = op.P, op.key
  local vkey = P .. ':v:' .. key
  local old = redis.call('HMGET', vkey, 'c', 'e', 'g')
  local existed, created = false, now_s
  if old[3] then
    local old_expires = tonumber(old[2])
    existed = not is_expired(old_expires, now)
    if existed and tonumber(old[1]) < now then
      created = old[1]
    end
    drop_tags(P, key, old[3])
    if old_expires ~= 0 and op.expires == '0' then
      redis.call('ZREM', P .. ':x', key)
    end
  else
    redis.call('ZADD', P .. ':k', 0, key)
    redis.call('ZREM', P .. ':d', key)
  end
  local tags = {}
  for t = 1, op.ntags do
    local tag = ARGV[op.first_tag + t - 1]
    tags[t] = tag
    redis.call('SADD', P .. ':t:' .. tag, key)
    redis.call('HINCRBY', P .. ':tags', tag, 1)
  end
  local version = new_version(P)
  redis.call('HSET', vkey, 'd', op.value, 'v', version, 'c', created, 'u', now_s, 'e',
             op.expires, 'r', op.raw, 'k', op.codec, 'g', pack_tags(tags))
  if op.expires ~= '0' then
    redis.call('ZADD', P .. ':x', op.expires, key)
  end
  redis.call('ZADD', P .. ':u', now_s, key)
  return existed, version
end

local function remove(op)
  if live_version(op.P, op.key) then
    unlink(op.P, op.key, now_s)
    return true, new_version(op.P)
  end
  unlink(op.P, op.key, 0)  -- an expired leftover: clean it up without a tombstone
  return false, 0
end

local function expire(op)
  local P, key = op.P, op.key
  if not live_version(P, key) then
    unlink(P, key, 0)
    return false, 0
  end
  local version = new_version(P)
  redis.call('HSET', P .. ':v:' .. key, 'e', op.expires, 'u', now_s, 'v', version)
  if op.expires ~= '0' then
    redis.call('ZADD', P .. ':x', op.expires, key)
  else
    redis.call('ZREM', P .. ':x', key)
  end
  redis.call('ZADD', P .. ':u', now_s, key)
  return true, version
end

local result = {1}
for _, op in ipairs(ops) do
  local existed, version = false, 0
  if op.kind == 'P' then
    existed, version = put(op)
  elseif op.kind == 'R' then
    existed, version = remove(op)
  elseif op.kind == 'E' then
    existed, version = expire(op)
  else
    existed = live_version(op.P, op.key) ~= nil
  end
  result[#result + 1] = existed and 1 or 0
  result[#result + 1] = tonumber(version)
end
return result
