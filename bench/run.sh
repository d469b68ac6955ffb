#!/usr/bin/env bash
# Drives the release server over loopback with wrk and writes docs/benchmarks.md.
#
#   bash bench/run.sh [path/to/rapport]          (`make bench` builds the release binary first)
#
# Environment (defaults in brackets):
#   BENCH_TICKETS      tickets in the large dataset [1000000]; 0 skips the large-dataset part.
#                      The loaded database is cached in build/bench/tickets-N/ and reused by later
#                      runs (new migrations are applied to it; an edited one loads it again);
#                      delete that directory to load it again.
#   BENCH_DURATION     seconds per wrk run at 16 connections [10]; single-connection runs take half
#   BENCH_CONNECTIONS  connections for the main runs [16]
#   BENCH_WRK_THREADS  wrk threads [1] (the client shares the machine's cores with the server)
#   BENCH_PORT         loopback port [18480]
#   BENCH_OUT          the report [docs/benchmarks.md]
#   BENCH_PERF=1       also record a CPU profile (perf) of the server during the create run and the
#                      first search run; the top symbols go to build/bench/run/perf-*.txt
#   BENCH_LOAD_MAX_S   give up loading the large dataset after this many seconds [5400]
#   BENCH_FEEDBACK=0   skip bench/feedback.sh (agent feedback: stream fan-out, survey submit, leaderboard;
#                      about 3 minutes), which runs before the report and writes its own section
#   BENCH_OUTBOX=0     skip bench/outbox.sh (outgoing mail throughput against a local SMTP sink;
#                      about a minute), which writes its own section
#   BENCH_ROUTING=0    skip bench/routing.sh (routing decisions in process and assignment latency
#                      under create load; about a minute), which writes its own section
#
# Everything stays on 127.0.0.1. Every wrk run is bounded by -d. The server runs with
# RAPPORT_API_RATE_LIMIT_PER_MINUTE=0 (no rate limit) and RAPPORT_LOG_LEVEL=warn (no access log).
set -Eeuo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

bin=$(realpath "${1:-build/release/rapport}")
tickets=${BENCH_TICKETS:-1000000}
duration=${BENCH_DURATION:-10}
short=$(((duration + 1) / 2))
conns=${BENCH_CONNECTIONS:-16}
threads=${BENCH_WRK_THREADS:-1}
port=${BENCH_PORT:-18480}
out=${BENCH_OUT:-docs/benchmarks.md}
perf_on=${BENCH_PERF:-0}
load_max_s=${BENCH_LOAD_MAX_S:-5400}
base="http://127.0.0.1:$port"

work="$root/build/bench"
run="$work/run"
rm -rf "$run"
mkdir -p "$run/logs"
results="$run/results.tsv" # section id label conns min_rps max_p99_ms key=value...
facts="$run/facts.tsv"     # key value
: >"$results"
: >"$facts"
export BENCH_LUA_DIR="$root/bench"

say() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
fact() { printf '%s\t%s\n' "$1" "$2" >>"$facts"; }
die() {
  say "error: $*"
  exit 1
}

for tool in wrk curl node; do
  command -v "$tool" >/dev/null || die "$tool is not installed (bash scripts/install-deps.sh)"
done
[ -x "$bin" ] || die "no server binary at $bin (make build)"
if curl -s -o /dev/null --max-time 1 "$base/healthz"; then
  die "something already answers on $base; set BENCH_PORT"
fi

# ---- the machine ----------------------------------------------------------------------------------
command="bash bench/run.sh ${1:-build/release/rapport}"
[ -n "${MAKELEVEL:-}" ] && command="make bench\` → \`$command"
fact command "$command"
fact settings "BENCH_TICKETS=$tickets BENCH_DURATION=$duration BENCH_CONNECTIONS=$conns BENCH_WRK_THREADS=$threads"
fact date "$(date -u '+%Y-%m-%d %H:%M UTC')"
fact nproc "$(nproc)"
fact cpu "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)$(awk -F: '/^cpu MHz/ {printf " at %.0f MHz", $2; exit}' /proc/cpuinfo)"
fact ram "$(awk '/^MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)"
fact kernel "$(uname -srm)"
fact load_before "$(cut -d' ' -f1-3 /proc/loadavg)"
fact commit "$(git rev-parse --short HEAD 2>/dev/null || echo unknown)$([ -z "$(git status --porcelain -- src migrations 2>/dev/null)" ] || echo ' (with uncommitted changes in src/ or migrations/)')"
fact wrk "$(wrk -v 2>&1 | head -1 | cut -d' ' -f1-2)"
fact sqlite "$(sqlite3 --version 2>/dev/null | cut -d' ' -f1 || echo unknown)"

