-- Deletes every key of namespace KEYS[1] at ARGV[1] (ms), leaving tombstones. The write
-- generation survives (caches elsewhere must see the change). Returns how many keys were live.
local P, now_s, stamp = KEYS[1], ARGV[1], server_ms()
expect_types({[P .. ':k'] = 'zset', [P .. ':x'] = 'zset', [P .. ':d'] = 'zset',
              [P .. ':tags'] = 'hash', [P .. ':gen'] = 'string'})
local total = redis.call('ZCARD', P .. ':k')
local live = total - redis.call('ZCOUNT', P .. ':x', '-inf', now_s)
for s = 0, total - 1, 1000 do
  delete_with_tombstones(P, redis.call('ZRANGE', P .. ':k', s, s + 999), stamp)
end
for _, tag in ipairs(redis.call('HKEYS', P .. ':tags')) do
  redis.call('DEL', P .. ':t:' .. tag)
end
redis.call('DEL', P .. ':k', P .. ':x', P .. ':u', P .. ':tags')
redis.call('INCR', P .. ':gen')
return live
