-- Cursor pagination: every thread walks GET /api/v2/tickets.json?page[size]=100 page by page,
-- following meta.after_cursor, and starts again from the first page at the end. The first
-- request of each connection is a first page, so early requests are first pages and later ones go
-- deeper into the table.
dofile((os.getenv("BENCH_LUA_DIR") or "bench") .. "/common.lua")

local first = "/api/v2/tickets.json?page%5Bsize%5D=100"
local extra = os.getenv("BENCH_LIST_EXTRA") or ""  -- e.g. "&sort=-updated_at"
local next_path = first .. extra

function init(args) bench_seed() end

function request() return wrk.format("GET", next_path, bench_headers) end

function response(status, headers, body)
  local c = body and body:match('"after_cursor"%s*:%s*"([^"]+)"')
  local more = body and body:match('"has_more"%s*:%s*true')
  if c and more then
    next_path = first .. extra .. "&page%5Bafter%5D=" .. c:gsub("([^%w%-_%.~])", function(ch)
      return string.format("%%%02X", string.byte(ch))
    end)
  else
    next_path = first .. extra
  end
end

function done(summary, latency, requests) bench_report(summary, latency) end