# ---- helpers --------------------------------------------------------------------------------------
server_pid=""
perf_pid=""

start_server() { # db
  RAPPORT_API_RATE_LIMIT_PER_MINUTE=0 RAPPORT_LOG_LEVEL=warn \
    "$bin" serve --db "$1" --listen "127.0.0.1:$port" >>"$run/logs/server.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 1 300); do
    if curl -s -o /dev/null --max-time 1 -f "$base/readyz"; then return 0; fi
    kill -0 "$server_pid" 2>/dev/null || die "the server exited; see $run/logs/server.log"
    sleep 0.2
  done
  die "the server did not become ready in 60 s"
}

# Write commits per second of the idle server (should be 0): a background job that writes in a
# loop takes CPU and the writer from every run, so the report flags it.
idle_commits() {
  local a b
  a=$(batch_counters)
  sleep 2
  b=$(batch_counters)
  awk -v a="$a" -v b="$b" 'BEGIN {split(a, x, " "); split(b, y, " "); printf "%d", (y[2] - x[2]) / 2}'
}

stop_server() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid"
    wait "$server_pid" 2>/dev/null || true
  fi
  server_pid=""
}
trap stop_server EXIT
trap 'say "error: line $LINENO: $BASH_COMMAND failed"' ERR

rss_kb() { awk '/^VmRSS/ {r=$2} /^VmHWM/ {h=$2} END {print r, h}' "/proc/$server_pid/status"; }

new_db() { # db -> prints the Authorization header value
  rm -f "$1" "$1-wal" "$1-shm"
  "$bin" migrate --db "$1" >/dev/null
  "$bin" user create --db "$1" --email admin@example.com --name Admin --role admin >/dev/null
  local token
  token=$("$bin" token create --db "$1" --email admin@example.com --description bench)
  printf 'Basic %s' "$(printf 'admin@example.com/token:%s' "$token" | base64 -w0)"
}

# Group-commit counters from /metrics: "<jobs> <batches>" ("0 0" if /metrics does not answer).
batch_counters() {
  { curl -s --max-time 30 "$base/metrics" || true; } |
    awk '/^rapport_group_commit_batch_size_sum/ {s=$2} /^rapport_group_commit_batch_size_count/ {c=$2} END {print s+0, c+0}'
}

# When wrk stops, the server is still working on the requests in flight (reads run on the I/O
# threads, so a slow one holds a thread). Waits until /healthz answers within 50 ms twice in a row,
# so that one run's backlog does not land in the next run's numbers.
drain() {
  local ok=0 t
  for _ in $(seq 1 240); do
    t=$(curl -s -o /dev/null -w '%{time_total}' --max-time 5 "$base/healthz" || echo 5)
    if awk -v t="$t" 'BEGIN {exit !(t < 0.05)}'; then
      ok=$((ok + 1))
      [ "$ok" -ge 2 ] && return 0
    else
      ok=0
    fi
    sleep 0.25
  done
  say "warning: the server still answers slowly 60 s after the run"
}

ticket_count() {
  curl -s --max-time 120 -H "Authorization: $BENCH_AUTH" "$base/api/v2/tickets.json?per_page=1" |
    grep -o '"count":[0-9]*' | cut -d: -f2
}

perf_record() { # name seconds (background)
  [ "$perf_on" = 1 ] && command -v perf >/dev/null || return 0
  perf record -F 499 -p "$server_pid" -o "$run/perf-$1.data" -- sleep "$2" >/dev/null 2>&1 &
  perf_pid=$!
}

perf_report() { # name
  [ -f "$run/perf-$1.data" ] || return 0
  perf report -i "$run/perf-$1.data" --stdio --no-children --sort dso,symbol 2>/dev/null |
    grep -E '^ +[0-9.]+%' | head -30 >"$run/perf-$1.txt" || true
  rm -f "$run/perf-$1.data"
}

