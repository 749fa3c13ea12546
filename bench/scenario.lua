-- One wrk script for every bench scenario; bench/loadgen.py passes its arguments after "--" as
-- key=value pairs:
--   mode=get|create|vote|login   what each request is
--   paths=FILE                   (get) request paths, one per line, cycled
--   ids=FILE                     (vote) post ids, one per line
--   tokens=FILE                  bearer tokens, one per line (rotated); absent: anonymous
--   users=FILE                   (login) usernames, one per line
--   password=STRING              (login) every bench user's password
--   threads=N                    wrk's -t, so each thread takes its own share of the sequence
--   base=N                       (vote, create) where this run's sequence starts, so (user, post)
--                                pairs never repeat across runs: most votes are new votes
-- done() prints one line "BENCH_RESULT {json}" with throughput, latency percentiles (microseconds),
-- wrk's error counters and the count of each HTTP status seen.

local cfg = {}
local paths, tokens, ids, users = {}, {}, {}, {}
local prepared = {}
local counter = 0
-- A global, not a local: done() reads each thread's copy with thread:get("statuses").
statuses = {}

local function read_lines(name)
  local lines = {}
  if name == nil or name == "" then
    return lines
  end
  local file = assert(io.open(name, "r"))
  for line in file:lines() do
    if line ~= "" then
      lines[#lines + 1] = line
    end
  end
  file:close()
  return lines
end

local function bearer(index)
  if #tokens == 0 then
    return {}
  end
  return { ["Authorization"] = "Bearer " .. tokens[(index % #tokens) + 1] }
end

local function urlencode(value)
  return (value:gsub("[^%w%-_%.~]", function(c)
    return string.format("%%%02X", string.byte(c))
  end))
end

-- ---------------------------------------------------------------------------------------------
-- setup/done run in wrk's main Lua state; init/request/response run in each thread's own state.

local threads = {}

function setup(thread)
  thread:set("tid", #threads)
  threads[#threads + 1] = thread
end

function init(args)
  for _, arg in ipairs(args) do
    local key, value = arg:match("^([%w_]+)=(.*)$")
    if key then
      cfg[key] = value
    end
  end
  cfg.threads = tonumber(cfg.threads or "1")
  cfg.base = tonumber(cfg.base or "0")
  tokens = read_lines(cfg.tokens)
  if cfg.mode == "get" then
    paths = read_lines(cfg.paths)
    -- Pre-built requests: building one per call costs wrk CPU the services need.
    local count = math.max(#paths, #tokens)
    for i = 0, count - 1 do
      local path = paths[(i % #paths) + 1]
      prepared[#prepared + 1] = wrk.format("GET", path, bearer(i), nil)
    end
  elseif cfg.mode == "vote" then
    ids = read_lines(cfg.ids)
  elseif cfg.mode == "login" then
    users = read_lines(cfg.users)
    local password = urlencode(cfg.password or "")
    local headers = { ["Content-Type"] = "application/x-www-form-urlencoded" }
    for i, name in ipairs(users) do
      local body = "username=" .. urlencode(name) .. "&password=" .. password
      prepared[i] = wrk.format("POST", "/api/v1/auth/login", headers, body)
    end
  end
  counter = tid
end

local words = {
  "latency", "queue", "event", "outbox", "gateway", "token", "postgres", "index", "cursor", "vote",
  "feed", "cache", "worker", "replica", "schema", "migration", "relay", "consumer", "broker", "page",
}

local function post_body(k)
  local parts = {}
  local length = 20 + (k % 60)
  for i = 1, length do
    parts[i] = words[((k * 7 + i * 13) % #words) + 1]
  end
  return string.format('{"title":"bench post %d","content":"%s","published":true}', k, table.concat(parts, " "))
end

-- Which (user, post) a global sequence number votes with; bench/seed.py uses the same formula, so
-- seed votes and scenario votes never collide. 7919 and 101 are coprime with the post count.
local function vote_pair(k)
  local nusers = #tokens
  local user = k % nusers
  local round = math.floor(k / nusers)
  local post = (round * 7919 + user * 101) % #ids
  return user, post
end

function request()
  local k = counter
  counter = counter + cfg.threads
  if cfg.mode == "get" or cfg.mode == "login" then
    return prepared[(k % #prepared) + 1]
  end
  local seq = cfg.base + k
  if cfg.mode == "create" then
    local headers = bearer(seq)
    headers["Content-Type"] = "application/json"
    return wrk.format("POST", "/api/v1/posts", headers, post_body(seq))
  end
  -- vote
  local user, post = vote_pair(seq)
  return wrk.format("PUT", "/api/v1/votes/" .. ids[post + 1], bearer(user), nil)
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

-- ---------------------------------------------------------------------------------------------

local function json_object(map)
  local parts = {}
  for key, value in pairs(map) do
    parts[#parts + 1] = string.format('"%s":%s', tostring(key), tostring(value))
  end
  return "{" .. table.concat(parts, ",") .. "}"
end

function done(summary, latency, requests)
  local seen = {}
  for _, thread in ipairs(threads) do
    local counts = thread:get("statuses") or {}
    for status, count in pairs(counts) do
      seen[status] = (seen[status] or 0) + count
    end
  end
  local percentiles = {}
  for _, p in ipairs({ 50, 75, 90, 95, 99, 99.9 }) do
    percentiles[string.format("p%s", tostring(p))] = latency:percentile(p)
  end
  local result = {
    duration_us = summary.duration,
    requests = summary.requests,
    bytes = summary.bytes,
    latency_min_us = latency.min,
    latency_max_us = latency.max,
    latency_mean_us = string.format("%.1f", latency.mean),
    latency_stdev_us = string.format("%.1f", latency.stdev),
    percentiles_us = json_object(percentiles),
    errors = json_object(summary.errors),
    statuses = json_object(seen),
  }
  io.write("BENCH_RESULT " .. json_object(result) .. "\n")
end
