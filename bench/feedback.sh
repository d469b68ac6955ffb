#!/usr/bin/env bash
# Agent-feedback benchmarks: the live stream's fan-out, survey submits, and the leaderboard.
# Rewrites the section of docs/benchmarks.md between <!-- feedback-bench:begin --> and
# <!-- feedback-bench:end --> (bench/feedback_report.mjs; created above the run.sh marker when
# missing). bench/run.sh calls it near its end unless BENCH_FEEDBACK=0.
#
#   bash bench/feedback.sh [path/to/rapport]
#
# Targets (issue), each measured against a baseline in the same run:
#   1. 1,000 concurrent stream subscribers receive a new rating with p99 < 50 ms
#      (bench/stream_fanout.mjs; baseline: the same with 1 subscriber);
#   2. survey submit (POST /s/{token}) >= 2,000/s (wrk, bench/survey.lua, over tokens from
#      bench/survey_tokens.mjs; baseline: durable ticket create, bench/create.lua);
#   3. the leaderboard of 1,000 agents over 90 days < 20 ms (build/release/bench/feedback_bench,
#      Google Benchmark; baseline: the same ranking from a GROUP BY over the raw ratings).
#
# Environment (defaults in brackets):
#   FEEDBACK_DURATION     seconds per wrk run [BENCH_DURATION or 10]
#   FEEDBACK_CONNECTIONS  wrk connections [16]
#   FEEDBACK_SUBSCRIBERS  stream subscribers [1000]
#   FEEDBACK_RATINGS      ratings sent to the subscribers, one at a time, per phase [200]
#   FEEDBACK_SURVEYS      survey links inserted for the submit run [100000]
#   FEEDBACK_PORT         loopback port for the survey run [18490] (the stream run picks a free one)
#   FEEDBACK_PERF=1       record the server with perf (-g) during the 1,000-subscriber phase and
#                         the survey run; the top symbols go to build/bench/feedback/perf-*.txt
#                         and into the report [BENCH_PERF or 0]
#   BENCH_WRK_THREADS     wrk threads [1]
#   BENCH_OUT             the report [docs/benchmarks.md]
#
# Everything stays on 127.0.0.1; every run is bounded (wrk -d, the node script's --timeout-s,
# the benchmark's min time). Servers run with RAPPORT_API_RATE_LIMIT_PER_MINUTE=0 and
# RAPPORT_LOG_LEVEL=warn. Total about 3 minutes on 2 cores.
set -Eeuo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

bin=$(realpath "${1:-build/release/rapport}")
duration=${FEEDBACK_DURATION:-${BENCH_DURATION:-10}}
conns=${FEEDBACK_CONNECTIONS:-16}
subscribers=${FEEDBACK_SUBSCRIBERS:-1000}
ratings=${FEEDBACK_RATINGS:-200}
surveys=${FEEDBACK_SURVEYS:-100000}
port=${FEEDBACK_PORT:-18490}
perf_on=${FEEDBACK_PERF:-${BENCH_PERF:-0}}
threads=${BENCH_WRK_THREADS:-1}
out=${BENCH_OUT:-docs/benchmarks.md}
base="http://127.0.0.1:$port"

run="$root/build/bench/feedback"
rm -rf "$run"
mkdir -p "$run/logs"
facts="$run/facts.tsv"
: >"$facts"
export BENCH_LUA_DIR="$root/bench"

