-- Deletes up to ARGV[1] keys of namespace KEYS[1] that have expired by the server's clock
-- (never a client's: one whose clock runs ahead must not delete what others still see), each
-- with its tag memberships and a tombstone (an incremental backup must see the removal), and
-- forgets tombstones older than ARGV[2] ms. Returns how many were deleted.
local P, stamp = KEYS[1], server_ms()
local keys = redis.call('ZRANGEBYSCORE', P .. ':x', '-inf', stamp, 'LIMIT', 0, ARGV[1])
local kinds = {[P .. ':d'] = 'zset', [P .. ':gen'] = 'string'}
for _, key in ipairs(keys) do
  unlink_types(P, key, kinds)
end
expect_types(kinds)
for _, key in ipairs(keys) do
  unlink(P, key, stamp)
end
if #keys > 0 then
  redis.call('INCR', P .. ':gen')
end
redis.call('ZREMRANGEBYSCORE', P .. ':d', '-inf', '(' .. (tonumber(stamp) - tonumber(ARGV[2])))
return #keys
