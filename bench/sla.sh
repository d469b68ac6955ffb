#!/usr/bin/env bash
# SLA benchmark: build/release/bench/sla_bench (Google Benchmark, in process) and rewrite the
# section of docs/benchmarks.md between <!-- sla:begin --> and <!-- sla:end --> (created above the
# run.sh marker when missing).
#
#   cmake --build build/release --target sla_bench && bash bench/sla.sh [path/to/sla_bench]
#
# No target in the issues; what it answers is what the clocks cost: business-time arithmetic,
# policy matching, the engine over one ticket, and a ticket read with the `slas` sideload against
# the same read without it (the baseline, measured in the same run). About 30 s.
set -Eeuo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
bench=$(realpath "${1:-build/release/bench/sla_bench}")
out=${BENCH_OUT:-docs/benchmarks.md}
json=$(mktemp)
trap 'rm -f "$json"' EXIT
"$bench" --benchmark_min_time=0.5 --benchmark_format=json --benchmark_out="$json" --benchmark_out_format=json >/dev/null
/usr/bin/python3 - "$json" "$out" "$bench" <<'PY'
import json, os, platform, re, sys
data = json.load(open(sys.argv[1]))
out, binary = sys.argv[2], sys.argv[3]
rows = {b["name"]: b for b in data["benchmarks"]}
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.machine())
load = open("/proc/loadavg").read().split()[:3]
build = "Release" if "/release/" in binary else "not Release (" + binary + "): the absolute times say little"

def us(name):
    b = rows[name]
    scale = {"ns": 1e-3, "us": 1.0, "ms": 1e3, "s": 1e6}[b.get("time_unit", "ns")]
    return b["cpu_time"] * scale, b["real_time"] * scale

def fmt(x):
    return f"{x/1000:.2f} ms" if x >= 1000 else f"{x:.1f} µs"

lines = [
    "<!-- sla:begin -->",
    "## SLAs: business-time arithmetic, policy matching, `include=slas`",
    "",
    f"Command: `cmake --build build/release --target sla_bench && bash bench/sla.sh` — {data['context']['date']}, "
    f"{os.cpu_count()} × {cpu}, load average {' '.join(load)} at the end; sla_bench built {build}.",
    "",
    "`bench/sla_bench.cpp` (Google Benchmark, in process): business seconds over 1/7/30 days and \"N business hours "
    "after\" (Berlin office hours with 12 holidays, across the March DST change); matching a ticket against 50 "
    "policies of 3 conditions where only the last matches; the engine over one ticket (5 business-hours metrics, 20 "
    "history events); and the read path over a real SQLite store of 1,000 tickets with clocks: a list page of 100 and "
    "a single ticket encoded to JSON, without the `slas` sideload (the baseline) and with it, in the same run.",
    "",
    "| benchmark | CPU per call | wall per call | vs baseline (CPU) |",
    "|---|---:|---:|---:|",
]
pairs = {"BM_ListPage100/1": "BM_ListPage100/0", "BM_ShowTicket/1": "BM_ShowTicket/0"}
for name in rows:
    if name.endswith(("_mean", "_median", "_stddev", "_cv")):
        continue
    c, w = us(name)
    ratio = ""
    if name in pairs and pairs[name] in rows:
        ratio = f"{c / us(pairs[name])[0]:.2f}×"
    elif name in pairs.values():
        ratio = "1× (baseline)"
    label = name[3:].replace("/0", " plain" if name.startswith(("BM_ListPage", "BM_ShowTicket")) else "/0")
    label = label.replace("ListPage100/1", "ListPage100 include=slas").replace("ShowTicket/1", "ShowTicket include=slas")
    lines.append(f"| {label} | {fmt(c)} | {fmt(w)} | {ratio} |")
lines += ["", "Arguments: BusinessSeconds/N is a span of N days; AddBusinessSeconds/N adds N business hours.",
          "<!-- sla:end -->"]
block = "\n".join(lines) + "\n"
sys.path.insert(0, "bench")
from section import replace_section
replace_section(out, "sla", block)
print(block)
PY
