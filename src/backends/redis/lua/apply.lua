-- Applies one WriteBatch atomically. KEYS: the n namespace prefixes (names no key has: see
-- Script), then their n write generation keys (a staging namespace takes its versions from
-- the namespace it restores). ARGV: now ms, op count, n, then per op: kind (P put, R remove,
-- E expire, C check), namespace index (1-based), condition (N none, A absent, V version),
-- expected version, key, its metadata key, its value key, value, expires ms, metadata tail
-- (HEADER from the updated field on, packed by the client), packed tags, tag count, the
-- tags. Returns {1, existed, version, existed, version, ..., fresh} (fresh: 1 when a
-- generation key was created, i.e. a namespace was written for the first time or was wiped
-- by hand, and the client must register it again) or {0, index of the failed op (0-based)}.
-- The db's registry of namespaces is the client's: on a cluster it is in another slot.
--
-- A batch runs in three steps, so that n keys cost a few dozen Redis calls instead of several
-- per key: every touched key's metadata is read with one MGET; the ops are applied in order
-- to that state in Lua (conditions first, against the state before the batch); then the
-- difference between the first and the final state of each key is written with grouped
-- variadic commands. Lua is slow next to Redis's own commands, so the client prepares every
-- string it can and the loops below allocate as little as they can.
local now = tonumber(ARGV[1])
local stamp = server_ms()  -- the change index's clock (text: no reformatting)
local count = tonumber(ARGV[2])
local spaces = tonumber(ARGV[3])
for i = 1, spaces do
  expect_type(KEYS[spaces + i], 'string')
end
local bases = {}  -- ARGV index of each op's first field
do
  local i = 4
  for n = 1, count do
    bases[n] = i
    i = i + 12 + tonumber(ARGV[i + 11])
  end
end

