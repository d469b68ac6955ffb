#!/usr/bin/env bash
# The workforce plan benchmark: a 4-week, 15-minute staffing plan for 20 queues through
# workforce::staffing_plan (target < 100 ms), against the bare Erlang C solve loop over the same
# 53,760 intervals in the same run, plus one 12-week forecast. Writes the section of
# docs/benchmarks.md between <!-- workforce-plan:begin --> and <!-- workforce-plan:end -->.
#
#   bash bench/workforce_plan.sh [build/release]
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-build/release}
[ -f "$dir/build.ninja" ] || cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$dir" -j 2 --target erlang_bench >/dev/null
out=build/bench/workforce-plan
mkdir -p "$out"
"$dir/bench/erlang_bench" \
  --benchmark_filter='BM_StaffingPlan4Weeks$|BM_WorkforcePlan4Weeks20Queues|BM_Forecast12Weeks15Min|BM_RequiredAgents/100' \
  --benchmark_min_time=1 --benchmark_repetitions=3 --benchmark_report_aggregates_only=true \
  --benchmark_out="$out/plan.json" --benchmark_out_format=json >"$out/plan.txt"
{
  echo "command=bash bench/workforce_plan.sh $dir"
  echo "commit=$(git rev-parse --short HEAD)"
  echo "cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //') x $(nproc)"
  echo "load=$(cut -d' ' -f1-3 /proc/loadavg)"
  echo "kernel=$(uname -sr)"
} >"$out/facts.txt"
node bench/workforce_plan_report.mjs "$out" docs/benchmarks.md
