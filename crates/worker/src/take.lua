-- The take: moves a batch from the queue into this worker's processing list,
-- stamping each vote with its place in the order Redis accepted the votes.
--
-- KEYS: 1 queue, 2 processing list, 3 heartbeat, 4 sequence counter, 5 dead letters
-- ARGV: 1 token, 2 most messages, 3 most bytes, 4 longest message,
--       5 dead-letter prefix bytes, 6 worker id, 7 '1': keep what is held
--       (a take while the batch before it commits) instead of taking it again
-- Returns {status, dead-lettered, stamped messages}; status 1: the heartbeat is
-- not this process' (fenced), 2: the counter is missing (the caller sets it
-- from the table first); nothing is taken then.
if redis.call('GET', KEYS[3]) ~= ARGV[1] then return {1, 0, {}} end
local counter = redis.call('GET', KEYS[4])
if not counter then return {2, 0, {}} end
counter = tonumber(counter)

-- What this worker still holds (a restart, a failed acknowledgement) goes
-- back to the head of the queue, in order, and is taken again by the rules
-- below; unless the worker is committing it now and takes more behind it.
if ARGV[7] ~= '1' then
  for _ = 1, redis.call('LLEN', KEYS[2]) do
    redis.call('LMOVE', KEYS[2], KEYS[1], 'RIGHT', 'LEFT')
  end
end

local most, budget, longest = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local next_seq = counter

-- A message keeps a stamp it already has (it was taken before and handed
-- back) unless that stamp was never handed out. Otherwise a stamp is added
-- as the object's last member: JSON readers keep the last of repeated keys.
local function stamp(m)
  local last, close = string.byte(m, -1), #m
  if last ~= 125 then
    while close > 0 and string.find(string.sub(m, close, close), '%s') do close = close - 1 end
    if string.sub(m, close, close) ~= '}' then return m end
  end
  if string.find(m, '"queue_seq"', -48, true) then
    local s = string.match(string.sub(m, -48), '[{,]%s*"queue_seq"%s*:%s*(%d+)%s*}%s*$')
    if s and tonumber(s) >= 1 and tonumber(s) <= counter then return m end
  end
  if not string.find(m, '^%s*{') then return m end
  next_seq = next_seq + 1
  local sep = string.find(m, '^%s*{%s*}%s*$') and '' or ','
  return string.sub(m, 1, close - 1) .. sep .. '"queue_seq":' .. string.format('%d', next_seq)
    .. string.sub(m, close)
end

-- Keeps valid UTF-8 and replaces any other byte with U+FFFD, so that the
-- dead letter is valid JSON text.
local function lossy(s)
  local out, i, n = {}, 1, #s
  while i <= n do
    local b = string.byte(s, i)
    local len, lo, hi = 0, 0x80, 0xBF
    if b < 0x80 then len = 1
    elseif b >= 0xC2 and b <= 0xDF then len = 2
    elseif b >= 0xE0 and b <= 0xEF then len = 3
      if b == 0xE0 then lo = 0xA0 elseif b == 0xED then hi = 0x9F end
    elseif b >= 0xF0 and b <= 0xF4 then len = 4
      if b == 0xF0 then lo = 0x90 elseif b == 0xF4 then hi = 0x8F end
    end
    local ok = len > 0 and i + len - 1 <= n
    for k = 1, len - 1 do
      if not ok then break end
      local c = string.byte(s, i + k)
      if k == 1 then ok = c >= lo and c <= hi else ok = c >= 0x80 and c <= 0xBF end
    end
    if ok then
      out[#out + 1] = string.sub(s, i, i + len - 1)
      i = i + len
    else
      out[#out + 1] = '\239\191\189'
      i = i + 1
    end
  end
  return table.concat(out)
end

local function dead_letter(m)
  local now = redis.call('TIME')
  local size = string.format('%d', #m)
  local prefix = lossy(string.sub(m, 1, tonumber(ARGV[5])))
  local letter = '{"reason":' .. cjson.encode('message is ' .. size .. ' bytes, more than the limit of '
      .. ARGV[4] .. '; the first ' .. ARGV[5] .. ' bytes are kept')
    .. ',"message":' .. cjson.encode(prefix)
    .. ',"worker":' .. cjson.encode(ARGV[6])
    .. ',"at":' .. now[1] .. string.format('%06d', tonumber(now[2]))
    .. ',"size":' .. size .. '}'
  redis.call('RPUSH', KEYS[5], letter)
end

local items, bytes, popped, dead, full = {}, 0, 0, 0, false
-- Messages are read a few at a time, as many as the bytes left seem to allow,
-- so that huge ones are never all in memory at once.
while popped < most and not full do
  local guess = 1
  if popped > 0 then guess = math.max(1, math.floor((budget - bytes) * popped / bytes)) end
  local chunk = redis.call('LRANGE', KEYS[1], popped, popped + math.min(guess, most - popped) - 1)
  if #chunk == 0 then break end
  for _, m in ipairs(chunk) do
    if popped > 0 and bytes + #m > budget then full = true break end
    popped = popped + 1
    bytes = bytes + #m
    if #m > longest then
      dead_letter(m)
      dead = dead + 1
    else
      items[#items + 1] = stamp(m)
    end
  end
end
if popped > 0 then redis.call('LTRIM', KEYS[1], popped, -1) end
if #items > 0 then redis.call('RPUSH', KEYS[2], unpack(items)) end
if next_seq > counter then redis.call('INCRBY', KEYS[4], next_seq - counter) end
return {0, dead, items}
