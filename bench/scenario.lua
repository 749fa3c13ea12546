-- One wrk script for every bench scenario; bench/loadgen.py passes its arguments after "--" as
-- key=value pairs:
--   mode=get|create|vote|toggle|login   what each request is (toggle: cast a vote on a random
--                                post with a random token, then retract the same vote)
--   paths=FILE                   (get) request paths, one per line, cycled
--   random=1                     (get) paths in a random order instead (seeded per thread)
--   seed=N                       (random, toggle) the random sequence (each thread adds its id)
--   follow=N                     (get) one request in N reads page 2: the next_cursor of a page-1
--                                answer this thread got, with the next token (the `mixed` readers)
--   ids=FILE                     (vote, toggle) post ids, one per line
--   tokens=FILE                  bearer tokens, one per line (rotated); absent: anonymous
--   users=FILE                   (login) usernames, one per line
--   password=STRING              (login) every bench user's password
--   threads=N                    wrk's -t, so each thread takes its own share of the sequence
--   base=N                       (vote, create) where this run's sequence starts, so (user, post)
--                                pairs never repeat across runs: most votes are new votes
-- done() prints one line "BENCH_RESULT {json}" with throughput, latency percentiles (microseconds),
-- wrk's error counters, the count of each HTTP status seen, how many page-2 reads were sent (follow)
-- and a dense list of latency quantiles (to merge several wrk processes' latencies into one).

local cfg = {}
local paths, tokens, ids, users = {}, {}, {}, {}
local prepared = {}
local counter = 0
-- Globals, not locals: done() reads each thread's copy with thread:get("statuses").
statuses = {}
followed = 0
-- follow: the page-1 answers are told from the page-2 ones by the X-Request-ID every service echoes.
local PAGE1_ID, PAGE2_ID = "bench-feed-page1", "bench-feed-page2"
local next_cursor = nil
local calls = 0
-- toggle: the (token, post) of the vote cast last, retracted by the next request.
local pending = nil

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

local function with_header(headers, name, value)
  headers[name] = value
  return headers
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
  cfg.follow = tonumber(cfg.follow or "0")
  cfg.random = cfg.random == "1"
  tokens = read_lines(cfg.tokens)
  math.randomseed(tonumber(cfg.seed or "1000") + tid)
  if cfg.mode == "get" then
    paths = read_lines(cfg.paths)
    -- Pre-built requests: building one per call costs wrk CPU the services need.
    local count = math.max(#paths, #tokens)
    for i = 0, count - 1 do
      local path = paths[(i % #paths) + 1]
      local headers = bearer(i)
      if cfg.follow > 0 then
        headers = with_header(headers, "X-Request-ID", PAGE1_ID)
      end
      prepared[#prepared + 1] = wrk.format("GET", path, headers, nil)
    end
  elseif cfg.mode == "vote" or cfg.mode == "toggle" then
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

local function page_two(k)
  local headers = with_header(bearer(k), "X-Request-ID", PAGE2_ID)
  local path = paths[(k % #paths) + 1]
  local sep = path:find("?", 1, true) and "&" or "?"
  return wrk.format("GET", path .. sep .. "cursor=" .. urlencode(next_cursor), headers, nil)
end

local function toggle()
  if pending == nil then
    pending = { math.random(#tokens) - 1, ids[math.random(#ids)] }
    return wrk.format("PUT", "/api/v1/votes/" .. pending[2], bearer(pending[1]), nil)
  end
  local user, post = pending[1], pending[2]
  pending = nil
  return wrk.format("DELETE", "/api/v1/votes/" .. post, bearer(user), nil)
end

function request()
  local k = counter
  counter = counter + cfg.threads
  calls = calls + 1
  if cfg.mode == "get" then
    if cfg.follow > 0 and next_cursor ~= nil and calls % cfg.follow == 0 then
      followed = followed + 1
      return page_two(k)
    end
    if cfg.random then
      return prepared[math.random(#prepared)]
    end
    return prepared[(k % #prepared) + 1]
  end
  if cfg.mode == "login" then
    return prepared[(k % #prepared) + 1]
  end
  if cfg.mode == "toggle" then
    return toggle()
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

local function request_id(headers)
  for name, value in pairs(headers) do
    if name:lower() == "x-request-id" then
      return value
    end
  end
  return nil
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
  if cfg.follow > 0 and status == 200 and request_id(headers) == PAGE1_ID then
    local cursor = body:match('"next_cursor":"([^"]+)"')
    if cursor ~= nil then
      next_cursor = cursor
    end
  end
end

-- ---------------------------------------------------------------------------------------------

local function json_object(map)
  local parts = {}
  for key, value in pairs(map) do
    parts[#parts + 1] = string.format('"%s":%s', tostring(key), tostring(value))
  end
  return "{" .. table.concat(parts, ",") .. "}"
end

-- Quantile points for merging processes: every 1% to 99%, then 99.1 .. 99.9, 99.91 .. 99.99.
local function quantile_points()
  local points = {}
  for p = 1, 99 do
    points[#points + 1] = p
  end
  for i = 1, 9 do
    points[#points + 1] = 99 + i / 10
  end
  for i = 1, 9 do
    points[#points + 1] = 99.9 + i / 100
  end
  return points
end

function done(summary, latency, requests)
  local seen = {}
  local pages_two = 0
  for _, thread in ipairs(threads) do
    local counts = thread:get("statuses") or {}
    for status, count in pairs(counts) do
      seen[status] = (seen[status] or 0) + count
    end
    pages_two = pages_two + (thread:get("followed") or 0)
  end
  local percentiles = {}
  for _, p in ipairs({ 50, 75, 90, 95, 99, 99.9 }) do
    percentiles[string.format("p%s", tostring(p))] = latency:percentile(p)
  end
  local quantiles = {}
  if summary.requests > 0 then
    quantiles[1] = string.format("[0,%d]", latency.min)
    for _, p in ipairs(quantile_points()) do
      quantiles[#quantiles + 1] = string.format("[%s,%d]", tostring(p), latency:percentile(p))
    end
    quantiles[#quantiles + 1] = string.format("[100,%d]", latency.max)
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
    followed = pages_two,
    quantiles_us = "[" .. table.concat(quantiles, ",") .. "]",
  }
  io.write("BENCH_RESULT " .. json_object(result) .. "\n")
end
