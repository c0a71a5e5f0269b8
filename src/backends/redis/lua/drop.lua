-- Deletes up to 1000 keys of the staging area KEYS[2] of namespace KEYS[1] (token ARGV[1]),
-- and the area itself once it is empty. Returns how many keys remain (call until 0).
local P, S = KEYS[1], KEYS[2]
expect_types({[S .. ':k'] = 'zset', [S .. ':tags'] = 'hash', [P .. ':r'] = 'zset'})
local keys = redis.call('ZRANGE', S .. ':k', 0, 999)
local doomed = {}
for j, key in ipairs(keys) do
  doomed[2 * j - 1] = S .. ':m:' .. key
  doomed[2 * j] = S .. ':v:' .. key
end
chunked('DEL', nil, doomed)
chunked('ZREM', S .. ':k', keys)
local left = redis.call('ZCARD', S .. ':k')
if left == 0 then
  for _, tag in ipairs(redis.call('HKEYS', S .. ':tags')) do
    redis.call('DEL', S .. ':t:' .. tag)
  end
  redis.call('DEL', S .. ':k', S .. ':x', S .. ':u', S .. ':d', S .. ':tags')
  redis.call('ZREM', P .. ':r', ARGV[1])
end
return left