say() { printf '[feedback %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
fact() { printf '%s\t%s\n' "$1" "$2" >>"$facts"; }
die() {
  say "error: $*"
  exit 1
}

for tool in wrk curl node sqlite3; do
  command -v "$tool" >/dev/null || die "$tool is not installed"
done
[ -x "$bin" ] || die "no server binary at $bin"
if curl -s -o /dev/null --max-time 1 "$base/healthz"; then
  die "something already answers on $base; set FEEDBACK_PORT"
fi
if [ "$perf_on" = 1 ] && ! command -v perf >/dev/null; then
  say "perf is not installed: no profiles"
  perf_on=0
fi

# ---- the machine ----------------------------------------------------------------------------------
fact command "bash bench/feedback.sh ${1:-build/release/rapport}"
fact settings "FEEDBACK_DURATION=$duration FEEDBACK_CONNECTIONS=$conns FEEDBACK_SUBSCRIBERS=$subscribers FEEDBACK_RATINGS=$ratings FEEDBACK_SURVEYS=$surveys BENCH_WRK_THREADS=$threads"
fact date "$(date -u '+%Y-%m-%d %H:%M UTC')"
fact nproc "$(nproc)"
fact cpu "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)"
fact ram "$(awk '/^MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)"
fact kernel "$(uname -srm)"
fact load_before "$(cut -d' ' -f1-3 /proc/loadavg)"
fact commit "$(git rev-parse --short HEAD 2>/dev/null || echo unknown)$([ -z "$(git status --porcelain -- src migrations 2>/dev/null)" ] || echo ' (with uncommitted changes in src/ or migrations/)')"
fact wrk "$(wrk -v 2>&1 | head -1 | cut -d' ' -f1-2)"
fact sqlite "$(sqlite3 --version 2>/dev/null | cut -d' ' -f1 || echo unknown)"
fact node "$(node --version)"

# The latency of one durable 4 KiB write on the disk that holds the databases (see run.sh).
sync_probe() {
  local f="$run/sync-probe.tmp" start end
  dd if=/dev/zero of="$f" bs=4k count=256 2>/dev/null
  start=$(date +%s%N)
  dd if=/dev/zero of="$f" bs=4k count=256 oflag=dsync conv=notrunc 2>/dev/null
  end=$(date +%s%N)
  rm -f "$f"
  awk -v ns=$((end - start)) 'BEGIN {printf "%.2f", ns / 256 / 1e6}'
}
fact sync_ms "$(sync_probe)"

perf_report() { # name
  [ -f "$run/perf-$1.data" ] || return 0
  perf report -i "$run/perf-$1.data" --stdio --no-children --sort dso,symbol 2>/dev/null |
    grep -E '^ +[0-9.]+%' | sed 's/  */ /g; s/ - - *$//' | head -40 >"$run/perf-$1.txt" || true
  perf report -i "$run/perf-$1.data" --stdio --children --sort symbol 2>/dev/null |
    grep -E '^ +[0-9.]+%' | sed 's/  */ /g; s/ - - *$//' | head -40 >"$run/perf-$1-children.txt" || true
  rm -f "$run/perf-$1.data"
}

# ---- 3. the leaderboard (in-process) ----------------------------------------------------------------
fb_bin="$(dirname "$bin")/bench/feedback_bench"
if [ ! -x "$fb_bin" ] && [ -f "$(dirname "$bin")/build.ninja" ]; then
  say "building feedback_bench"
  cmake --build "$(dirname "$bin")" -j 2 --target feedback_bench >"$run/logs/build.txt" 2>&1 || true
fi
if [ -x "$fb_bin" ]; then
  say "leaderboard: feedback_bench (Google Benchmark; fills 450,000 ratings first)"
  timeout 300 "$fb_bin" --benchmark_min_time=1 --benchmark_out="$run/leaderboard.json" \
    --benchmark_out_format=json >"$run/logs/feedback_bench.txt" 2>&1 || die "feedback_bench failed: $run/logs/feedback_bench.txt"
else
  say "feedback_bench is not built (needs libbenchmark-dev); skipping the leaderboard"
fi

# ---- 1. the stream's fan-out --------------------------------------------------------------------
say "stream: 1 and $subscribers subscribers, $ratings ratings each"
perf_args=()
[ "$perf_on" = 1 ] && perf_args=(--perf-out "$run/perf-stream.data")
node bench/stream_fanout.mjs --bin "$bin" --subscribers "$subscribers" --ratings "$ratings" \
  --out "$run/stream.json" --timeout-s 300 "${perf_args[@]}" 2>"$run/logs/stream.txt" ||
  die "stream_fanout failed: $run/logs/stream.txt"
perf_report stream

# ---- 2. survey submit vs. durable create ----------------------------------------------------------
server_pid=""
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
stop_server() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid"
    wait "$server_pid" 2>/dev/null || true
  fi
  server_pid=""
}
trap stop_server EXIT
trap 'say "error: line $LINENO: $BASH_COMMAND failed"' ERR

