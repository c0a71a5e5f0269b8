-- Evaluates a query over namespace KEYS[1] at ARGV[1] (ms) and returns one page of it:
-- {total, write generation, next expiry ms after now (0: none), {keys of the page}}.
-- ARGV[2] offset, ARGV[3] count (-1: all), then the query in prefix form:
--   T tag | P lexmin lexmax (key prefix) | K key | R field min max | N q | A n q... | O n q...
-- R fields: expires (from P:x); raw, created and updated (read from every key's metadata:
-- P:u is stamped by the server's clock, metadata times by the writer's).
-- Sets are combined with Z*STORE into temporary zsets under P:q:, all scores 0 so that
-- ZRANGE returns keys in byte order; the temporaries are deleted before returning.
local P, now_s = KEYS[1], ARGV[1]
local offset, count = tonumber(ARGV[2]), tonumber(ARGV[3])
expect_types({[P .. ':k'] = 'zset', [P .. ':x'] = 'zset'})
local pos = 4
local temps = {}

local function temp()
  local name = P .. ':q:' .. (#temps + 1)
  temps[#temps + 1] = name
  return name
end

local function next_arg()
  pos = pos + 1
  return ARGV[pos - 1]
end

-- Keys whose metadata field (raw or created) lies in [min, max]: a pass over every key.
local function filter_all(dest, field, min, max)
  local total = redis.call('ZCARD', P .. ':k')
  local hits = {}
  for s = 0, total - 1, 1000 do
    local keys = redis.call('ZRANGE', P .. ':k', s, s + 999)
    local ids = {}
    for j, key in ipairs(keys) do
      ids[j] = P .. ':m:' .. key
    end
    if #ids > 0 then
      for j, m in ipairs(redis.call('MGET', unpack(ids))) do
        local meta = decode_meta(m)
        local v = meta and meta[field]
        if v and v >= min and v <= max then
          hits[#hits + 1] = keys[j]
        end
      end
    end
  end
  add_all(dest, hits)
end

-- Returns the key of a set or zset holding the matches of the next subquery.
local eval
eval = function()
  local kind = next_arg()
  if kind == 'T' then
    local set = P .. ':t:' .. next_arg()
    expect_type(set, 'set')
    return set
  end
  local dest = temp()
  if kind == 'P' then
    local min = next_arg()
    add_all(dest, redis.call('ZRANGEBYLEX', P .. ':k', min, next_arg()))
  elseif kind == 'K' then
    local key = next_arg()
    if redis.call('ZSCORE', P .. ':k', key) then
      redis.call('ZADD', dest, 0, key)
    end
  elseif kind == 'R' then
    local field, min, max = next_arg(), next_arg(), next_arg()
    if field == 'expires' then
      add_all(dest, redis.call('ZRANGEBYSCORE', P .. ':x', min, max))
    else
      filter_all(dest, field, tonumber(min), tonumber(max))
    end
  elseif kind == 'N' then
    local child = eval()
    redis.call('ZDIFFSTORE', dest, 2, P .. ':k', child)
  else
    local n = tonumber(next_arg())
    local children = {}
    for _ = 1, n do
      children[#children + 1] = eval()
    end
    -- Combined 500 at a time into dest (Lua's unpack has a stack limit; a query may name
    -- thousands of tags or keys).
    for s = 1, n, 500 do
      local inputs = {}
      if s > 1 then
        inputs[1] = dest
      end
      for i = s, math.min(s + 499, n) do
        inputs[#inputs + 1] = children[i]
      end
      local args = {dest, #inputs}
      for _, input in ipairs(inputs) do
        args[#args + 1] = input
      end
      args[#args + 1] = 'WEIGHTS'
      for _ = 1, #inputs do
        args[#args + 1] = 0
      end
      redis.call(kind == 'A' and 'ZINTERSTORE' or 'ZUNIONSTORE', unpack(args))
    end
  end
  return dest
end

-- A failure (a key not in NADB's layout) must not leave temporaries behind.
local ok, result = pcall(eval)
if not ok then
  chunked('DEL', nil, temps)
  error(result)
end
if #temps == 0 then  -- a bare tag: copy its set, which must not change
  local copy = temp()
  redis.call('ZUNIONSTORE', copy, 1, result, 'WEIGHTS', 0)
  result = copy
end
local expired = redis.call('ZRANGEBYSCORE', P .. ':x', '-inf', now_s)
for s = 1, #expired, 1000 do
  redis.call('ZREM', result, unpack(expired, s, math.min(s + 999, #expired)))
end
local total = redis.call('ZCARD', result)
local keys = {}
if count < 0 then
  keys = redis.call('ZRANGE', result, 0, -1)
elseif count > 0 then
  keys = redis.call('ZRANGE', result, offset, offset + count - 1)
end
local later = redis.call('ZRANGEBYSCORE', P .. ':x', '(' .. now_s, '+inf', 'WITHSCORES', 'LIMIT',
                         0, 1)
local generation = redis.call('GET', P .. ':gen') or '0'
chunked('DEL', nil, temps)
-- Expiry instants are integers below 2^53 (the backend refuses others): printed as integers.
return {total, generation, later[2] and string.format('%d', tonumber(later[2])) or '0', keys}
