-- POST /s/{token}: a customer's survey answer (JSON), through signed single-use links.
-- BENCH_SURVEY_TOKENS names a file of link tokens, one a line (bench/survey_tokens.mjs writes
-- it). Each token is sent once, in file order; with several wrk threads, thread k of n takes
-- lines k, k+n, k+2n... (BENCH_SURVEY_THREADS = n, the -t given to wrk). A thread that runs out
-- of tokens stops. No credentials: the survey link is the credential.
--
-- Besides the BENCH line (bench/common.lua), prints
--   SURVEY created=N other=N statuses=CODE:N,... tokens_used=N tokens_left=N
-- where created counts 201s and other every other status (a repeated or bad token would be a
-- 409 or 404).
dofile((os.getenv("BENCH_LUA_DIR") or "bench") .. "/common.lua")

local threads = {}
local count = 0
function setup(thread)
  count = count + 1
  thread:set("thread_no", count)
  table.insert(threads, thread)
end

local tokens = {}
local next_token = 1
created = 0
other = 0
used = 0
left = 0
status_text = ""
local statuses = {}
local body = '{"stars":4,"resolved":true,"nps":9,"comment":"Quick and friendly, sorted it out in one go. Thank you!"}'
local headers = {["Content-Type"] = "application/json", ["Accept"] = "application/json"}

function init(args)
  local n = tonumber(os.getenv("BENCH_SURVEY_THREADS") or "1")
  local k = (thread_no or 1) - 1
  local path = os.getenv("BENCH_SURVEY_TOKENS") or error("BENCH_SURVEY_TOKENS is not set")
  local i = 0
  for line in io.lines(path) do
    if i % n == k and line ~= "" then tokens[#tokens + 1] = line end
    i = i + 1
  end
  left = #tokens
end

function request()
  local t = tokens[next_token]
  if not t then
    wrk.thread:stop()
    return wrk.format("GET", "/healthz")
  end
  next_token = next_token + 1
  used = next_token - 1
  left = #tokens - used
  return wrk.format("POST", "/s/" .. t, headers, body)
end

function response(status, hdrs, resp_body)
  if status == 201 then
    created = created + 1
  else
    other = other + 1
    statuses[status] = (statuses[status] or 0) + 1
    local parts = {}
    for code, n in pairs(statuses) do parts[#parts + 1] = code .. ":" .. n end
    status_text = table.concat(parts, ",")
  end
end

function done(summary, latency, requests)
  bench_report(summary, latency)
  local c, o, u, l, st = 0, 0, 0, 0, {}
  for _, t in ipairs(threads) do
    c = c + (t:get("created") or 0)
    o = o + (t:get("other") or 0)
    u = u + (t:get("used") or 0)
    l = l + (t:get("left") or 0)
    local s = t:get("status_text")
    if s and s ~= "" then st[#st + 1] = s end
  end
  io.write(string.format("SURVEY created=%d other=%d statuses=%s tokens_used=%d tokens_left=%d\n", c, o,
    #st > 0 and table.concat(st, ",") or "none", u, l))
end
