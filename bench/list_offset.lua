-- Offset pagination: GET /api/v2/tickets.json?per_page=100&page=N for N drawn from 1..100 (the
-- API serves offset pages over the first 10,000 records only). Each page also counts the total.
dofile((os.getenv("BENCH_LUA_DIR") or "bench") .. "/common.lua")

local max_page = tonumber(os.getenv("BENCH_MAX_PAGE") or "100")

function init(args) bench_seed() end

function request()
  return wrk.format("GET", "/api/v2/tickets.json?per_page=100&page=" .. math.random(1, max_page),
                    bench_headers)
end

function done(summary, latency, requests) bench_report(summary, latency) end
