-- Gives back quota places and records data-flow sources, atomic.
-- KEYS[1] is the session hash. ARGV: session ttl (ms), release count, the
-- tools whose place is given back, then the source labels admitted now.
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local session = KEYS[1]
local releases = tonumber(ARGV[2])
for i = 3, 2 + releases do
  if (tonumber(redis.call('HGET', session, 'n')) or 0) > 0 then
    redis.call('HINCRBY', session, 'n', -1)
  end
  local field = 'n:' .. ARGV[i]
  if (tonumber(redis.call('HGET', session, field)) or 0) > 0 then
    redis.call('HINCRBY', session, field, -1)
  end
end
for i = 3 + releases, #ARGV do
  redis.call('HSET', session, 's:' .. ARGV[i], string.format('%.0f', now))
end
redis.call('PEXPIRE', session, tonumber(ARGV[1]))
return 0
