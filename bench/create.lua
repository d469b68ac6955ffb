-- POST /api/v2/tickets.json: one ticket per request (the durable path: 201 only after the group
-- commit's fsync). Subjects and bodies are drawn from a small vocabulary so that full-text search
-- has realistic selectivity (each word is in about 1 ticket in 15), and the status and priority
-- vary so that filters do too.
dofile((os.getenv("BENCH_LUA_DIR") or "bench") .. "/common.lua")

local words = {"printer", "refund", "invoice", "password", "login", "shipping", "delivery", "broken",
  "screen", "battery", "charger", "account", "billing", "order", "cancel", "upgrade", "crash",
  "email", "network", "wifi", "slow", "error", "update", "license", "warranty", "return", "label",
  "discount", "coupon", "payment", "card", "declined", "export", "import", "report", "dashboard",
  "mobile", "android", "iphone", "tablet", "keyboard", "mouse", "monitor", "cable", "router"}
local statuses = {"new", "open", "open", "open", "pending", "hold"}
local priorities = {"low", "normal", "normal", "high", "urgent"}

function init(args)
  bench_seed()
  bench_headers["Content-Type"] = "application/json"
end

local function w() return words[math.random(#words)] end

-- BENCH_CREATE_GROUP (bench/routing.sh): every ticket goes to this group, so routing assigns them.
local group = os.getenv("BENCH_CREATE_GROUP")
local group_field = (group and group ~= "") and string.format(',"group_id":%d', tonumber(group)) or ""

function request()
  local body = string.format(
    '{"ticket":{"subject":"%s %s %s","comment":{"body":"Hello, my %s has a problem with %s and %s. ' ..
    'It started yesterday after the %s. Order %d."},"requester_id":1,"status":"%s","priority":"%s",' ..
    '"tags":["%s"]%s}}',
    w(), w(), w(), w(), w(), w(), w(), math.random(100000, 999999),
    statuses[math.random(#statuses)], priorities[math.random(#priorities)], w(), group_field)
  return wrk.format("POST", "/api/v2/tickets.json", bench_headers, body)
end

-- BENCH_CREATE_LIMIT (used to load a dataset): this thread stops sending after that many 201s.
-- wrk itself still runs for its -d, so run.sh sizes -d to the expected time.
local limit = tonumber(os.getenv("BENCH_CREATE_LIMIT") or "0")
if limit > 0 then
  local created = 0
  function response(status, headers, body)
    if status == 201 then
      created = created + 1
      if created >= limit then wrk.thread:stop() end
    end
  end
end

function done(summary, latency, requests) bench_report(summary, latency) end
