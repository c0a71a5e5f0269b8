-- Deletes every key of namespaces KEYS[1..n] at ARGV[1] (ms), leaving tombstones, in one
-- atomic step. n is 1, or on one server every shard of a sharded namespace (a cluster runs one
-- script per shard: each is another slot). The write generations survive (caches elsewhere
-- must see the change). Returns how many keys were live.
local now_s, stamp = ARGV[1], server_ms()
for _, P in ipairs(KEYS) do
  expect_types({[P .. ':k'] = 'zset', [P .. ':x'] = 'zset', [P .. ':d'] = 'zset',
                [P .. ':tags'] = 'hash', [P .. ':gen'] = 'string'})
end
local live = 0
for _, P in ipairs(KEYS) do
  local total = redis.call('ZCARD', P .. ':k')
  live = live + total - redis.call('ZCOUNT', P .. ':x', '-inf', now_s)
  for s = 0, total - 1, 1000 do
    delete_with_tombstones(P, redis.call('ZRANGE', P .. ':k', s, s + 999), stamp)
  end
  for _, tag in ipairs(redis.call('HKEYS', P .. ':tags')) do
    redis.call('DEL', P .. ':t:' .. tag)
  end
  redis.call('DEL', P .. ':k', P .. ':x', P .. ':u', P .. ':tags')
  redis.call('INCR', P .. ':gen')
end
return live