# wrk_run section id label conns seconds min_rps max_p99_ms script url
# Appends a row to results.tsv; prints the BENCH line's key=value pairs.
wrk_run() {
  local section=$1 id=$2 label=$3 c=$4 secs=$5 min_rps=$6 max_p99=$7 script=$8 url=$9
  local t=$threads log="$run/logs/$section-$id.txt"
  [ "$c" -lt "$t" ] && t=$c
  say "$section: $label, $c connections, ${secs}s"
  local before after
  before=$(batch_counters)
  if [ "$perf_on" = 1 ] && { [ "$id" = create16 ] || [ "$id" = search_open_printer16 ]; }; then
    perf_record "$section-$id" "$((secs - 1))"
  fi
  wrk -t"$t" -c"$c" -d"${secs}s" --timeout 30s --latency -s "bench/$script" "$url" >"$log" 2>&1 ||
    die "wrk failed: $log"
  drain
  if [ -n "$perf_pid" ]; then
    wait "$perf_pid" 2>/dev/null || true
    perf_pid=""
  fi
  perf_report "$section-$id"
  after=$(batch_counters)
  local line
  line=$(sed -n 's/^BENCH //p' "$log")
  [ -n "$line" ] || die "no BENCH line in $log"
  local jobs batches
  read -r jobs batches <<<"$(awk -v b="$before" -v a="$after" 'BEGIN {split(b, x, " "); split(a, y, " "); print y[1]-x[1], y[2]-x[2]}')"
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s commit_jobs=%s commit_batches=%s\n' "$section" "$id" "$label" "$c" \
    "$min_rps" "$max_p99" "$line" "$jobs" "$batches" >>"$results"
  echo "$line"
}

kv() { # key line
  tr ' ' '\n' <<<"$2" | sed -n "s/^$1=//p"
}

# The latency of one durable 4 KiB write (O_DSYNC, overwriting) on the disk that holds the
# databases: the floor under every group commit (the store syncs the WAL before answering a batch).
sync_probe() {
  local f="$work/sync-probe.tmp" start end
  dd if=/dev/zero of="$f" bs=4k count=256 2>/dev/null
  start=$(date +%s%N)
  dd if=/dev/zero of="$f" bs=4k count=256 oflag=dsync conv=notrunc 2>/dev/null
  end=$(date +%s%N)
  rm -f "$f"
  awk -v ns=$((end - start)) 'BEGIN {printf "%.2f", ns / 256 / 1e6}'
}
fact sync_ms_before "$(sync_probe)"

# ---- 1. in-process workforce math (Google Benchmark) -----------------------------------------------
erlang_bin="$(dirname "$bin")/bench/erlang_bench"
if [ ! -x "$erlang_bin" ] && [ -f "$(dirname "$bin")/build.ninja" ]; then
  cmake --build "$(dirname "$bin")" -j 2 --target erlang_bench >/dev/null 2>&1 || true
fi
if [ -x "$erlang_bin" ]; then
  say "erlang_bench (Google Benchmark)"
  "$erlang_bin" --benchmark_min_time=0.5 --benchmark_out="$run/erlang.json" \
    --benchmark_out_format=json >"$run/logs/erlang_bench.txt" 2>&1 || die "erlang_bench failed"
else
  say "erlang_bench is not built (needs libbenchmark-dev); skipping"
fi

# ---- 2. small database: create, show ---------------------------------------------------------------
say "small database: fresh, in $run"
small_db="$run/small.db"
BENCH_AUTH=$(new_db "$small_db")
export BENCH_AUTH
start_server "$small_db"
fact small_idle_commits "$(idle_commits)"
read -r rss hwm <<<"$(rss_kb)"
fact small_rss_start "$rss $hwm"

wrk_run small healthz16 "GET /healthz" "$conns" "$duration" "" "" get.lua "$base/healthz" >/dev/null
wrk_run small healthz1 "GET /healthz" 1 "$short" "" "" get.lua "$base/healthz" >/dev/null
wrk_run small create1 "POST /api/v2/tickets.json (durable)" 1 "$short" "" "" create.lua "$base" >/dev/null
wrk_run small create16 "POST /api/v2/tickets.json (durable)" "$conns" "$duration" 5000 20 create.lua "$base" >/dev/null
n_small=$(ticket_count)
fact small_tickets "$n_small"
export BENCH_MAX_ID=$n_small
wrk_run small show1 "GET /api/v2/tickets/{id}.json" 1 "$short" "" "" show.lua "$base" >/dev/null
wrk_run small show16 "GET /api/v2/tickets/{id}.json" "$conns" "$duration" 20000 20 show.lua "$base" >/dev/null
read -r rss hwm <<<"$(rss_kb)"
fact small_rss_end "$rss $hwm"
stop_server