json() { # expression over j (stdin is JSON)
  node -e 'let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => {
    const j = JSON.parse(s); const v = eval(process.argv[1]); if (v === undefined || v === null) process.exit(1); console.log(v); })' "$1"
}
api() { # method path [json body]
  curl -sS --max-time 30 -X "$1" -H "Authorization: $auth" -H 'Accept: application/json' \
    ${3:+-H 'Content-Type: application/json' --data "$3"} "$base$2"
}
batch_counters() {
  { curl -s --max-time 30 "$base/metrics" || true; } |
    awk '/^rapport_group_commit_batch_size_sum/ {s=$2} /^rapport_group_commit_batch_size_count/ {c=$2} END {print s+0, c+0}'
}
drain() { # until /healthz answers within 50 ms twice in a row (bounded: 60 s)
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
wrk_run() { # id script (prints nothing; writes logs/ID.txt and facts ID_line, ID_commits)
  local id=$1 script=$2 t=$threads before after
  [ "$conns" -lt "$t" ] && t=$conns
  say "survey: $id, $conns connections, ${duration}s"
  before=$(batch_counters)
  if [ "$perf_on" = 1 ] && [ "$id" = survey ]; then
    perf record -g -F 499 -p "$server_pid" -o "$run/perf-survey.data" -- sleep "$((duration - 1))" >/dev/null 2>&1 &
    perf_pid=$!
  fi
  BENCH_SURVEY_THREADS=$t wrk -t"$t" -c"$conns" -d"${duration}s" --timeout 30s --latency -s "bench/$script" "$base" \
    >"$run/logs/$id.txt" 2>&1 || die "wrk failed: $run/logs/$id.txt"
  drain
  if [ -n "${perf_pid:-}" ]; then
    wait "$perf_pid" 2>/dev/null || true
    perf_pid=""
    perf_report survey
  fi
  after=$(batch_counters)
  fact "${id}_line" "$(sed -n 's/^BENCH //p' "$run/logs/$id.txt")"
  fact "${id}_commits" "$(awk -v b="$before" -v a="$after" 'BEGIN {split(b, x, " "); split(a, y, " "); print y[1]-x[1], y[2]-x[2]}')"
}

db="$run/survey.db"
"$bin" migrate --db "$db" >/dev/null
"$bin" user create --db "$db" --email admin@example.com --name Admin --role admin >/dev/null
"$bin" user create --db "$db" --email amy@example.com --name 'Amy Agent' --role agent >/dev/null
token=$("$bin" token create --db "$db" --email admin@example.com --description bench | tail -1 | awk '{print $NF}')
auth="Basic $(printf 'admin@example.com/token:%s' "$token" | base64 -w0)"
export BENCH_AUTH=$auth
start_server "$db"
agent_id=$(api GET '/api/v2/users/search.json?query=amy%40example.com' | json 'j.users[0].id')
created=$(api POST /api/v2/tickets.json \
  "{\"ticket\":{\"subject\":\"Refund for order 1234\",\"comment\":{\"body\":\"Where is my refund?\"},\"requester\":{\"name\":\"Cara Customer\",\"email\":\"cara@example.com\"},\"assignee_id\":$agent_id}}")
ticket_id=$(json 'j.ticket.id' <<<"$created")
requester_id=$(json 'j.ticket.requester_id' <<<"$created")
api PUT "/api/v2/tickets/$ticket_id.json" '{"ticket":{"status":"solved","comment":{"body":"Refunded."}}}' >/dev/null
for _ in $(seq 1 150); do # the feedback consumer's request for the solved ticket (bounded: 15 s)
  n=$(api GET "/api/v2/tickets/$ticket_id/feedback_requests.json" | json 'j.feedback_requests.length' || echo 0)
  [ "$n" -ge 1 ] && break
  sleep 0.1
done
[ "$n" -ge 1 ] || die "no feedback request for the solved ticket $ticket_id"
say "survey: inserting $surveys survey requests with the sqlite3 CLI and signing their links"
node bench/survey_tokens.mjs --db "$db" --count "$surveys" --ticket "$ticket_id" --agent "$agent_id" \
  --requester "$requester_id" --out "$run/tokens.txt" >"$run/logs/tokens.txt" || die "survey_tokens failed"
export BENCH_SURVEY_TOKENS="$run/tokens.txt"
ratings_before=$(sqlite3 -cmd '.timeout 30000' "$db" 'SELECT COUNT(*) FROM ratings')

wrk_run create create.lua
wrk_run survey survey.lua
fact survey_counts "$(sed -n 's/^SURVEY //p' "$run/logs/survey.txt")"
# Cross-check with the database: every 201 is one stored rating and one answered request.
fact survey_db "ratings=$(($(sqlite3 -cmd '.timeout 30000' "$db" 'SELECT COUNT(*) FROM ratings') - ratings_before)) answered=$(sqlite3 -cmd '.timeout 30000' "$db" "SELECT COUNT(*) FROM feedback_requests WHERE status = 'answered'")"
stop_server

fact load_after "$(cut -d' ' -f1-3 /proc/loadavg)"
node bench/feedback_report.mjs "$run" "$out"
say "wrote $out"
