-- Deletes up to ARGV[2] keys of namespace KEYS[1] expired at ARGV[1] (ms), with their tag
-- memberships, and forgets tombstones older than ARGV[3] ms before the server's clock.
-- Returns how many were deleted.
local P = KEYS[1]
local keys = redis.call('ZRANGEBYSCORE', P .. ':x', '-inf', ARGV[1], 'LIMIT', 0, ARGV[2])
for _, key in ipairs(keys) do
  unlink(P, key, nil)
end
if #keys > 0 then
  redis.call('INCR', P .. ':gen')
end
redis.call('ZREMRANGEBYSCORE', P .. ':d', '-inf', '(' .. (tonumber(server_ms()) - tonumber(ARGV[3])))
return #keys
