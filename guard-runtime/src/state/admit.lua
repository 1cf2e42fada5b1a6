-- One batch's admission, atomic. KEYS[1] is the session hash; KEYS[2..]
-- are the rate buckets of the calls, in order.
-- ARGV: session ttl (ms), session_calls limit, per-tool limit (0 = none),
-- call count, then per call: tool, counts (0/1), rate count, and per rate
-- its emission interval (us) and burst; then the source labels wanted
-- (count, labels) and the tools whose standing decision is wanted.
-- Returns per call a code and a value (0 admitted, 1 admitted holding a
-- quota place, 2 rate-limited with the wait in us, 3 session_calls or
-- 4 session_calls_per_tool with the limit), then each source's age in ms
-- (-1 if never), then each standing decision (false if none).
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local session = KEYS[1]
local ttl = tonumber(ARGV[1])
local total_limit = tonumber(ARGV[2])
local tool_limit = tonumber(ARGV[3])
local calls = tonumber(ARGV[4])
local a = 5
local k = 2
local out = {}
local wrote = false
for _ = 1, calls do
  local tool = ARGV[a]
  local counts = ARGV[a + 1] == '1'
  local rates = tonumber(ARGV[a + 2])
  a = a + 3
  local wait = 0
  local tats = {}
  for r = 1, rates do
    local interval = tonumber(ARGV[a])
    local burst = tonumber(ARGV[a + 1])
    a = a + 2
    local tat = tonumber(redis.call('GET', KEYS[k + r - 1])) or now
    if tat < now then tat = now end
    local allow_at = tat + interval - burst * interval
    if allow_at > now and allow_at - now > wait then wait = allow_at - now end
    tats[r] = tat + interval
  end
  if wait > 0 then
    out[#out + 1] = 2
    out[#out + 1] = wait
  else
    for r = 1, rates do
      local expire = math.ceil((tats[r] - now) / 1000) + 1
      redis.call('SET', KEYS[k + r - 1], string.format('%.0f', tats[r]), 'PX', expire)
    end
    local code, value = 0, 0
    if counts and (total_limit > 0 or tool_limit > 0) then
      local total = tonumber(redis.call('HGET', session, 'n')) or 0
      local used = tonumber(redis.call('HGET', session, 'n:' .. tool)) or 0
      if total_limit > 0 and total >= total_limit then
        code, value = 3, total_limit
      elseif tool_limit > 0 and used >= tool_limit then
        code, value = 4, tool_limit
      else
        redis.call('HINCRBY', session, 'n', 1)
        redis.call('HINCRBY', session, 'n:' .. tool, 1)
        code = 1
        wrote = true
      end
    end
    out[#out + 1] = code
    out[#out + 1] = value
  end
  k = k + rates
end
if wrote then redis.call('PEXPIRE', session, ttl) end
local sources = tonumber(ARGV[a])
a = a + 1
for _ = 1, sources do
  local at = tonumber(redis.call('HGET', session, 's:' .. ARGV[a]))
  if at then
    local age = math.floor((now - at) / 1000)
    if age < 0 then age = 0 end
    out[#out + 1] = age
  else
    out[#out + 1] = -1
  end
  a = a + 1
end
local standing = tonumber(ARGV[a])
a = a + 1
for _ = 1, standing do
  out[#out + 1] = redis.call('HGET', session, 'a:' .. ARGV[a])
  a = a + 1
end
return out
