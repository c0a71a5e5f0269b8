-- Up to ARGV[3] + 1 keys of namespace KEYS[1] between the ZRANGEBYLEX bounds ARGV[1] and
-- ARGV[2], in byte order, skipping keys expired at ARGV[4] (ms). The extra key tells the
-- caller that another page exists.
local P, min, max = KEYS[1], ARGV[1], ARGV[2]
local want, now = tonumber(ARGV[3]) + 1, tonumber(ARGV[4])
local out = {}
while #out < want do
  local batch = redis.call('ZRANGEBYLEX', P .. ':k', min, max, 'LIMIT', 0, want - #out)
  if #batch == 0 then
    break
  end
  for _, key in ipairs(batch) do
    local expires = redis.call('ZSCORE', P .. ':x', key)
    if not expires or tonumber(expires) > now then
      out[#out + 1] = key
    end
  end
  min = '(' .. batch[#batch]
end
return out
