-- Replaces the keys of namespaces KEYS[1..n] with those of the restores built in
-- KEYS[n+1..2n] (their staging prefixes; ARGV[1] the restore's token), in one atomic step: a
-- reader sees all of the old keys or all of the restored ones. n is 1, or on one server every
-- shard of a sharded namespace (a cluster runs one script per shard: each is another slot).
-- Keys that go leave tombstones and every restored key counts as written now (incremental
-- backups see the restore as changes). The staging areas are gone afterwards. Returns how
-- many keys the namespaces hold. O(keys of both): restores are rare.
local n, token, stamp = #KEYS / 2, ARGV[1], server_ms()

-- Everything that could fail is checked for every namespace before anything is written.
local function check(P, S)
  expect_types({[P .. ':k'] = 'zset', [P .. ':x'] = 'zset', [P .. ':u'] = 'zset',
                [P .. ':d'] = 'zset', [P .. ':tags'] = 'hash', [P .. ':gen'] = 'string',
                [P .. ':r'] = 'zset', [S .. ':k'] = 'zset', [S .. ':tags'] = 'hash'})
  local new = redis.call('ZCARD', S .. ':k')
  for s = 0, new - 1, 1000 do  -- every restored key is whole: nothing can fail halfway below
    for _, key in ipairs(redis.call('ZRANGE', S .. ':k', s, s + 999)) do
      if redis.call('EXISTS', S .. ':m:' .. key, S .. ':v:' .. key) ~= 2 then
        error({err = 'NADBLAYOUT the restore being built lacks a part of ' ..
                     string.sub(key, 1, 200)})
      end
    end
  end
end

local function swap(P, S)
  local new = redis.call('ZCARD', S .. ':k')
  -- The keys of P that the restore does not hold: deleted, with tombstones.
  local old = redis.call('ZCARD', P .. ':k')
  for s = 0, old - 1, 1000 do
    local gone = {}
    for _, key in ipairs(redis.call('ZRANGE', P .. ':k', s, s + 999)) do
      if not redis.call('ZSCORE', S .. ':k', key) then
        gone[#gone + 1] = key
      end
    end
    delete_with_tombstones(P, gone, stamp)
  end
  for _, tag in ipairs(redis.call('HKEYS', P .. ':tags')) do
    redis.call('DEL', P .. ':t:' .. tag)
  end

  -- The restored keys take their place: values, metadata, tag sets and indexes move over.
  redis.call('DEL', P .. ':u')
  for s = 0, new - 1, 1000 do
    local keys = redis.call('ZRANGE', S .. ':k', s, s + 999)
    local written = {}
    for j, key in ipairs(keys) do
      redis.call('RENAME', S .. ':m:' .. key, P .. ':m:' .. key)
      redis.call('RENAME', S .. ':v:' .. key, P .. ':v:' .. key)
      written[2 * j - 1] = stamp
      written[2 * j] = key
    end
    chunked('ZADD', P .. ':u', written, 2)
    chunked('ZREM', P .. ':d', keys)
  end
  for _, tag in ipairs(redis.call('HKEYS', S .. ':tags')) do
    redis.call('RENAME', S .. ':t:' .. tag, P .. ':t:' .. tag)
  end
  for _, index in ipairs({':k', ':x', ':tags'}) do
    if redis.call('EXISTS', S .. index) == 1 then
      redis.call('RENAME', S .. index, P .. index)
    else
      redis.call('DEL', P .. index)
    end
  end
  redis.call('DEL', S .. ':u', S .. ':d')
  redis.call('ZREM', P .. ':r', token)
  redis.call('INCR', P .. ':gen')
  return new
end

for i = 1, n do
  check(KEYS[i], KEYS[n + i])
end
local total = 0
for i = 1, n do
  total = total + swap(KEYS[i], KEYS[n + i])
end
return total