# ---- 3. large database: list, search, show, RSS ---------------------------------------------------
if [ "$tickets" -gt 0 ]; then
  # The cache is reused while the migrations it was loaded with are unchanged; migrations added
  # since are applied to it by `rapport migrate` below. An edited migration loads it again.
  cache="$work/tickets-$tickets"
  migrations=$(cd migrations/sqlite && sha256sum V*.sql)
  reuse=0
  if [ -f "$cache/ready" ] && [ -f "$cache/migrations.txt" ] &&
    head -n "$(wc -l <"$cache/migrations.txt")" <<<"$migrations" | cmp -s - "$cache/migrations.txt"; then
    reuse=1
  fi
  if [ "$reuse" = 0 ]; then
    say "loading $tickets tickets through POST /api/v2/tickets.json into $cache (cached for later runs)"
    rm -rf "$cache"
    mkdir -p "$cache"
    new_db "$cache/db" >"$cache/auth"
    export BENCH_AUTH
    BENCH_AUTH=$(cat "$cache/auth")
    start_server "$cache/db"
    loaded=0 load_start=$(date +%s) chunk_s=10 rate=0
    printf 'tickets_before\tcreated\tseconds\trps\tp50_ms\tp99_ms\tavg_batch\n' >"$cache/load.tsv"
    while [ "$loaded" -lt "$tickets" ]; do
      [ $(($(date +%s) - load_start)) -lt "$load_max_s" ] || die "loading took over $load_max_s s"
      remaining=$((tickets - loaded))
      secs=$chunk_s
      if [ "$rate" -gt 0 ] && [ $((remaining / rate + 3)) -lt "$secs" ]; then secs=$((remaining / rate + 3)); fi
      before=$(batch_counters)
      BENCH_CREATE_LIMIT=$(((remaining + threads - 1) / threads)) wrk -t"$threads" -c"$conns" -d"${secs}s" --timeout 10s \
        -s bench/create.lua "$base" >"$run/logs/load.txt" 2>&1 || die "wrk failed while loading"
      drain
      after=$(batch_counters)
      line=$(sed -n 's/^BENCH //p' "$run/logs/load.txt")
      created=$(($(kv requests "$line") - $(kv errors_status "$line")))
      rate=$(awk -v r="$(kv rps "$line")" 'BEGIN {printf "%d", r}')
      avg=$(awk -v b="$before" -v a="$after" 'BEGIN {split(b, x, " "); split(a, y, " "); n = y[2]-x[2]; printf "%.1f", n ? (y[1]-x[1]) / n : 0}')
      printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$loaded" "$created" "$(kv duration_s "$line")" "$rate" \
        "$(kv p50_ms "$line")" "$(kv p99_ms "$line")" "$avg" >>"$cache/load.tsv"
      loaded=$((loaded + created))
      chunk_s=60
      say "loaded $loaded / $tickets ($rate tickets/s in the last chunk, p99 $(kv p99_ms "$line") ms)"
      [ "$created" -gt 0 ] || die "no tickets were created; see $run/logs/load.txt"
    done
    read -r rss hwm <<<"$(rss_kb)"
    {
      printf 'load_seconds\t%s\n' "$(($(date +%s) - load_start))"
      printf 'load_rss\t%s %s\n' "$rss" "$hwm"
      printf 'load_date\t%s\n' "$(date -u '+%Y-%m-%d %H:%M UTC')"
      printf 'load_count\t%s\n' "$(ticket_count)"
    } >"$cache/load.env"
    stop_server
    printf '%s\n' "$migrations" >"$cache/migrations.txt"
    touch "$cache/ready"
    fact large_loaded_now yes
  else
    say "reusing the loaded database in $cache"
    fact large_loaded_now no
  fi
  cat "$cache/load.env" >>"$facts"
  cp "$cache/load.tsv" "$run/load.tsv"
  fact large_db_mb "$(du -cm "$cache"/db* | tail -1 | cut -f1)"
  BENCH_AUTH=$(cat "$cache/auth")
  export BENCH_AUTH
  "$bin" migrate --db "$cache/db" >/dev/null
  printf '%s\n' "$migrations" >"$cache/migrations.txt"
  start_server "$cache/db"
  fact large_idle_commits "$(idle_commits)"
  read -r rss hwm <<<"$(rss_kb)"
  fact large_rss_start "$rss $hwm"
  n_large=$(ticket_count)
  fact large_tickets "$n_large"
  export BENCH_MAX_ID=$n_large

  L=large
  wrk_run $L healthz16 "GET /healthz" "$conns" "$duration" "" "" get.lua "$base/healthz" >/dev/null
  wrk_run $L healthz1 "GET /healthz" 1 "$short" "" "" get.lua "$base/healthz" >/dev/null
  wrk_run $L show16 "GET /api/v2/tickets/{id}.json" "$conns" "$duration" 20000 20 show.lua "$base" >/dev/null
  list_first="$base/api/v2/tickets.json?page%5Bsize%5D=100"
  wrk_run $L list_first1 "list, cursor, first page of 100" 1 "$short" "" 50 get.lua "$list_first" >/dev/null
  wrk_run $L list_first16 "list, cursor, first page of 100" "$conns" "$duration" "" 50 get.lua "$list_first" >/dev/null
  wrk_run $L list_walk16 "list, cursor, walking page[after] (100/page)" "$conns" "$duration" "" 50 list_cursor.lua "$base" >/dev/null
  wrk_run $L list_offset1 "list, offset, random page 1-100 (counts the total)" 1 "$short" "" 50 list_offset.lua "$base" >/dev/null
  wrk_run $L list_offset16 "list, offset, random page 1-100 (counts the total)" "$conns" "$duration" "" 50 list_offset.lua "$base" >/dev/null
  q="$base/api/v2/search.json?per_page=25&query="
  # Each search three times before its runs: a 1-connection run holds about 250 requests, so one
  # cold first request (index pages not yet in the page cache) would be its p99 on its own. The
  # first request's time is reported beside the table.
  cold=""
  for sq in "status%3Aopen+printer" "printer+refund" "status%3Apending+priority%3Aurgent"; do
    ms=$(curl -s -o /dev/null -w '%{time_total}' -H "Authorization: $BENCH_AUTH" "$q$sq" | awk '{printf "%.1f", $1 * 1000}')
    cold="$cold${cold:+, }\`$(printf '%b' "${sq//%/\\x}" | tr '+' ' ')\` $ms ms"
    for _ in 1 2; do curl -s -o /dev/null -H "Authorization: $BENCH_AUTH" "$q$sq"; done
  done
  fact large_search_cold "$cold"
  wrk_run $L search_open_printer1 "search \`status:open printer\`" 1 "$short" "" 50 get.lua "${q}status%3Aopen+printer" >/dev/null
  wrk_run $L search_open_printer16 "search \`status:open printer\`" "$conns" "$duration" "" 50 get.lua "${q}status%3Aopen+printer" >/dev/null
  wrk_run $L search_two_words1 "search \`printer refund\`" 1 "$short" "" 50 get.lua "${q}printer+refund" >/dev/null
  wrk_run $L search_two_words16 "search \`printer refund\`" "$conns" "$duration" "" 50 get.lua "${q}printer+refund" >/dev/null
  wrk_run $L search_filters1 "search \`status:pending priority:urgent\`" 1 "$short" "" 50 get.lua "${q}status%3Apending+priority%3Aurgent" >/dev/null
  wrk_run $L search_filters16 "search \`status:pending priority:urgent\`" "$conns" "$duration" "" 50 get.lua "${q}status%3Apending+priority%3Aurgent" >/dev/null
  read -r rss hwm <<<"$(rss_kb)"
  fact large_rss_end "$rss $hwm"
  stop_server
fi

fact load_after "$(cut -d' ' -f1-3 /proc/loadavg)"
fact sync_ms_after "$(sync_probe)"
[ "${BENCH_FEEDBACK:-1}" = 0 ] || bash bench/feedback.sh "$bin" || say "warning: bench/feedback.sh failed (build/bench/feedback/logs)"
[ "${BENCH_OUTBOX:-1}" = 0 ] || bash bench/outbox.sh "$bin" || say "warning: bench/outbox.sh failed"
[ "${BENCH_ROUTING:-1}" = 0 ] || bash bench/routing.sh "$bin" || say "warning: bench/routing.sh failed (build/bench/routing)"

# ---- 4. the report ---------------------------------------------------------------------------------
node bench/report.mjs "$run" "$out"
say "wrote $out"
