-- GET the URL given on the wrk command line, with credentials. Used for /healthz, the list pages
-- and search (the query is in the URL).
dofile((os.getenv("BENCH_LUA_DIR") or "bench") .. "/common.lua")

function init(args)
  bench_seed()
  req = wrk.format("GET", nil, bench_headers)
end

function request() return req end

function done(summary, latency, requests) bench_report(summary, latency) end
