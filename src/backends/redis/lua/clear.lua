-- Deletes every key of namespace KEYS[1] at ARGV[1] (ms), leaving tombstones. The write
-- generation survives (caches elsewhere must see the change). Returns how many keys were live.
local P, now_s = KEYS[1], ARGV[1]
local total = redis.call('ZCARD', P .. ':k')
local live = total - redis.call('ZCOUNT', P .. ':x', '-inf', now_s)
for s = 0, total - 1, 1000 do
  local keys = redis.call('ZRANGE', P .. ':k', s, s + 999)
  local tombstones = {}
  for j, key in ipairs(keys) do
    redis.call('DEL', P .. ':v:' .. key)
    tombstones[2 * j - 1] = now_s
    tombstones[2 * j] = key
  end
  if #keys > 0 then
    redis.call('ZADD', P .. ':d', unpack(tombstones))
  end
end
for _, tag in ipairs(redis.call('HKEYS', P .. ':tags')) do
  redis.call('DEL', P .. ':t:' .. tag)
end
redis.call('DEL', P .. ':k', P .. ':x', P .. ':u', P .. ':tags')
redis.call('INCR', P .. ':gen')
return live
