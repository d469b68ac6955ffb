-- GET /api/v2/tickets/{id}.json for ids drawn uniformly from 1..BENCH_MAX_ID (existing tickets).
dofile((os.getenv("BENCH_LUA_DIR") or "bench") .. "/common.lua")

local max_id = tonumber(os.getenv("BENCH_MAX_ID") or "1000")

function init(args) bench_seed() end

function request()
  return wrk.format("GET", "/api/v2/tickets/" .. math.random(1, max_id) .. ".json", bench_headers)
end

function done(summary, latency, requests) bench_report(summary, latency) end
