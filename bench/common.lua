-- Shared by the bench/*.lua wrk scripts (loaded with dofile). Adds the API credentials and prints
-- one parseable line at the end of a run:
--   BENCH requests=N duration_s=S rps=R p50_ms=.. p90_ms=.. p99_ms=.. p999_ms=.. max_ms=..
--         errors_connect=.. errors_read=.. errors_write=.. errors_status=.. errors_timeout=..
-- Environment: BENCH_AUTH is the whole Authorization header value ("Basic ...").
bench_headers = {}
local auth = os.getenv("BENCH_AUTH")
if auth and auth ~= "" then bench_headers["Authorization"] = auth end
bench_headers["Accept"] = "application/json"

function bench_report(summary, latency)
  local secs = summary.duration / 1e6
  local function ms(us) return string.format("%.3f", us / 1000) end
  io.write(string.format(
    "BENCH requests=%d duration_s=%.3f rps=%.1f p50_ms=%s p90_ms=%s p99_ms=%s p999_ms=%s max_ms=%s " ..
    "errors_connect=%d errors_read=%d errors_write=%d errors_status=%d errors_timeout=%d\n",
    summary.requests, secs, summary.requests / secs,
    ms(latency:percentile(50)), ms(latency:percentile(90)), ms(latency:percentile(99)),
    ms(latency:percentile(99.9)), ms(latency.max),
    summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.status,
    summary.errors.timeout))
end

-- Gives every wrk thread its own random sequence.
local thread_counter = 0
function setup(thread)
  thread_counter = thread_counter + 1
  thread:set("thread_no", thread_counter)
end

function bench_seed()
  math.randomseed((thread_no or 0) * 7919 + os.time())
end
