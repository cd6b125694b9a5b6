-- Token bucket, atomically, on Valkey's clock, optionally guarded by a generation marker.
-- KEYS[1]: the bucket hash; KEYS[2]: the generation marker of what the caller's capacity came from.
-- ARGV[1]: capacity (tokens), ARGV[2]: refill period (ms) in which `capacity` tokens come back,
-- ARGV[3]: the generation the caller holds, or '*' for an unguarded take (KEYS[2] is not read),
-- ARGV[4]: how many takes this call makes at once (absent: 1); each is allowed while a whole token
-- is left, exactly as that many calls one after the other would be.
-- When the marker is not ARGV[3], nothing is taken: the caller's copy is stale and must be read
-- again first. Returns {current (0|1), allowed (how many of the takes, 0..ARGV[4]), remaining
-- (whole tokens after them), retry_after_ms (when one was refused: until a token is back), generation}.
local generation = ''
if ARGV[3] ~= '*' then
  generation = redis.call('GET', KEYS[2]) or ''
  if generation ~= ARGV[3] then
    return { 0, 0, 0, 0, generation }
  end
end
local capacity = tonumber(ARGV[1])
local period = tonumber(ARGV[2])
local now_parts = redis.call('TIME')
local now = tonumber(now_parts[1]) * 1000 + math.floor(tonumber(now_parts[2]) / 1000)
local rate = capacity / period

local state = redis.call('HMGET', KEYS[1], 'tokens', 'updated_at')
local tokens = tonumber(state[1])
local updated_at = tonumber(state[2])
if tokens == nil or updated_at == nil then
  tokens = capacity
  updated_at = now
end
local elapsed = math.max(0, now - updated_at)
tokens = math.min(capacity, tokens + elapsed * rate)

local wanted = tonumber(ARGV[4] or '1')
local allowed = math.max(0, math.min(wanted, math.floor(tokens)))
tokens = tokens - allowed
local retry_after = 0
if allowed < wanted then
  retry_after = math.ceil((1 - tokens) / rate)
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'updated_at', tostring(now))
-- An idle bucket is full again after one period: let it expire then.
redis.call('PEXPIRE', KEYS[1], math.ceil(period * 2))
return { 1, allowed, math.floor(tokens), retry_after, generation }
