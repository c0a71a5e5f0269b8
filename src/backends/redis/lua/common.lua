-- Prepended to every NADB script. P is one namespace's key prefix "<key_prefix>:{<db>:<ns>}";
-- the braces keep all of a namespace's keys in one Redis Cluster slot. Its keys:
--   P:m:<key>  the key's metadata: HEADER (version, created ms, updated ms, expires ms
--              (0: never), raw size, stored size, codec; big-endian), then its tags (each: 4-byte
--              big-endian length, then the bytes)
--   P:v:<key>  the stored value bytes
--   P:t:<tag>  set of the keys having the tag
--   P:tags     hash tag -> number of keys having it
--   P:x        zset key -> expiry ms (keys that expire)
--   P:k        zset of every key, all scores 0 (byte-ordered scans)
--   P:u        zset key -> server time (ms) of its last write (incremental backups)
--   P:d        zset deleted key -> server time (ms) of its delete (tombstones for them)
--   P:gen      write generation: bumped by every write, the source of versions
--   P:r        zset of the restores being built for this namespace (token -> server ms)
--   P:r:<token>:...  a restore being built: a namespace of its own (no :gen: its versions come
--              from P:gen), swapped in whole by swap.lua or dropped by drop.lua
-- Every script checks the type of each key it is about to write before writing anything, so
-- that a key not in this layout fails the script whole instead of half applied.

local HEADER = '>i8i8i8i8i8i8B'
local HEADER_SIZE = 49

-- The server's clock in ms: the change index is stamped with it, so that writers whose
-- clocks disagree cannot hide a change from an incremental backup.
local function server_ms()
  local t = redis.call('TIME')
  return string.format('%d', tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000))
end

-- Raises NADB's layout error unless key is absent or holds a `kind`.
local function expect_type(key, kind)
  local t = redis.call('TYPE', key)['ok']
  if t ~= 'none' and t ~= kind then
    error({err = 'NADBLAYOUT ' .. string.sub(key, 1, 200) .. ' holds a ' .. t ..
                 ' where NADB keeps a ' .. kind})
  end
end

-- expect_type for every key of a {key = kind} table.
local function expect_types(kinds)
  for key, kind in pairs(kinds) do
    expect_type(key, kind)
  end
end

-- A metadata string as NADB packs it, or the layout error.
local function expect_meta(key, m)
  if m and #m < HEADER_SIZE then
    error({err = 'NADBLAYOUT ' .. string.sub(key, 1, 200) .. ' is not NADB metadata'})
  end
  return m
end

local function is_expired(expires, now)
  return expires ~= 0 and expires <= now
end

-- A record's metadata as a table (tags stay packed), or nil for a missing key.
local function decode_meta(m)
  if not m then
    return nil
  end
  if #m < HEADER_SIZE then
    error({err = 'NADBLAYOUT a metadata key holds no NADB metadata'})
  end
  local version, created, updated, expires, raw, stored, codec = struct.unpack(HEADER, m)
  return {version = version, created = created, updated = updated, expires = expires,
          raw = raw, stored = stored, codec = codec, tags = string.sub(m, HEADER_SIZE + 1)}
end

local function encode_meta(r)
  return struct.pack(HEADER, r.version, r.created, r.updated, r.expires, r.raw, r.stored,
                     r.codec) .. r.tags
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

-- Runs `command [key] items...` over items in chunks (Lua's unpack has a stack limit).
-- step keeps pairs together (2 for score/member or key/value lists).
local function chunked(command, key, items, step)
  local size = 1000 * (step or 1)
  for s = 1, #items, size do
    local e = math.min(s + size - 1, #items)
    if key then
      redis.call(command, key, unpack(items, s, e))
    else
      redis.call(command, unpack(items, s, e))
    end
  end
end

-- ZADD every member with score 0.
local function add_all(dest, members)
  local pairs_ = {}
  for j, m in ipairs(members) do
    pairs_[2 * j - 1] = 0
    pairs_[2 * j] = m
  end
  chunked('ZADD', dest, pairs_, 2)
end

-- Deletes the metadata and values of keys of namespace P, each leaving a tombstone dated
-- stamp (the indexes and tag sets are the caller's).
local function delete_with_tombstones(P, keys, stamp)
  local doomed, tombstones = {}, {}
  for j, key in ipairs(keys) do
    doomed[2 * j - 1] = P .. ':m:' .. key
    doomed[2 * j] = P .. ':v:' .. key
    tombstones[2 * j - 1] = stamp
    tombstones[2 * j] = key
  end
  chunked('DEL', nil, doomed)
  chunked('ZADD', P .. ':d', tombstones, 2)
end

-- The writes unlink(P, key, ...) will make, as expected types (nothing written).
local function unlink_types(P, key, kinds)
  local meta = decode_meta(redis.call('GET', P .. ':m:' .. key))
  if not meta then
    return
  end
  for _, t in ipairs(unpack_tags(meta.tags)) do
    kinds[P .. ':t:' .. t] = 'set'
  end
  kinds[P .. ':tags'], kinds[P .. ':k'], kinds[P .. ':x'] = 'hash', 'zset', 'zset'
  kinds[P .. ':u'], kinds[P .. ':d'] = 'zset', 'zset'
end

-- Deletes key and every index entry of it, leaving a tombstone dated deleted_at (server ms):
-- every removal is a change an incremental backup must see.
local function unlink(P, key, deleted_at)
  local meta = decode_meta(redis.call('GET', P .. ':m:' .. key))
  if not meta then
    return false
  end
  for _, t in ipairs(unpack_tags(meta.tags)) do
    redis.call('SREM', P .. ':t:' .. t, key)
    if redis.call('HINCRBY', P .. ':tags', t, -1) <= 0 then
      redis.call('HDEL', P .. ':tags', t)
    end
  end
  redis.call('DEL', P .. ':m:' .. key, P .. ':v:' .. key)
  redis.call('ZREM', P .. ':k', key)
  redis.call('ZREM', P .. ':x', key)
  redis.call('ZREM', P .. ':u', key)
  redis.call('ZADD', P .. ':d', deleted_at, key)
  return true
end