-- The state of every touched key (by metadata key): its metadata before the batch (false:
-- absent), and now: metadata, expiry, created time, and the base of the put that wrote it.
local first, first_expires = {}, {}
local meta, expires, created, put_base = {}, {}, {}, {}
local ids, first_base = {}, {}
for n = 1, count do
  local id = ARGV[bases[n] + 5]
  if meta[id] == nil then
    meta[id] = false
    ids[#ids + 1] = id
    first_base[id] = bases[n]
  end
end
for s = 1, #ids, 1000 do
  local found = redis.call('MGET', unpack(ids, s, math.min(s + 999, #ids)))
  for j = 1, #found do
    local id, m = ids[s + j - 1], expect_meta(ids[s + j - 1], found[j])
    first[id], meta[id] = m, m
    if m then
      local _, c, _, e = struct.unpack('>i8i8i8i8', m)
      first_expires[id], expires[id], created[id] = e, e, c
    end
  end
end
local function live(id)
  return meta[id] and (expires[id] == 0 or expires[id] > now)
end

local live_before = {}  -- per op: its key was live before the batch (the op's `existed`)
for n = 1, count do
  local b = bases[n]
  local cond, id = ARGV[b + 2], ARGV[b + 5]
  live_before[n] = live(id)
  if cond ~= 'N' then
    local ok
    if cond == 'A' then
      ok = not live_before[n]
    else
      ok = live_before[n] and struct.unpack('>i8', meta[id]) == tonumber(ARGV[b + 3])
    end
    if not ok then
      return {0, n - 1}
    end
  end
end

local result = {1}
local versions = {}  -- per namespace: the last version handed out
local fresh = 0
for n = 1, count do
  local b = bases[n]
  local kind, id = ARGV[b], ARGV[b + 5]
  local existed, version = live(id), 0  -- live now, after the batch's earlier ops
  if kind ~= 'C' then
    local ns = tonumber(ARGV[b + 1])
    if kind == 'P' or existed then
      if not versions[ns] then  -- reserve one version per op of the batch
        versions[ns] = redis.call('INCRBY', KEYS[spaces + ns], count) - count
        if versions[ns] == 0 then
          fresh = 1
        end
      end
      versions[ns] = versions[ns] + 1
      version = versions[ns]
    end
    if kind == 'P' then
      local c = (existed and created[id] < now) and created[id] or now
      meta[id] = struct.pack('>i8i8', version, c) .. ARGV[b + 9] .. ARGV[b + 10]
      expires[id], created[id], put_base[id] = tonumber(ARGV[b + 8]), c, b
    elseif kind == 'R' or not existed then  -- an expired leftover goes too
      meta[id] = false
    else  -- E: new expiry, keeping value and tags
      expires[id] = tonumber(ARGV[b + 8])
      meta[id] = struct.pack('>i8i8i8i8', version, created[id], now, expires[id]) ..
                   string.sub(meta[id], 33)
    end
  end
  result[#result + 1] = live_before[n] and 1 or 0
  result[#result + 1] = version
end

-- Write the differences, grouped per namespace and per command.
local groups = {}
local kinds = {}  -- every key written below -> the type it must have (checked first)
local function group(P)
  local g = groups[P]
  if not g then
    kinds[P .. ':tags'] = 'hash'
    kinds[P .. ':k'], kinds[P .. ':u'], kinds[P .. ':x'], kinds[P .. ':d'] =
      'zset', 'zset', 'zset', 'zset'

    g = {P = P, mset = {}, del = {}, kadd = {}, krem = {}, uadd = {}, urem = {}, xadd = {},
         xrem = {}, dadd = {}, drem = {}, sadd = {}, srem = {}, counts = {}}
    groups[P] = g
  end
  return g
end
local function tag_change(g, list, tag, key, delta)
  local keys = list[tag]
  if not keys then
    keys = {}
    list[tag] = keys
    kinds[g.P .. ':t:' .. tag] = 'set'
  end
  keys[#keys + 1] = key
  g.counts[tag] = (g.counts[tag] or 0) + delta
end

for _, id in ipairs(ids) do
  local before, after = first[id], meta[id]
  if before ~= after then
    local b = first_base[id]
    local g, key = group(KEYS[tonumber(ARGV[b + 1])]), ARGV[b + 4]
    local old_tags = before and string.sub(before, 50) or ''
    local pb = put_base[id]
    if not after then
      local del = g.del
      del[#del + 1] = id
      del[#del + 1] = ARGV[b + 6]
      g.krem[#g.krem + 1] = key
      g.urem[#g.urem + 1] = key
      if first_expires[id] ~= 0 then
        g.xrem[#g.xrem + 1] = key
      end
      -- Every stored key that goes leaves a tombstone, live or expired: an incremental
      -- backup must see that it is gone.
      g.dadd[#g.dadd + 1] = stamp
      g.dadd[#g.dadd + 1] = key
    else
      local mset = g.mset
      mset[#mset + 1] = id
      mset[#mset + 1] = after
      if pb then
        mset[#mset + 1] = ARGV[pb + 6]
        mset[#mset + 1] = ARGV[pb + 7]
      end
      g.uadd[#g.uadd + 1] = stamp
      g.uadd[#g.uadd + 1] = key
      if expires[id] ~= 0 then
        g.xadd[#g.xadd + 1] = expires[id]
        g.xadd[#g.xadd + 1] = key
      elseif before and first_expires[id] ~= 0 then
        g.xrem[#g.xrem + 1] = key
      end
      if not before then
        g.kadd[#g.kadd + 1] = '0'
        g.kadd[#g.kadd + 1] = key
        g.drem[#g.drem + 1] = key
      end
    end
    local new_tags = (after and pb) and ARGV[pb + 10] or (after and old_tags or '')
    if new_tags ~= old_tags then
      local keep = {}
      if pb and after then
        for t = pb + 12, pb + 11 + tonumber(ARGV[pb + 11]) do
          keep[ARGV[t]] = true
        end
      end
      if before then
        for _, t in ipairs(unpack_tags(old_tags)) do
          if keep[t] then
            keep[t] = false  -- kept: nothing to do
          else
            tag_change(g, g.srem, t, key, -1)
          end
        end
      end
      for t, added in pairs(keep) do
        if added then
          tag_change(g, g.sadd, t, key, 1)
        end
      end
    end
  end
end

expect_types(kinds)
for P, g in pairs(groups) do
  chunked('MSET', nil, g.mset, 2)
  chunked('DEL', nil, g.del)
  chunked('ZADD', P .. ':k', g.kadd, 2)
  chunked('ZREM', P .. ':k', g.krem)
  chunked('ZADD', P .. ':u', g.uadd, 2)
  chunked('ZREM', P .. ':u', g.urem)
  chunked('ZADD', P .. ':x', g.xadd, 2)
  chunked('ZREM', P .. ':x', g.xrem)
  chunked('ZADD', P .. ':d', g.dadd, 2)
  chunked('ZREM', P .. ':d', g.drem)
  for tag, keys in pairs(g.srem) do
    chunked('SREM', P .. ':t:' .. tag, keys)
  end
  for tag, keys in pairs(g.sadd) do
    chunked('SADD', P .. ':t:' .. tag, keys)
  end
  for tag, delta in pairs(g.counts) do
    if delta ~= 0 and redis.call('HINCRBY', P .. ':tags', tag, delta) <= 0 then
      redis.call('HDEL', P .. ':tags', tag)
    end
  end
end
result[#result + 1] = fresh
return result
