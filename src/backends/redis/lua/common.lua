-- Prepended to every NADB script. P is one namespace's key prefix "<key_prefix>:{<db>:<ns>}";
-- the braces keep all of a namespace's keys in one Redis Cluster slot. Its keys:
--   P:v:<key>  hash: d value, v version, c created ms, u updated ms, e expires ms (0: never),
--              r raw size, k codec, g tags (each: 4-byte big-endian length, then the bytes)
--   P:t:<tag>  set of the keys having the tag
--   P:tags     hash tag -> number of keys having it
--   P:x        zset key -> expiry ms (keys that expire)
--   P:k        zset of every key, all scores 0 (byte-ordered scans)
--   P:u        zset key -> updated ms (updated_at ranges, incremental backups)
--   P:d        zset deleted key -> deleted ms (tombstones for incremental backups)
--   P:gen      write generation: bumped by every write, the source of versions
-- Numbers are stored as decimal strings (ms timestamps exceed Lua's %.14g formatting).

local function int(x)
  return string.format('%d', x)
end

local function is_expired(expires, now)
  return expires ~= 0 and expires <= now
end

local function unpack_tags(packed)
  local tags, pos = {}, 1
  while pos <= #packed do
    local n = struct.unpack('>I4', packed, pos)
    tags[#tags + 1] = string.sub(packed, pos + 4, pos + 3 + n)
    pos = pos + 4 + n
  end
  return tags
end

local function pack_tags(tags)
  local parts = {}
  for i, t in ipairs(tags) do
    parts[i] = struct.pack('>I4', #t) .. t
  end
  return table.concat(parts)
end

local function drop_tags(P, key, packed)
  for _, t in ipairs(unpack_tags(packed)) do
    redis.call('SREM', P .. ':t:' .. t, key)
    if redis.call('HINCRBY', P .. ':tags', t, -1) <= 0 then
      redis.call('HDEL', P .. ':tags', t)
    end
  end
end

-- Deletes key and every index entry of it; a tombstone dated deleted_at when it is not 0.
local function unlink(P, key, deleted_at)
  local vkey = P .. ':v:' .. key
  local packed = redis.call('HGET', vkey, 'g')
  if not packed then
    return false
  end
  drop_tags(P, key, packed)
  redis.call('DEL', vkey)
  redis.call('ZREM', P .. ':k', key)
  redis.call('ZREM', P .. ':x', key)
  redis.call('ZREM', P .. ':u', key)
  if deleted_at ~= 0 then
    redis.call('ZADD', P .. ':d', deleted_at, key)
  end
  return true
end

-- ZADD every member with score 0, in chunks (Lua's unpack has a stack limit).
local function add_all(dest, members)
  for s = 1, #members, 1000 do
    local args = {}
    for j = s, math.min(s + 999, #members) do
      args[#args + 1] = 0
      args[#args + 1] = members[j]
    end
    redis.call('ZADD', dest, unpack(args))
  end
end
